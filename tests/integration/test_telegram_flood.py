"""Telegram's flood control through the real stack: the loopback fake Bot API answers
sendMessage with 429 and `parameters.retry_after`, python-telegram-bot raises `RetryAfter`,
the channel turns it into a retryable `DeliveryError` with the wait, and the outbox
dispatcher (on the real SQLite outbox) holds the reply until exactly then, and the later
replies of the same chat wait behind it. Telegram's 429 holds the whole bot: no other chat is
called before then either, while the web chat goes on. The clock is the test's: nothing here depends on wall-clock time.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from telegram.error import RetryAfter

from bots.telegram import retry_after_seconds
from intake.records import ChannelName, ConversationRef, OutboundMessage, Reply
from storage.sql.schema import outbox
from storage.sql.store import SqlStore
from tests.integration.test_telegram import COMPLAINT, HEADERS, USER, settings
from tests.telegram_fake import FakeTelegram
from tousu.bootstrap import Runtime, build_runtime
from tousu.web import create_app


class Clock:
    """The test's clock: it moves only when the test moves it."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def _rows(runtime: Runtime) -> list[Any]:
    """The outbox rows (id, next-attempt time, failed attempts, status) in the order written."""
    assert isinstance(runtime.store, SqlStore)
    async with runtime.store.engine.connect() as connection:
        query = select(outbox.c.id, outbox.c.not_before, outbox.c.attempts, outbox.c.status).order_by(outbox.c.id)
        return list((await connection.execute(query)).all())


def _sent(fake: FakeTelegram) -> list[tuple[int, str]]:
    return [(call.status, str(call.params["text"])) for call in fake.called("sendMessage")]


def _update(update_id: int, user: dict[str, Any]) -> str:
    """A Telegram update: `user` writes the complaint in their private chat."""
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message = {"message_id": update_id, "date": 1764547200, "chat": chat, "from": user, "text": COMPLAINT}
    return json.dumps({"update_id": update_id, "message": message})


async def _written(runtime: Runtime, chat: int) -> list[str]:
    history = await runtime.history(ConversationRef(ChannelName.TELEGRAM, str(chat)))
    return [entry.text for entry in history if entry.direction == "out"]


async def test_a_429_holds_the_chat_until_retry_after_then_each_reply_goes_once_in_order(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    clock = Clock()
    runtime = await build_runtime(settings(tmp_path, fake), clock=clock)
    client = TestClient(TestServer(create_app(runtime, start_background=False)))  # the test drives the outbox
    await client.start_server()
    try:
        update = {
            "update_id": 9001,
            "message": {
                "message_id": 77,
                "date": 1764547200,
                "chat": {"id": USER["id"], "type": "private", "first_name": "李"},
                "from": USER,
                "text": COMPLAINT,
            },
        }
        response = await client.post("/telegram/webhook", data=json.dumps(update), headers=HEADERS)
        assert response.status == 200
        replies = await _rows(runtime)
        assert len(replies) >= 2  # the acknowledgement and what follows it, to one chat

        fake.flood_next, fake.retry_after = 1, 30
        limited_at = clock.now()
        await runtime.dispatcher.run_once()
        assert [status for status, _ in _sent(fake)] == [429]  # the first reply; the others did not overtake it
        due = limited_at + timedelta(seconds=30)
        held, *behind = await _rows(runtime)
        assert (held.not_before, held.attempts, held.status) == (due, 0, "pending")
        assert [(row.not_before, row.attempts, row.status) for row in behind] == [
            (replies[0].not_before, 0, "pending") for _ in behind
        ]  # untouched: the outbox does not let them be claimed past the held one

        clock.at = due - timedelta(milliseconds=1)
        assert await runtime.dispatcher.run_once() == 0
        assert len(_sent(fake)) == 1  # not re-sent before Telegram allows it

        clock.at = due
        assert await runtime.dispatcher.run_once() == len(replies)
        clock.at += timedelta(hours=1)
        assert await runtime.dispatcher.run_once() == 0
        sent = _sent(fake)
        assert [status for status, _ in sent] == [429] + [200] * len(replies)
        history = await runtime.history(ConversationRef(ChannelName.TELEGRAM, str(USER["id"])))
        written = [entry.text for entry in history if entry.direction == "out"]
        assert [text for _, text in sent[1:]] == written  # the limited reply first, then the others, in order
        assert [row.status for row in await _rows(runtime)] == ["sent"] * len(replies)
    finally:
        await client.close()


async def test_a_429_holds_every_chat_of_the_bot_until_retry_after_and_not_the_web_chat(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    clock = Clock()
    runtime = await build_runtime(settings(tmp_path, fake), clock=clock)
    client = TestClient(TestServer(create_app(runtime, start_background=False)))  # the test drives the outbox
    await client.start_server()
    other = {**USER, "id": 5353, "first_name": "王"}
    try:
        response = await client.post("/telegram/webhook", data=_update(9001, USER), headers=HEADERS)
        assert response.status == 200
        fake.flood_next, fake.retry_after = 1, 30
        limited_at = clock.now()
        await runtime.dispatcher.run_once()
        assert [status for status, _ in _sent(fake)] == [429]
        due = limited_at + timedelta(seconds=30)

        clock.at += timedelta(seconds=5)  # meanwhile another chat of the bot and a web chat get replies
        response = await client.post("/telegram/webhook", data=_update(9002, other), headers=HEADERS)
        assert response.status == 200
        web = OutboundMessage("web-1", ConversationRef(ChannelName.WEBCHAT, "visitor"), Reply("您好"), None)
        async with runtime.store.transaction() as tx:
            await tx.outbox.put(web)
        await runtime.dispatcher.run_once()
        assert len(_sent(fake)) == 1  # the other chat was not called during the ban
        rows = {row.id: row for row in await _rows(runtime)}
        assert rows["web-1"].status == "sent"  # the web chat is not held by Telegram's ban
        telegram = [row for row in rows.values() if row.id != "web-1"]
        assert {(row.status, row.attempts) for row in telegram} == {("pending", 0)}
        firsts = [row for row in telegram if row.id.endswith("-00")]  # each chat's first reply
        assert len(firsts) == 2 and {row.not_before for row in firsts} == {due}  # released to the end of the ban
        assert {row.not_before for row in telegram if row not in firsts} == {None}  # behind them, untouched

        clock.at = due - timedelta(milliseconds=1)
        assert await runtime.dispatcher.run_once() == 0
        assert len(_sent(fake)) == 1

        clock.at = due
        await runtime.dispatcher.run_once()
        clock.at += timedelta(hours=1)
        assert await runtime.dispatcher.run_once() == 0
        sent = fake.called("sendMessage")[1:]
        assert [call.status for call in sent] == [200] * len(telegram)  # each reply once, after the ban
        for chat in (USER["id"], other["id"]):
            texts = [str(call.params["text"]) for call in sent if str(call.params["chat_id"]) == str(chat)]
            assert texts == await _written(runtime, int(chat))  # in the order written, per chat
        assert {row.status for row in await _rows(runtime)} == {"sent"}
    finally:
        await client.close()


@pytest.mark.parametrize("timedelta_mode", [False, True])
def test_retry_after_is_read_as_int_or_timedelta(monkeypatch: pytest.MonkeyPatch, timedelta_mode: bool) -> None:
    if timedelta_mode:
        monkeypatch.setenv("PTB_TIMEDELTA", "true")
    else:
        monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # python-telegram-bot's own constructor warns about the int form
        whole, fraction = RetryAfter(17), RetryAfter(timedelta(seconds=2.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading it does not, either way
        assert retry_after_seconds(whole) == 17.0
        assert retry_after_seconds(fraction) == 2.5
