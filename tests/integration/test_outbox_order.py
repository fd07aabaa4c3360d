"""A conversation's replies reach the customer in write order across rounds and processes
(real SQLite and PostgreSQL outbox, the test's clock).

A reply written while an earlier reply of its conversation is held back (the dispatcher's
backoff, or the platform's `retry_after`) is due at once, yet must not overtake the held
one; other conversations go on; a reply given up stops holding its conversation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from intake.dispatcher import DispatchSettings, OutboxDispatcher
from intake.errors import DeliveryError
from intake.ports import MessageHandler
from intake.records import ChannelName, ConversationRef, OutboundMessage, Reply
from storage.crypto import FieldCipher
from storage.migrate import upgrade
from storage.sql.store import SqlStore
from tests.integration.test_dispatcher import Clock, stored

BACKOFF = 10.0


class Platform:
    """A channel whose remote side fails the replies the test names, then accepts them."""

    name = ChannelName.TELEGRAM

    def __init__(self) -> None:
        self.failing: dict[str, DeliveryError] = {}  # reply text -> what the next send of it raises
        self.sent: list[tuple[str, str]] = []  # (address, text) in the order accepted
        self.tried: list[str] = []

    async def start(self, on_message: MessageHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutboundMessage) -> None:
        self.tried.append(message.reply.text)
        await asyncio.sleep(0)
        error = self.failing.pop(message.reply.text, None)
        if error is not None:
            raise error
        self.sent.append((message.conversation.address, message.reply.text))

    def texts(self, address: str = "42") -> list[str]:
        return [text for to, text in self.sent if to == address]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def clocked_store(database_url: str, cipher: FieldCipher, clock: Clock) -> AsyncIterator[SqlStore]:
    """A migrated store whose rows are written at the test clock's time."""
    await upgrade(database_url)
    sql_store = SqlStore(database_url, cipher, clock)
    try:
        yield sql_store
    finally:
        await sql_store.close()


def reply(text: str, address: str = "42", reply_id: str | None = None) -> OutboundMessage:
    conversation = ConversationRef(ChannelName.TELEGRAM, address)
    return OutboundMessage(reply_id or str(uuid.uuid4()), conversation, Reply(text), None)


def turn(address: str, *texts: str) -> list[OutboundMessage]:
    """One turn's replies, written at one time: ids that sort by position, as the pipeline's do."""
    turn_id = uuid.uuid4()
    return [reply(text, address, f"{turn_id}-{position:02d}") for position, text in enumerate(texts)]


async def write(store: SqlStore, *messages: OutboundMessage) -> None:
    async with store.transaction() as tx:
        await tx.outbox.put_all(messages)


def dispatcher(store: SqlStore, platform: Platform, clock: Clock, max_attempts: int = 8) -> OutboxDispatcher:
    settings = DispatchSettings(base_delay_seconds=BACKOFF, max_attempts=max_attempts)
    return OutboxDispatcher(store, {ChannelName.TELEGRAM: platform}, clock, settings)


HELD_BACK = {
    "backoff": (DeliveryError("HTTP 502 from platform", retryable=True), BACKOFF),
    "retry_after": (DeliveryError("429 Too Many Requests", retryable=True, retry_after_seconds=30), 30.0),
}


@pytest.mark.parametrize("how", sorted(HELD_BACK))
async def test_a_reply_written_after_a_held_one_waits_for_it(clocked_store: SqlStore, clock: Clock, how: str) -> None:
    platform = Platform()
    error, wait = HELD_BACK[how]
    platform.failing["受理确认"] = error
    acknowledgement = reply("受理确认")
    await write(clocked_store, acknowledgement)
    held_at = clock.at
    assert await dispatcher(clocked_store, platform, clock).run_once() == 1  # held back until held_at + wait

    clock.at += timedelta(seconds=1)
    answer, elsewhere = reply("客服答复"), reply("另一位客户", address="77")
    await write(clocked_store, answer, elsewhere)  # both due at once
    one, other_process = dispatcher(clocked_store, platform, clock), dispatcher(clocked_store, platform, clock)
    assert await one.run_once() == 1  # only the other conversation's reply
    assert await other_process.run_once() == 0
    assert platform.sent == [("77", "另一位客户")]
    assert platform.tried == ["受理确认", "另一位客户"]  # the answer was never tried past the acknowledgement
    assert await stored(clocked_store, answer) == (None, 0, "pending")

    clock.at = held_at + timedelta(seconds=wait)
    assert await one.run_once() == 2
    assert platform.texts() == ["受理确认", "客服答复"]  # in write order, each once
    clock.at += timedelta(hours=1)
    assert await one.run_once() == 0 and await other_process.run_once() == 0
    assert platform.tried == ["受理确认", "另一位客户", "受理确认", "客服答复"]


async def test_a_given_up_reply_stops_holding_its_conversation(clocked_store: SqlStore, clock: Clock) -> None:
    platform = Platform()
    first = reply("第一条")
    await write(clocked_store, first)
    dispatch = dispatcher(clocked_store, platform, clock, max_attempts=2)
    platform.failing["第一条"] = DeliveryError("HTTP 502", retryable=True)
    assert await dispatch.run_once() == 1  # attempt 1 failed, retry in 10 s

    clock.at += timedelta(seconds=1)
    second = reply("第二条")
    await write(clocked_store, second)
    assert await dispatch.run_once() == 0  # behind the first

    clock.at += timedelta(seconds=BACKOFF)
    platform.failing["第一条"] = DeliveryError("HTTP 502", retryable=True)
    assert await dispatch.run_once() == 2  # attempt 2 failed: given up, and the second goes at once
    assert (await stored(clocked_store, first))[1:] == (2, "dead")
    assert platform.texts() == ["第二条"]
    clock.at += timedelta(hours=1)
    assert await dispatch.run_once() == 0
    async with clocked_store.transaction() as tx:
        assert await tx.outbox.pending_count() == 0


async def test_an_undeliverable_reply_does_not_hold_the_ones_written_with_it(
    clocked_store: SqlStore, clock: Clock
) -> None:
    platform = Platform()
    platform.failing["坏的"] = DeliveryError("chat not found", retryable=False, callback_needed=True)
    await write(clocked_store, *turn("42", "坏的", "好的"))
    assert await dispatcher(clocked_store, platform, clock).run_once() == 2
    assert platform.texts() == ["好的"]


async def test_a_passive_reply_is_not_taken_past_an_earlier_pending_one(clocked_store: SqlStore, clock: Clock) -> None:
    earlier, later = reply("早"), reply("晚")
    await write(clocked_store, earlier)
    clock.at += timedelta(seconds=1)
    await write(clocked_store, later)
    async with clocked_store.transaction() as tx:
        assert await tx.outbox.claim(later.id, clock.now(), 30) is None
        assert await tx.outbox.claim(earlier.id, clock.now(), 30) is not None
        await tx.outbox.mark_sent(earlier.id, clock.now(), via="passive")
        taken = await tx.outbox.claim(later.id, clock.now(), 30)
    assert taken is not None and taken.id == later.id


async def test_two_dispatchers_keep_each_conversations_order(clocked_store: SqlStore, clock: Clock) -> None:
    platform = Platform()
    written: dict[str, list[str]] = {}
    for number in range(4):
        for address in ("1", "2", "3"):
            texts = [f"{address}-{number}-{position}" for position in range(2)]
            written.setdefault(address, []).extend(texts)
            await write(clocked_store, *turn(address, *texts))
            clock.at += timedelta(milliseconds=1)
    platform.failing["2-1-0"] = DeliveryError("HTTP 502", retryable=True)
    first, second = dispatcher(clocked_store, platform, clock), dispatcher(clocked_store, platform, clock)
    for _ in range(3):
        await asyncio.gather(first.run_once(), second.run_once())
        clock.at += timedelta(seconds=BACKOFF)
    for address, texts in written.items():
        assert platform.texts(address) == texts
