"""Working a ticket in the console: reply through the outbox, notes, follow-ups, corrections,
resolve with the rating request, a low rating reopens, merge, link, escaping."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind, Status
from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore
from tests.integration.console.conftest import Console

XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">阿姨打碎了花瓶'


async def _complaint(console: Console, text: str = "阿姨迟到了两个小时，还把花瓶打碎了") -> str:
    number = await console.complaint(text)
    await console.assign(number, "customer_service", "zhang.min")
    return number


async def _get(console: Console, number: str):
    async with console.runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number)
    assert complaint is not None
    return complaint


async def test_the_record_form_shows_every_part(console: Console) -> None:
    number = await _complaint(console)
    page = await console.browsers["agent"].get(f"/console/tickets/{number}")
    assert page.status == 200
    html = await page.text()
    for part in (
        "投诉处理记录表",
        number,
        "花瓶",
        "分派原因",
        "SLA",
        "跟进步骤",
        "内部备注",
        "事实",
        "主观判断",
        "合并重复工单",
        "关联订单与服务人员",
        "办结",
    ):
        assert part in html, part
    assert 'name="csrf"' in html


async def test_payloads_in_a_complaint_render_as_text(console: Console) -> None:
    number = await _complaint(console, XSS)
    for path in (f"/console/tickets/{number}", "/console/queue"):
        html = await (await console.browsers["agent"].get(path)).text()
        assert "<script>window.__pwned" not in html
        assert "<img src=x onerror" not in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html or "&lt;script&gt;" in html
    response = await console.browsers["agent"].get(f"/console/tickets/{number}")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_a_reply_goes_to_the_outbox_of_the_customers_channel(console: Console) -> None:
    number = await _complaint(console)
    browser = console.browsers["agent"]
    response = await browser.post(f"/console/tickets/{number}/reply", {"text": "您好，我们明天上午上门处理。"})
    assert response.status == 303
    complaint = await _get(console, number)
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.sla.first_response_at is not None and complaint.sla.first_feedback_at is not None
    out = [e for e in complaint.transcript if e.direction == "out" and e.author == "user:zhang.min"]
    assert out and out[-1].text == "您好，我们明天上午上门处理。"
    now = datetime.now(UTC)
    async with console.runtime.store.transaction() as tx:
        due = await tx.outbox.claim_due(now, 50, 30)
        while due and not any(m.reply.text == "您好，我们明天上午上门处理。" for m in due):
            for earlier in due:  # the replies written before it (the acknowledgement) go out first
                await tx.outbox.mark_sent(earlier.id, now)
            due = await tx.outbox.claim_due(now, 50, 30)
    sent = [m for m in due if m.complaint_number == number and m.reply.text == "您好，我们明天上午上门处理。"]
    assert sent and sent[0].conversation.channel == ChannelName.WEBCHAT
    assert (await browser.post(f"/console/tickets/{number}/reply", {"text": "  "})).status == 422


async def test_notes_followups_link_and_correction(console: Console) -> None:
    # A plain lateness complaint, so that damage/serious below is a real correction.
    number = await _complaint(console, "阿姨迟到了两个小时，电话也不接")
    browser = console.browsers["agent"]
    base = f"/console/tickets/{number}"
    assert (await browser.post(base + "/notes", {"kind": "fact", "text": "已电话核实阿姨迟到"})).status == 303
    assert (await browser.post(base + "/notes", {"kind": "opinion", "text": "客户情绪激动"})).status == 303
    assert (await browser.post(base + "/notes", {"kind": "guess", "text": "x"})).status == 422
    assert (
        await browser.post(base + "/followups", {"text": "上门评估", "owner": "zhang.min", "due": "2026-12-02T10:00"})
    ).status == 303
    assert (await browser.post(base + "/link", {"order_ref": "DD20261201001", "worker_ref": "李阿姨"})).status == 303
    assert (await browser.post(base + "/classify", {"category": "damage", "severity": "serious"})).status == 303
    assert isinstance(console.runtime.store, SqlStore)
    async with SqlConsoleStore(console.runtime.store).transaction() as tx:
        notes = await tx.worklog.notes(number)
        steps = await tx.worklog.followups(number)
        corrections = await tx.worklog.corrections()
        events = [e.action for e in await tx.audit.for_complaint(number)]
    assert [(str(n.kind), n.text) for n in notes] == [("fact", "已电话核实阿姨迟到"), ("opinion", "客户情绪激动")]
    assert steps[0].owner == "zhang.min" and steps[0].due_at is not None
    assert (await browser.post(base + f"/followups/{steps[0].id}/done")).status == 303
    assert (await browser.post(base + f"/followups/{steps[0].id}/done")).status == 404
    assert corrections[-1].category == "damage" and corrections[-1].text.startswith("阿姨迟到")
    complaint = await _get(console, number)
    assert complaint.order_ref == "DD20261201001" and complaint.worker_ref == "李阿姨"
    assert (complaint.category, complaint.severity) == ("damage", "serious")
    for action in ("complaint.note_added", "complaint.followup_added", "complaint.linked", "complaint.reclassified"):
        assert action in events


async def test_resolve_asks_for_a_rating_and_a_low_rating_reopens(console: Console) -> None:
    address = uuid.uuid4().hex
    number = await console.complaint("保洁很马虎，地没拖干净", address=address)
    await console.assign(number, "customer_service", "zhang.min")
    browser = console.browsers["agent"]
    base = f"/console/tickets/{number}"
    response = await browser.post(
        base + "/resolve", {"resolution": "安排免费返工一次", "compensation": "赠送2小时保洁"}
    )
    assert response.status == 303
    complaint = await _get(console, number)
    assert complaint.status == Status.RESOLVED and complaint.rating_requested_at is not None
    texts = [e.text for e in complaint.transcript if e.direction == "out"]
    assert any("安排免费返工一次" in t for t in texts) and any("1 分" in t or "打个分" in t for t in texts)
    rating = InboundMessage(
        channel=ChannelName.WEBCHAT,
        external_id=uuid.uuid4().hex,
        sender=Identity(ChannelName.WEBCHAT, address),
        conversation=ConversationRef(ChannelName.WEBCHAT, address),
        kind=MessageKind.TEXT,
        text="1",
        received_at=datetime.now(UTC),
    )
    await console.runtime.intake.receive(rating)
    complaint = await _get(console, number)
    assert complaint.status == Status.REOPENED and complaint.satisfaction == 1
    # resolve again after the reopen: a fresh rating is asked for
    assert (await browser.post(base + "/resolve", {"resolution": "经理亲自上门致歉并返工"})).status == 303
    complaint = await _get(console, number)
    assert complaint.status == Status.RESOLVED and complaint.satisfaction is None


async def test_illegal_status_change_is_a_conflict(console: Console) -> None:
    number = await _complaint(console)
    browser = console.browsers["agent"]
    assert (await browser.post(f"/console/tickets/{number}/status", {"status": "closed"})).status == 303
    response = await browser.post(f"/console/tickets/{number}/status", {"status": "in_progress"})
    assert response.status == 409
    assert (await browser.post(f"/console/tickets/{number}/status", {"status": "bogus"})).status == 422


async def test_merge_a_duplicate(console: Console) -> None:
    first = await _complaint(console)
    second = await _complaint(console, "同一件事：阿姨迟到两个小时")
    browser = console.browsers["agent"]
    response = await browser.post(f"/console/tickets/{second}/merge", {"target": first})
    assert response.status == 303 and first in response.headers["Location"]
    merged = await _get(console, second)
    assert merged.status == Status.CLOSED and merged.repeat_of == first
    page = await (await browser.get(f"/console/tickets/{first}")).text()
    assert second in page
    third = await console.complaint("另一件事", address="same-customer")
    fourth = await console.complaint("又一件事", address="same-customer")
    for number in (third, fourth):
        await console.assign(number, "customer_service", "zhang.min")
    other = await (await browser.get(f"/console/tickets/{fourth}")).text()
    assert third in other.split('id="other-complaints"')[1].split("</dd>")[0]
    assert (await browser.post(f"/console/tickets/{first}/merge", {"target": first})).status == 422


async def test_queue_lists_sorts_and_filters(console: Console) -> None:
    mine = await _complaint(console)
    other = await console.complaint("调度派错了阿姨")
    await console.assign(other, "dispatch", "wu.lei")
    html = await (await console.browsers["agent"].get("/console/queue")).text()
    assert mine in html and other not in html
    html = await (await console.browsers["manager"].get("/console/queue")).text()
    assert mine in html and other in html
    html = await (await console.browsers["manager"].get("/console/queue?status=closed")).text()
    assert mine not in html
    assert (await console.browsers["manager"].get("/console/queue?severity=awful")).status == 400
    rows = await (await console.browsers["lead"].get("/console/queue/rows?view=team")).text()
    assert mine in rows and re.search(r'data-count="pending">\d+', rows)
    assert (await console.browsers["other_agent"].get(f"/console/tickets/{mine}")).status == 403


async def test_escalation_raises_priority_and_tells_the_customer(console: Console) -> None:
    number = await _complaint(console)
    before = await _get(console, number)
    lead = console.browsers["lead"]
    response = await lead.post(f"/console/tickets/{number}/escalate", {"reason": "客户要求经理出面", "notify": "1"})
    assert response.status == 303
    after = await _get(console, number)
    assert after.priority.rank == min(before.priority.rank + 1, 3)
    assert any(
        e.author == "user:chen.jing" and e.template and "escalation_notice" in e.template for e in after.transcript
    )
    assert (await console.browsers["agent"].post(f"/console/tickets/{number}/escalate", {"reason": "x"})).status == 403


async def test_an_edited_script_reply_is_not_recorded_as_the_script(console: Console) -> None:
    number = await _complaint(console)
    browser = console.browsers["agent"]
    page = await (await browser.get(f"/console/tickets/{number}")).text()
    found = re.search(r'<textarea name="text" id="reply-text"[^>]*>([^<]*)</textarea>', page)
    assert found is not None
    import html as html_module

    script_text = html_module.unescape(found.group(1))
    await browser.post(
        f"/console/tickets/{number}/reply", {"text": script_text, "template": "status.zh", "template_version": "1"}
    )
    await browser.post(
        f"/console/tickets/{number}/reply",
        {"text": script_text + "（补充）", "template": "status.zh", "template_version": "1"},
    )
    complaint = await _get(console, number)
    mine = [e for e in complaint.transcript if e.author == "user:zhang.min"]
    assert [e.template for e in mine] == ["status.zh", None]
