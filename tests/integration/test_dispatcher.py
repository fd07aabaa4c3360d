"""The outbox dispatcher on a real store (SQLite and PostgreSQL).

The channel here is a port implementation of the test's own standing in for a remote
platform (it records what it was asked to send and fails on request); the store, the
leases and the retries are the real ones.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from intake.dispatcher import DispatchSettings, OutboxDispatcher
from intake.errors import DeliveryError
from intake.ports import MessageHandler
from intake.records import ChannelName, ConversationRef, OutboundMessage, Reply
from storage.sql.schema import outbox
from storage.sql.store import SqlStore


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class PlatformStandIn:
    """A channel whose remote side fails `failures` times, then accepts."""

    name = ChannelName.TELEGRAM

    def __init__(self, failures: int = 0, retryable: bool = True, retry_after: float | None = None) -> None:
        self.failures = failures
        self.retryable = retryable
        self.retry_after = retry_after
        self.sent: list[str] = []
        self.attempts = 0

    async def start(self, on_message: MessageHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutboundMessage) -> None:
        self.attempts += 1
        await asyncio.sleep(0)
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError(
                "HTTP 502 from platform",
                retryable=self.retryable,
                callback_needed=True,
                retry_after_seconds=self.retry_after,
            )
        self.sent.append(message.id)


def outbound(text: str = "您好") -> OutboundMessage:
    return OutboundMessage(str(uuid.uuid4()), ConversationRef(ChannelName.TELEGRAM, "42"), Reply(text), None)


async def queue(store: SqlStore, *messages: OutboundMessage) -> None:
    async with store.transaction() as tx:
        for message in messages:
            await tx.outbox.put(message)


async def test_due_replies_are_sent_once(store: SqlStore) -> None:
    clock, channel = Clock(), PlatformStandIn()
    messages = [outbound(f"reply {i}") for i in range(5)]
    await queue(store, *messages)
    dispatcher = OutboxDispatcher(store, {ChannelName.TELEGRAM: channel}, clock)
    assert await dispatcher.run_once() == 5
    assert await dispatcher.run_once() == 0
    assert sorted(channel.sent) == sorted(m.id for m in messages)
    async with store.transaction() as tx:
        assert await tx.outbox.pending_count() == 0


async def test_failures_are_retried_with_backoff_then_sent(store: SqlStore) -> None:
    clock, channel = Clock(), PlatformStandIn(failures=2)
    message = outbound()
    await queue(store, message)
    dispatcher = OutboxDispatcher(
        store, {ChannelName.TELEGRAM: channel}, clock, DispatchSettings(base_delay_seconds=10)
    )
    assert await dispatcher.run_once() == 1  # fails, retry in 10 s
    assert await dispatcher.run_once() == 0  # not due yet
    clock.at += timedelta(seconds=11)
    assert await dispatcher.run_once() == 1  # fails again, retry in 20 s
    clock.at += timedelta(seconds=15)
    assert await dispatcher.run_once() == 0
    clock.at += timedelta(seconds=6)
    assert await dispatcher.run_once() == 1
    assert channel.sent == [message.id]
    assert channel.attempts == 3


async def stored(store: SqlStore, message: OutboundMessage) -> tuple[datetime | None, int, str]:
    """The outbox row's next-attempt time, failed attempts and status."""
    async with store.engine.connect() as connection:
        row = (
            await connection.execute(
                select(outbox.c.not_before, outbox.c.attempts, outbox.c.status).where(outbox.c.id == message.id)
            )
        ).one()
    return row.not_before, row.attempts, row.status


@pytest.mark.parametrize("wait", [90.0, 2.5])  # longer and shorter than the dispatcher's own backoff (10 s)
async def test_the_platforms_wait_sets_the_next_attempt_and_later_replies_wait_behind_it(
    store: SqlStore, wait: float
) -> None:
    clock, channel = Clock(), PlatformStandIn(failures=1, retry_after=wait)
    first, second = outbound("第一条"), outbound("第二条")
    await queue(store, first, second)
    dispatcher = OutboxDispatcher(
        store, {ChannelName.TELEGRAM: channel}, clock, DispatchSettings(base_delay_seconds=10)
    )
    failed_at = clock.at
    assert await dispatcher.run_once() == 1  # the second is not claimable behind the first
    assert channel.attempts == 1 and channel.sent == []
    due = failed_at + timedelta(seconds=wait)
    assert await stored(store, first) == (due, 0, "pending")  # a requested wait is no failed attempt
    assert await stored(store, second) == (None, 0, "pending")  # untouched: it waits behind the first
    clock.at = due - timedelta(milliseconds=1)
    assert await dispatcher.run_once() == 0
    assert channel.attempts == 1
    clock.at = due
    assert await dispatcher.run_once() == 2
    assert channel.sent == [first.id, second.id]  # each once, in order
    assert await dispatcher.run_once() == 0 and channel.attempts == 3


async def test_a_permanent_failure_is_not_retried(store: SqlStore) -> None:
    clock, channel = Clock(), PlatformStandIn(failures=1, retryable=False)
    await queue(store, outbound())
    dispatcher = OutboxDispatcher(store, {ChannelName.TELEGRAM: channel}, clock)
    await dispatcher.run_once()
    clock.at += timedelta(hours=1)
    assert await dispatcher.run_once() == 0
    assert channel.sent == []
    async with store.transaction() as tx:
        assert await tx.outbox.pending_count() == 0


async def test_two_dispatchers_never_send_a_reply_twice(store: SqlStore) -> None:
    clock, channel = Clock(), PlatformStandIn()
    messages = [outbound(str(i)) for i in range(30)]
    await queue(store, *messages)
    settings = DispatchSettings(batch_size=7)
    first = OutboxDispatcher(store, {ChannelName.TELEGRAM: channel}, clock, settings)
    second = OutboxDispatcher(store, {ChannelName.TELEGRAM: channel}, clock, settings)
    for _ in range(6):
        await asyncio.gather(first.run_once(), second.run_once())
    assert sorted(channel.sent) == sorted(m.id for m in messages)
    assert len(channel.sent) == len(set(channel.sent))


async def test_unsent_replies_are_picked_up_by_a_new_dispatcher_after_a_restart(store: SqlStore) -> None:
    clock = Clock()
    message = outbound()
    await queue(store, message)
    crashed = OutboxDispatcher(store, {}, clock)  # this process never got to send
    del crashed
    channel = PlatformStandIn()
    restarted = OutboxDispatcher(store, {ChannelName.TELEGRAM: channel}, clock)
    await restarted.start()
    restarted.wake()
    for _ in range(100):
        if channel.sent:
            break
        await asyncio.sleep(0.02)
    await restarted.stop()
    assert channel.sent == [message.id]


class HeldPlatform(PlatformStandIn):
    """A platform whose send waits until the test releases it (or forever)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, message: OutboundMessage) -> None:
        self.entered.set()
        await self.release.wait()
        self.sent.append(message.id)


async def test_stop_lets_the_current_round_finish_so_a_sent_reply_is_not_sent_again(store: SqlStore) -> None:
    clock, channel = Clock(), HeldPlatform()
    message = outbound()
    await queue(store, message)
    dispatcher = OutboxDispatcher(store, {ChannelName.TELEGRAM: channel}, clock)
    await dispatcher.start()
    dispatcher.wake()
    await asyncio.wait_for(channel.entered.wait(), 30)
    stopping = asyncio.create_task(dispatcher.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the send in flight …
    channel.release.set()
    await asyncio.wait_for(stopping, 30)  # … and then returns
    assert channel.sent == [message.id]
    async with store.transaction() as tx:
        assert await tx.outbox.pending_count() == 0  # marked sent: a restart will not send it again


async def test_stop_does_not_hang_on_a_send_that_never_returns(store: SqlStore) -> None:
    clock, channel = Clock(), HeldPlatform()
    message = outbound()
    await queue(store, message)
    dispatcher = OutboxDispatcher(
        store, {ChannelName.TELEGRAM: channel}, clock, DispatchSettings(stop_grace_seconds=0.2)
    )
    await dispatcher.start()
    dispatcher.wake()
    await asyncio.wait_for(channel.entered.wait(), 30)
    await asyncio.wait_for(dispatcher.stop(), 30)
    assert channel.sent == []
    async with store.transaction() as tx:
        assert await tx.outbox.pending_count() == 1  # still in the outbox for the next start


async def test_stop_of_an_idle_dispatcher_returns_and_it_can_start_again(store: SqlStore) -> None:
    clock, channel = Clock(), PlatformStandIn()
    dispatcher = OutboxDispatcher(store, {ChannelName.TELEGRAM: channel}, clock, DispatchSettings(idle_poll_seconds=60))
    await dispatcher.start()
    await asyncio.wait_for(dispatcher.stop(), 30)
    await dispatcher.stop()  # twice is harmless
    message = outbound()
    await queue(store, message)
    await dispatcher.start()
    dispatcher.wake()
    for _ in range(200):
        if channel.sent:
            break
        await asyncio.sleep(0.02)
    await dispatcher.stop()
    assert channel.sent == [message.id]
