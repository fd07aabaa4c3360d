"""The intake pipeline end to end on a real runtime (SQLite store, real classifier, router and scripts)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

from intake.records import (
    ChannelName,
    ConversationRef,
    Identity,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    Severity,
    Status,
)
from tousu.bootstrap import Runtime

_ids = itertools.count()


def message(
    text: str,
    user: str = "user-1",
    channel: ChannelName = ChannelName.WEBCHAT,
    kind: MessageKind = MessageKind.TEXT,
    **extra: object,
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        external_id=f"m-{next(_ids)}",
        sender=Identity(channel, user),
        conversation=ConversationRef(channel, user),
        kind=kind,
        text=text,
        received_at=datetime.now(UTC),
        **extra,  # type: ignore[arg-type]
    )


async def test_numbers_follow_a_per_day_sequence(runtime: Runtime) -> None:
    first = await runtime.intake.receive(message("阿姨迟到了", user="a"))
    second = await runtime.intake.receive(message("保洁员打碎了杯子", user="b"))
    assert first.complaint and second.complaint
    one, two = first.complaint.number, second.complaint.number
    assert one[:12] == two[:12]
    assert int(two[-6:]) == int(one[-6:]) + 1


async def test_a_satisfaction_rating_closes_and_a_low_one_reopens(runtime: Runtime) -> None:
    for user, rating, expected in (("happy", "5", Status.CLOSED), ("unhappy", "1", Status.REOPENED)):
        made = await runtime.intake.receive(message("阿姨打扫不干净", user=user))
        assert made.complaint is not None
        async with runtime.store.transaction() as tx:
            complaint = await tx.complaints.get(made.complaint.number)
            assert complaint is not None
            complaint.status = Status.RESOLVED
            complaint.rating_requested_at = datetime.now(UTC)
            await tx.complaints.save(complaint)
        rated = await runtime.intake.receive(message(rating, user=user))
        assert rated.complaint is not None
        assert rated.complaint.number == made.complaint.number
        assert rated.complaint.satisfaction == int(rating)
        assert rated.complaint.status == expected
        assert rated.replies


async def test_a_worse_follow_up_raises_the_severity(runtime: Runtime) -> None:
    made = await runtime.intake.receive(message("阿姨今天迟到了二十分钟", user="sev"))
    assert made.complaint is not None and made.complaint.severity == Severity.NORMAL
    worse = await runtime.intake.receive(message("她走的时候把我孩子推倒了，孩子头磕破了流血", user="sev"))
    assert worse.complaint is not None and worse.complaint.number == made.complaint.number
    assert worse.complaint.severity == Severity.CRITICAL
    async with runtime.store.transaction() as tx:
        events = await tx.audit.for_complaint(made.complaint.number)
    assert "complaint.severity_raised" in [e.action for e in events]


async def test_a_phone_links_two_channels_to_one_customer(runtime: Runtime) -> None:
    await runtime.intake.receive(
        message("阿姨迟到", user="tg-1", channel=ChannelName.TELEGRAM, phone="13600136000", kind=MessageKind.TEXT)
    )
    web = await runtime.intake.receive(message("预约的保洁没人来", user="web-1"))
    assert web.complaint is not None
    await runtime.intake.receive(message("13600136000", user="web-1"))
    async with runtime.store.transaction() as tx:
        by_phone = await tx.customers.find_by_phone("13600136000")
        assert by_phone is not None
        complaints = await tx.complaints.for_customer(by_phone.id)
    assert len(complaints) == 2


async def test_cancel_withdraws_the_open_complaint(runtime: Runtime) -> None:
    made = await runtime.intake.receive(
        message("阿姨没来", user="cx", channel=ChannelName.TELEGRAM, phone="13500135000")
    )
    assert made.complaint is not None
    cancelled = await runtime.intake.receive(
        message("/cancel", user="cx", channel=ChannelName.TELEGRAM, kind=MessageKind.COMMAND)
    )
    assert cancelled.complaint is not None and cancelled.complaint.status == Status.CLOSED
    nothing = await runtime.intake.receive(
        message("/cancel", user="cx", channel=ChannelName.TELEGRAM, kind=MessageKind.COMMAND)
    )
    assert nothing.complaint is None and nothing.replies


async def test_unsubscribe_marks_the_customer_unreachable_and_replies_nothing(runtime: Runtime) -> None:
    result = await runtime.intake.receive(
        message("", user="wx", channel=ChannelName.WECHAT, kind=MessageKind.EVENT, event="unsubscribe")
    )
    assert result.replies == ()
    async with runtime.store.transaction() as tx:
        customer = await tx.customers.find_by_identity(Identity(ChannelName.WECHAT, "wx"))
    assert customer is not None and customer.reachable is False


async def test_subscribing_again_makes_the_customer_reachable(runtime: Runtime) -> None:
    for event in ("unsubscribe", "subscribe"):
        await runtime.intake.receive(
            message("", user="wx2", channel=ChannelName.WECHAT, kind=MessageKind.EVENT, event=event)
        )
    async with runtime.store.transaction() as tx:
        customer = await tx.customers.find_by_identity(Identity(ChannelName.WECHAT, "wx2"))
    assert customer is not None and customer.reachable is True


async def test_one_turns_replies_reach_the_channel_in_the_order_written(runtime: Runtime) -> None:
    sent: list[str] = []
    slow: list[str] = []

    class Recording:
        name = ChannelName.TELEGRAM

        async def start(self, on_message: object) -> None: ...

        async def send(self, outbound: OutboundMessage) -> None:
            await asyncio.sleep(0.05 if outbound.reply.text in slow else 0)  # the first is slower
            sent.append(outbound.reply.text)

        async def stop(self) -> None: ...

    runtime.dispatcher.register(Recording())
    for n in range(5):
        result = await runtime.intake.receive(message("阿姨没带工具", user=f"order{n}", channel=ChannelName.TELEGRAM))
        written = [r.reply.text for r in result.replies]
        assert len(written) == 2
        sent.clear()
        slow[:] = written[:1]
        await runtime.dispatcher.run_once()
        assert sent == written


async def test_replies_are_in_the_outbox_until_dispatched(runtime: Runtime) -> None:
    await runtime.intake.receive(message("阿姨没带工具", user="tg", channel=ChannelName.TELEGRAM))
    async with runtime.store.transaction() as tx:
        assert await tx.outbox.pending_count() == 2  # acknowledgement and the question for a phone


async def test_a_follow_up_builds_on_a_change_committed_while_it_waited(tmp_path: Path, database_url: str) -> None:
    """An agent's change (here the priority) commits while the customer's follow-up is being
    processed: the follow-up reads the complaint again under its row lock and keeps it."""
    from sqlalchemy import update

    from intake.records import Priority
    from storage.sql.schema import complaints
    from storage.sql.store import SqlStore
    from tests.integration.conftest import settings_for
    from tousu.bootstrap import build_runtime

    runtime = await build_runtime(settings_for(tmp_path, database_url=database_url))
    try:
        made = await runtime.intake.receive(message("阿姨今天迟到了二十分钟", user="race"))
        assert made.complaint is not None
        number = made.complaint.number
        store = runtime.store
        assert isinstance(store, SqlStore)
        agent = await store.engine.connect()
        transaction = await agent.begin()
        await agent.execute(
            update(complaints).where(complaints.c.number == number).values(priority=str(Priority.URGENT))
        )
        follow_up = asyncio.create_task(runtime.intake.receive(message("还有，地也没拖", user="race")))
        await asyncio.sleep(0.5)  # the turn has read the customer's complaints and waits for the row
        await transaction.commit()
        await agent.close()
        added = await follow_up
        assert added.complaint is not None and added.complaint.number == number
        async with runtime.store.transaction() as tx:
            after = await tx.complaints.get(number, with_transcript=True)
        assert after is not None and after.priority == Priority.URGENT
        assert [e.text for e in after.transcript if e.direction == "in"][-1] == "还有，地也没拖"
    finally:
        await runtime.close()
