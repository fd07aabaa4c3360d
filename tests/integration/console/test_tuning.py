"""The lexicon (词库) and routing rules (派单规则) pages: validation by line, try-it and preview,
saves that change the next complaint through the real IntakeService, survive a restart, are
audited, and never let a broken file replace the running one."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind
from storage.sql.schema import audit_events
from storage.sql.store import SqlStore
from tests.integration.console.conftest import Console
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings
from tousu.routing_wiring import routing_of

SAMPLE = "阿姨咕噜咕噜了一下午"  # shipped lexicon: punctuality
BILLING = re.compile(r'(\[categories\.billing\]\nlabel = "[^"]*"\nwords = \{ )')
FIRST_TO_SENIOR = 'when = { first = true }\nteam = "senior"'
FIRST_TO_FINANCE = 'when = { first = true }\nteam = "finance"'


def _textarea(html: str) -> str:
    found = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None
    return (
        found.group(1)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )


async def _audit(console: Console, action: str) -> list[dict[str, object]]:
    store = console.runtime.store
    assert isinstance(store, SqlStore)
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(audit_events).where(audit_events.c.action == action))
        return [dict(row._mapping) for row in rows]


async def _category(runtime: Runtime, number: str) -> tuple[str, str | None]:
    async with runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number, with_transcript=False)
    assert complaint is not None
    return str(complaint.category), complaint.team


async def test_lexicon_validate_try_save_and_restart(console: Console, tmp_path: Path) -> None:
    op = console.browsers["operator"]
    page = await op.get("/console/lexicon")
    assert page.status == 200
    shipped = _textarea(await page.text())
    assert "[categories.billing]" in shipped
    edited, count = BILLING.subn(r'\1"咕噜咕噜" = 9.0, ', shipped)
    assert count == 1

    bad_syntax = await op.post(
        "/console/lexicon/check", {"body": "[settings]\nsaturation = 4.0\n[categories.billing\n"}
    )
    assert bad_syntax.status == 422
    assert re.search(r'id="line-3"', await bad_syntax.text())
    bad_code = shipped.replace("[categories.other]", "[categories.nonsense]")
    line = bad_code.splitlines().index("[categories.nonsense]") + 1
    checked = await op.post("/console/lexicon/check", {"body": bad_code})
    html = await checked.text()
    assert checked.status == 422 and f'id="line-{line}"' in html and "nonsense" in html
    assert "categories.nonsense：未知类别 &#39;nonsense&#39;" in html
    english = await (await op.post("/console/lexicon/check?lang=en", {"body": bad_code})).text()
    assert "categories.nonsense: unknown category &#39;nonsense&#39;" in english and f'id="line-{line}"' in english
    assert (await op.get("/console/lexicon?lang=zh")).status == 200

    tried = await op.post("/console/lexicon/check", {"body": edited, "sample": SAMPLE})
    html = await tried.text()
    assert tried.status == 200 and 'id="ok"' in html and 'data-category="billing"' in html and "咕噜咕噜" in html
    # trying does not change the running classifier
    before = await console.complaint(SAMPLE)
    assert (await _category(console.runtime, before))[0] == "punctuality"

    # a broken save is refused and replaces nothing
    refused = await op.post("/console/lexicon/save", {"body": bad_code})
    assert refused.status == 422
    target = console.runtime.settings.data_dir / "lexicon.toml"
    assert not target.exists()
    assert console.runtime.intake is not None

    saved = await op.post("/console/lexicon/save", {"body": edited})
    assert saved.status == 303 and "flash=lexicon_saved" in saved.headers["Location"]
    assert target.read_text(encoding="utf-8") == edited
    after = await console.complaint(SAMPLE)
    assert (await _category(console.runtime, after))[0] == "billing"
    events = await _audit(console, "lexicon.saved")
    assert len(events) == 1 and events[0]["actor"] == "user:op"

    # a second save keeps the first as a backup next to it
    again = await op.post("/console/lexicon/save", {"body": edited.replace('"咕噜咕噜" = 9.0', '"咕噜咕噜" = 8.0')})
    assert again.status == 303
    backups = list(target.parent.glob("lexicon.toml.*.bak"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == edited
    view = await (await op.get("/console/lexicon")).text()
    assert str(target) in view and '"咕噜咕噜" = 8.0' in _textarea(view)

    # a refused save after a good one leaves the good one running and on disk
    assert (await op.post("/console/lexicon/save", {"body": "not = [toml"})).status == 422
    assert '"咕噜咕噜" = 8.0' in target.read_text(encoding="utf-8")
    assert console.runtime.classifier.classify(SAMPLE).category == "billing"

    # a restart on the same data directory loads the saved lexicon
    restarted = await build_runtime(Settings(data_dir=console.runtime.settings.data_dir, env={}))
    try:
        assert restarted.classifier.classify(SAMPLE).category == "billing"
        assert restarted.classifier.lexicon.source == str(target)  # type: ignore[attr-defined]
    finally:
        await restarted.close()
    # an explicit TOUSU_LEXICON_PATH still wins over the saved copy
    explicit = tmp_path / "explicit.toml"
    explicit.write_text(shipped, encoding="utf-8")
    pinned = await build_runtime(
        Settings(data_dir=console.runtime.settings.data_dir, lexicon_path=explicit, env={}), migrate=False
    )
    try:
        assert pinned.classifier.classify(SAMPLE).category == "punctuality"
    finally:
        await pinned.close()


async def test_rules_validate_preview_save_and_restart(console: Console) -> None:
    op = console.browsers["operator"]
    page = await op.get("/console/rules")
    assert page.status == 200
    shipped = _textarea(await page.text())
    assert FIRST_TO_SENIOR in shipped
    edited = shipped.replace(FIRST_TO_SENIOR, FIRST_TO_FINANCE).replace('name = "财务部"', 'name = "财务结算部"')

    broken = edited.replace('team = "finance"', 'team = "nosuchteam"', 1)
    line = broken.splitlines().index('team = "nosuchteam"') + 1
    checked = await op.post("/console/rules/check", {"body": broken})
    html = await checked.text()
    assert checked.status == 422 and f'id="line-{line}"' in html and "nosuchteam" in html
    assert "&#39;nosuchteam&#39; 不是团队代码" in html
    english = await (await op.post("/console/rules/check?lang=en", {"body": broken})).text()
    assert "&#39;nosuchteam&#39; is not a team code" in english and f'id="line-{line}"' in english
    assert (await op.get("/console/rules?lang=zh")).status == 200

    choice = {"category": "punctuality", "severity": "normal", "tier": "regular", "channel": "webchat"}
    shipped_preview = await (await op.post("/console/rules/check", {"body": shipped, **choice})).text()
    assert 'data-team="senior"' in shipped_preview
    preview = await op.post("/console/rules/check", {"body": edited, **choice})
    html = await preview.text()
    assert preview.status == 200 and 'id="ok"' in html and 'data-team="finance"' in html
    assert (await op.post("/console/rules/check", {"body": edited, **choice, "tier": "gold"})).status == 422

    before = await _receive(console.runtime, "13700000001")
    assert (await _category(console.runtime, before)) == ("punctuality", "senior")

    routing = routing_of(console.runtime)
    running = routing.config
    target = console.runtime.settings.data_dir / "routing.toml"
    assert (await op.post("/console/rules/save", {"body": broken})).status == 422
    assert (await op.post("/console/rules/save", {"body": "[[rules]\n"})).status == 422
    assert routing.config is running and routing.router.config is running and not target.exists()

    saved = await op.post("/console/rules/save", {"body": edited})
    assert saved.status == 303 and "flash=rules_saved" in saved.headers["Location"]
    assert target.read_text(encoding="utf-8") == edited
    assert routing.router.config is routing.config and routing.config.source == str(target)
    assert routing.workflow._config is routing.config and routing.watcher._config is routing.config
    assert routing.scripts.directory.teams["finance"]["zh"] == "财务结算部"
    after = await _receive(console.runtime, "13700000002")  # a new customer: the first-complaint rule
    assert (await _category(console.runtime, after)) == ("punctuality", "finance")
    events = await _audit(console, "rules.saved")
    assert len(events) == 1 and events[0]["actor"] == "user:op"

    restarted = await build_runtime(Settings(data_dir=console.runtime.settings.data_dir, env={}))
    try:
        assert routing_of(restarted).config.source == str(target)
        number = await _receive(restarted, "13700000003")
        assert (await _category(restarted, number)) == ("punctuality", "finance")
    finally:
        await restarted.close()


async def _receive(runtime: Runtime, phone: str) -> str:
    """A complaint of SAMPLE from a new customer (`phone`) through the runtime's IntakeService."""
    address = uuid.uuid4().hex
    message = InboundMessage(
        channel=ChannelName.WEBCHAT,
        external_id=uuid.uuid4().hex,
        sender=Identity(ChannelName.WEBCHAT, address),
        conversation=ConversationRef(ChannelName.WEBCHAT, address),
        kind=MessageKind.TEXT,
        text=SAMPLE,
        received_at=datetime.now(UTC),
        phone=phone,
    )
    result = await runtime.intake.receive(message, force_new=True)
    assert result.complaint is not None
    return result.complaint.number


async def test_admin_validates_but_only_operator_saves(console: Console) -> None:
    admin = console.browsers["admin"]
    assert (await admin.get("/console/lexicon")).status == 200
    assert (await admin.get("/console/rules")).status == 200
    html = await (await admin.get("/console/rules")).text()
    assert "/rules/save" not in html
    assert (await admin.post("/console/lexicon/save", {"body": "x"})).status == 403
    assert (await admin.post("/console/rules/save", {"body": "x"})).status == 403
    for role in ("agent", "lead", "manager"):
        assert (await console.browsers[role].get("/console/lexicon")).status == 403
    # CSRF: the operator's save without the token is refused
    op = console.browsers["operator"]
    assert (await op.post("/console/rules/save", {"body": "x"}, csrf=False)).status == 403
    # the page is escaped: markup in the edited text comes back as text
    echoed = await (await op.post("/console/lexicon/check", {"body": "<script>alert(1)</script>"})).text()
    assert "<script>alert(1)</script>" not in echoed and "&lt;script&gt;" in echoed
    english = await (await op.get("/console/lexicon?lang=en")).text()
    assert "Validate" in english and "检查" in await (await op.get("/console/lexicon?lang=zh")).text()
