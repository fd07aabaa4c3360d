"""Reply scripts: the fallback chain, missing variables, the sandbox, versions, operator files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake.errors import ConfigError, InvalidInput
from intake.ports import Purpose, ScriptContext
from intake.records import Category, ChannelName, Severity
from router import load_scripts
from router.scripts import ScriptKey, promise, salutation
from storage.memory_routing import MemoryScriptRepository
from tests.unit.router.helpers import FixedClock

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _context(**kwargs: object) -> ScriptContext:
    fields: dict[str, object] = {"purpose": Purpose.ACKNOWLEDGEMENT, "variables": {}} | kwargs
    return ScriptContext(**fields)  # type: ignore[arg-type]


def test_fallback_chain_order() -> None:
    key = ScriptKey(Purpose.ACKNOWLEDGEMENT, Category.DAMAGE, Severity.SERIOUS, ChannelName.WECHAT, "en")
    chain = [str(k) for k in key.fallbacks()]
    assert chain[:3] == [
        "acknowledgement.damage.serious.wechat.en",
        "acknowledgement.damage.serious.en",
        "acknowledgement.damage.wechat.en",
    ]
    assert chain.index("acknowledgement.damage.en") < chain.index("acknowledgement.serious.en")
    assert chain[7] == "acknowledgement.en" and chain[-1] == "acknowledgement.zh"


@pytest.mark.parametrize(
    ("category", "severity", "locale", "template"),
    [
        (Category.DAMAGE, Severity.NORMAL, "zh", "acknowledgement.damage.zh"),
        (Category.DAMAGE, Severity.CRITICAL, "zh", "acknowledgement.damage.zh"),  # category is the stronger key
        (Category.SAFETY, Severity.CRITICAL, "zh", "acknowledgement.critical.zh"),
        (Category.TOOLS, Severity.NORMAL, "zh", "acknowledgement.zh"),
        (Category.TOOLS, Severity.NORMAL, "fr", "acknowledgement.zh"),  # unknown locale → Chinese
    ],
)
def test_most_specific_shipped_script_wins(category: Category, severity: Severity, locale: str, template: str) -> None:
    reply = load_scripts().render(_context(category=category, severity=severity, locale=locale))
    assert reply.template == template


def test_missing_variables_render_neutral_text() -> None:
    reply = load_scripts().render(_context(channel=ChannelName.WECHAT))
    assert reply.text.startswith("您好")
    assert "尽快" in reply.text and "我们的客服团队" in reply.text
    assert "{{" not in reply.text and "None" not in reply.text and "投诉编号" not in reply.text


def test_salutation_and_promise_words() -> None:
    assert salutation("王芳", "女士") == "王女士"
    assert salutation("欧阳娜娜", "小姐") == "欧阳女士"
    assert salutation("王芳", None) == "您" and salutation(None, "先生") == "您"
    assert salutation("Li Lei", "mr", "en") == "Mr Lei"
    tz = load_scripts().directory.tz
    assert promise("2026-11-23T03:30:00+00:00", AT, tz) == "30分钟内"
    assert promise("2026-11-24T03:00:00+00:00", AT, tz) == "24小时内"
    assert promise(None, AT, tz) == "尽快"


async def test_operator_versions_fallbacks_and_broken_scripts() -> None:
    repository = MemoryScriptRepository()
    book = load_scripts(repository, clock=FixedClock(AT))
    saved = await book.save("acknowledgement.tools.wechat", "{{ salutation }}好，工具的事我们{{ response_when }}处理。")
    assert saved.version == 1  # a key with no shipped script starts at 1
    wechat = book.render(_context(category=Category.TOOLS, channel=ChannelName.WECHAT))
    assert (wechat.template, wechat.template_version) == ("acknowledgement.tools.wechat.zh", 1)
    assert wechat.text == "您好，工具的事我们尽快处理。"
    webchat = book.render(_context(category=Category.TOOLS, channel=ChannelName.WEBCHAT))
    assert webchat.template == "acknowledgement.zh"
    # A script that fails at render time (sandbox refusal) falls back to the next one.
    await repository.save("acknowledgement.tools.zh", "{{ number.__class__.__mro__ }}", AT)
    await book.reload()
    refused = book.render(_context(category=Category.TOOLS, variables={"number": "TS-1"}))
    assert refused.template == "acknowledgement.zh"
    with pytest.raises(InvalidInput) as bad:
        await book.save("status", "{% for c in complaints %}{{ c.number }")
    assert "syntax error" in str(bad.value)


async def test_every_save_keeps_the_shipped_text_as_version_one() -> None:
    repository = MemoryScriptRepository()
    book = load_scripts(repository, clock=FixedClock(AT))
    shipped = book.get("thanks")
    assert shipped is not None
    await book.save("thanks", "不客气！", author="ops")
    await book.save("thanks", "不客气，随时联系我们。", author="ops")
    history = await book.history("thanks")
    assert [(v.version, v.body) for v in history] == [
        (1, shipped.body),
        (2, "不客气！"),
        (3, "不客气，随时联系我们。"),
    ]
    reply = book.render(ScriptContext(Purpose.THANKS))
    assert (reply.template, reply.template_version) == ("thanks.zh", 3)


def test_operator_scripts_file(tmp_path: Path) -> None:
    path = tmp_path / "scripts.toml"
    path.write_text('[scripts."greeting.wechat"]\nbody = "{{ salutation }}好，这里是{{ company }}。"\n', "utf-8")
    book = load_scripts(scripts_path=path, company={"zh": "好帮手家政"})
    reply = book.render(ScriptContext(Purpose.GREETING, channel=ChannelName.WECHAT))
    assert reply.text == "您好，这里是好帮手家政。" and reply.template == "greeting.wechat.zh"
    path.write_text('[scripts."greeting"]\nbody = "{{ salutaton }}好"\n', "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_scripts(scripts_path=path)
    assert f"{path}: greeting.zh: unknown variable {{{{ salutaton }}}}" in str(caught.value)
