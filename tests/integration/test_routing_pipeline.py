"""Routing through the real pipeline: repeats across channels, reasons in JSON and audit, notices, SLA timers."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind, Priority, Status
from tousu.bootstrap import Runtime
from tousu.routing_wiring import routing_of

_ids = itertools.count()


def message(text: str, user: str, channel: ChannelName, **extra: object) -> InboundMessage:
    unionid = extra.pop("unionid", None)
    return InboundMessage(
        channel=channel,
        external_id=f"rp-{next(_ids)}",
        sender=Identity(channel, user, unionid=unionid),  # type: ignore[arg-type]
        conversation=ConversationRef(channel, user),
        kind=MessageKind.TEXT,
        text=text,
        received_at=datetime.now(UTC),
        **extra,  # type: ignore[arg-type]
    )


async def _quiet_for_hours(runtime: Runtime, number: str) -> None:
    async with runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number)
        assert complaint is not None
        complaint.last_message_at = datetime.now(UTC) - timedelta(hours=3)
        await tx.complaints.save(complaint)


async def test_repeat_across_two_channels_by_phone(runtime: Runtime) -> None:
    first = await runtime.intake.receive(
        message("阿姨打扫得很马虎，厨房没擦", "tg-7", ChannelName.TELEGRAM, phone="13700137000")
    )
    assert first.complaint is not None and first.complaint.repeat_of is None
    await _quiet_for_hours(runtime, first.complaint.number)  # past the follow-up window: a new complaint
    again = await runtime.intake.receive(
        message("上次的问题还没解决，阿姨又没打扫干净", "web-7", ChannelName.WEBCHAT, phone="13700137000")
    )
    complaint = again.complaint
    assert complaint is not None and complaint.customer_id == first.complaint.customer_id
    assert complaint.repeat_of == first.complaint.number
    assert complaint.team == "management"
    assert complaint.priority.rank > first.complaint.priority.rank
    reason = f"重复投诉 {first.complaint.number} → 管理层"
    assert reason in complaint.to_json()["routing_reasons"]
    async with runtime.store.transaction() as tx:
        events = await tx.audit.for_complaint(complaint.number)
    routed = next(e for e in events if e.action == "complaint.routed")
    assert reason in routed.data["reasons"] and routed.data["notify"] == ["wang.jian"]


async def test_repeat_across_wechat_and_wecom_by_unionid(runtime: Runtime) -> None:
    first = await runtime.intake.receive(
        message("预约好的保洁今天没人来", "oa-openid", ChannelName.WECHAT, unionid="union-42")
    )
    assert first.complaint is not None
    async with runtime.store.transaction() as tx:  # the first complaint was closed ten days ago
        done = await tx.complaints.get(first.complaint.number)
        assert done is not None
        done.status, done.updated_at = Status.CLOSED, datetime.now(UTC) - timedelta(days=10)
        await tx.complaints.save(done)
    again = await runtime.intake.receive(
        message("又没人来上门，太耽误事了", "wecom-user", ChannelName.WECOM, unionid="union-42")
    )
    assert again.complaint is not None
    assert again.complaint.repeat_of == first.complaint.number and again.complaint.team == "management"


async def test_new_complaint_notifies_and_starts_timers(runtime: Runtime) -> None:
    routing = routing_of(runtime)
    async with runtime.coordination.bus.subscribe("console:notices") as feed:
        made = await runtime.intake.receive(
            message("阿姨把我家的花瓶打碎了，要求赔偿", "web-9", ChannelName.WEBCHAT, phone="13900139000")
        )
        await routing.settle()
        notices = [await anext(feed), await anext(feed)]
    assert made.complaint is not None
    number = made.complaint.number
    assert {n["kind"] for n in notices} == {"assigned", "escalated"}
    assert all(n["number"] == number for n in notices)
    due = made.complaint.sla.first_response_due
    assert due is not None and await runtime.coordination.timers.next_due() is not None
    stored = await routing.workflow.record_first_response(number, made.complaint.assignee or "agent")
    assert stored.status is Status.IN_PROGRESS
    data = stored.to_json()
    assert data["sla"]["first_response_at"] is not None
    assert data["escalations"][0]["action"] == "escalate_lead"
    assert made.complaint.priority in (Priority.HIGH, Priority.URGENT, Priority.NORMAL)


async def test_transcript_records_the_script_version_sent(runtime: Runtime) -> None:
    routing = routing_of(runtime)
    body = "{{ salutation }}好，{{ category_words }}，编号 {{ number }}，{{ team_name }}会{{ response_when }}联系您。"
    saved = await routing.scripts.save("acknowledgement.billing", body, author="ops")
    assert saved.version == 2
    made = await runtime.intake.receive(message("多收了我两百块钱，要求退款", "web-11", ChannelName.WEBCHAT))
    assert made.complaint is not None
    async with runtime.store.transaction() as tx:
        stored = await tx.complaints.get(made.complaint.number)
    assert stored is not None
    sent = [entry for entry in stored.transcript if entry.template is not None]
    assert [e.direction for e in stored.transcript] == ["in", "out", "out"]
    assert (sent[0].template, sent[0].template_version) == ("acknowledgement.billing.zh", 2)
    assert made.complaint.number in sent[0].text and "资深客服" in sent[0].text  # a first complaint


async def test_low_ratings_reopen_and_the_second_reopen_goes_to_management(runtime: Runtime) -> None:
    routing = routing_of(runtime)
    made = await runtime.intake.receive(
        message("阿姨态度很差，还顶嘴", "web-13", ChannelName.WEBCHAT, phone="13300133000")
    )
    assert made.complaint is not None
    number = made.complaint.number
    await routing.settle()
    for round_ in (1, 2):
        resolved = await routing.workflow.resolve(number, "agent", "已致歉并更换阿姨")
        async with runtime.store.transaction() as tx:  # the rating request went out
            complaint = await tx.complaints.get(number)
            assert complaint is not None
            complaint.rating_requested_at = datetime.now(UTC)
            await tx.complaints.save(complaint)
        rated = await runtime.intake.receive(message("1", "web-13", ChannelName.WEBCHAT))
        assert rated.complaint is not None and rated.complaint.status is Status.REOPENED
        await routing.settle()
        async with runtime.store.transaction() as tx:
            after = await tx.complaints.get(number)
        assert after is not None and after.reopen_count == round_
        assert after.sla.resolved_at is None and after.sla.report_due is not None
        assert resolved.sla.report_due is not None and after.sla.report_due >= resolved.sla.report_due
    assert after.team == "management" and "已重开2次 → 管理层" in after.routing_reasons
    async with runtime.store.transaction() as tx:
        actions = [e.action for e in await tx.audit.for_complaint(number)]
    assert actions.count("complaint.reopen_routed") == 2
