"""The Telegram channel end to end inside one process: the real aiohttp app and pipeline on
SQLite, the real python-telegram-bot `Bot` talking to a loopback fake of the Bot API.

Payloads are Telegram's own documentation examples and aiogram's test data
(tests/fixtures/telegram/, copied from ../shared/datasets/).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bots.telegram import TelegramChannel
from intake.errors import DeliveryError
from intake.ports import ComplaintFilter
from intake.records import (
    ChannelName,
    Complaint,
    ConversationRef,
    Identity,
    OutboundMessage,
    QuickReply,
    Reply,
    Status,
    TranscriptEntry,
)
from tests.telegram_fake import BOT_ID, BOT_USERNAME, TOKEN, FakeTelegram
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings
from tousu.web import create_app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "telegram"
SECRET = "s3cret_for-tests"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
USER = {"id": 4242, "is_bot": False, "first_name": "李", "last_name": "女士", "language_code": "zh-hans"}
COMPLAINT = "阿姨今天上门迟到了两个小时，打电话也不接，太耽误事了"


@dataclass
class Bench:
    client: TestClient
    runtime: Runtime
    fake: FakeTelegram
    next_id: int = 1

    async def post(self, update: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        response = await self.client.post(
            "/telegram/webhook", data=json.dumps(update), headers=HEADERS if headers is None else headers
        )
        return response.status, await response.json()

    def update(self, **body: Any) -> dict[str, Any]:
        self.next_id += 1
        return {"update_id": self.next_id, **body}

    def message(self, text: str | None = None, chat: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {
            "message_id": 500 + self.next_id,
            "date": 1764547200,
            "chat": chat or {"id": USER["id"], "type": "private", "first_name": "李"},
            "from": USER,
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return self.update(message=message)

    async def complaints(self) -> list[Complaint]:
        async with self.runtime.store.transaction() as tx:
            return await tx.complaints.list(ComplaintFilter())

    async def complaint(self, number: str) -> Complaint:
        async with self.runtime.store.transaction() as tx:
            found = await tx.complaints.get(number)
        assert found is not None
        return found

    async def history(self, chat_id: int = USER["id"]) -> list[TranscriptEntry]:
        async with self.runtime.store.transaction() as tx:
            return await tx.complaints.conversation_history(ConversationRef(ChannelName.TELEGRAM, str(chat_id)))

    def texts_to(self, chat_id: int) -> list[str]:
        return [str(c.params["text"]) for c in self.fake.delivered() if int(c.params["chat_id"]) == chat_id]


def settings(tmp_path: Path, fake: FakeTelegram | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "env": {}}
    if fake is not None:
        values |= {
            "telegram_token": TOKEN,
            "telegram_webhook_secret": SECRET,
            "telegram_api_base": fake.base_url,
        }
    return Settings(**(values | overrides))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def bench(tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[Bench]:
    runtime = await build_runtime(settings(tmp_path, fake, max_body_bytes=64 * 1024))
    runtime.dispatcher.settings = replace(runtime.dispatcher.settings, base_delay_seconds=0.05, idle_poll_seconds=0.1)
    client = TestClient(TestServer(create_app(runtime)))
    await client.start_server()
    try:
        yield Bench(client, runtime, fake)
    finally:
        await client.close()


def number_in(text: str) -> str | None:
    found = re.search(r"TS-\d{8}-\d{6}", text)
    return found.group(0) if found else None


# ---------------------------------------------------------------------- the main path


async def test_a_text_complaint_is_acknowledged_in_the_right_chat_with_its_number(bench: Bench) -> None:
    status, body = await bench.post(bench.message(COMPLAINT))
    assert status == 200 and body == {"ok": True, "handled": True}
    [complaint] = await bench.complaints()
    assert complaint.channel == ChannelName.TELEGRAM and complaint.content == COMPLAINT
    assert await bench.fake.until(lambda: any(complaint.number in t for t in bench.texts_to(USER["id"])))
    acknowledgements = [t for t in bench.texts_to(USER["id"]) if complaint.number in t]
    assert len(acknowledgements) == 1


async def test_the_same_update_twice_makes_one_complaint_and_one_acknowledgement(bench: Bench) -> None:
    update = bench.message(COMPLAINT)
    for _ in range(3):
        status, _body = await bench.post(update)
        assert status == 200
    [complaint] = await bench.complaints()
    assert await bench.fake.until(lambda: any(complaint.number in t for t in bench.texts_to(USER["id"])))
    await asyncio.sleep(0.3)  # give a wrong second dispatch the chance to show up
    assert len([t for t in bench.texts_to(USER["id"]) if complaint.number in t]) == 1


async def test_a_5xx_from_telegram_is_retried_and_the_reply_goes_out_once(bench: Bench) -> None:
    bench.fake.fail_next = 2
    await bench.post(bench.message(COMPLAINT))
    [complaint] = await bench.complaints()
    assert await bench.fake.until(lambda: any(complaint.number in t for t in bench.texts_to(USER["id"])))
    failed = [c for c in bench.fake.called("sendMessage") if c.status == 500]
    assert len(failed) == 2
    assert len([t for t in bench.texts_to(USER["id"]) if complaint.number in t]) == 1


async def test_a_followup_message_extends_the_open_complaint(bench: Bench) -> None:
    await bench.post(bench.message(COMPLAINT))
    await bench.post(bench.message("而且她走的时候没有关窗户"))
    [complaint] = await bench.complaints()
    full = await bench.complaint(complaint.number)
    inbound = [e.text for e in full.transcript if e.direction == "in"]
    assert inbound == [COMPLAINT, "而且她走的时候没有关窗户"]


# ---------------------------------------------------------------------- security and bad input


async def test_without_the_secret_it_is_403_and_nothing_is_stored(bench: Bench) -> None:
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"X-Telegram-Bot-Api-Secret-Token": ""}):
        status, body = await bench.post(bench.message(COMPLAINT), headers=headers)
        assert status == 403 and body["error"]["code"] == "telegram.bad_secret"
    assert await bench.complaints() == []
    assert await bench.history() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2, 3]", 400),
        (b'"a string"', 400),
        (b'{"message": {"text": "no update id"}}', 400),
        (b'{"update_id": "12", "message": {}}', 400),
        (b'{"update_id": -1}', 400),
        (b'{"update_id": true}', 400),
    ],
)
async def test_bad_input_is_a_4xx_with_a_reason_and_nothing_is_stored(bench: Bench, body: bytes, status: int) -> None:
    response = await bench.client.post("/telegram/webhook", data=body, headers=HEADERS)
    assert response.status == status
    assert "error" in await response.json()
    assert await bench.complaints() == []
    ok, _ = await bench.post(bench.message(COMPLAINT))  # still serving
    assert ok == 200


async def test_an_oversize_body_is_413(bench: Bench) -> None:
    update = bench.message("投诉" * 40_000)
    response = await bench.client.post("/telegram/webhook", data=json.dumps(update), headers=HEADERS)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "error.body_too_large"
    assert await bench.complaints() == []


async def test_the_channel_is_off_without_a_token(tmp_path: Path) -> None:
    runtime = await build_runtime(settings(tmp_path, None))
    client = TestClient(TestServer(create_app(runtime)))
    await client.start_server()
    try:
        response = await client.post("/telegram/webhook", json={"update_id": 1}, headers=HEADERS)
        assert response.status == 404
        assert "telegram" not in runtime.channels
    finally:
        await client.close()


# ---------------------------------------------------------------------- real payloads


def official_updates() -> list[tuple[str, dict[str, Any]]]:
    data = json.loads((FIXTURES / "telegram_updates_official_examples.json").read_text(encoding="utf-8"))
    return [(item["name"], item["update"]) for item in data["updates"]]


def aiogram_objects() -> dict[str, Any]:
    return dict(json.loads((FIXTURES / "telegram_aiogram_dataset.json").read_text(encoding="utf-8"))["objects"])


async def test_every_official_example_is_2xx_as_published_and_with_fresh_ids(bench: Bench) -> None:
    for name, update in official_updates():
        status, _ = await bench.post(update)
        assert 200 <= status < 300, name
    for offset, (name, update) in enumerate(official_updates()):
        status, body = await bench.post({**update, "update_id": 20_000 + offset})
        assert status == 200, (name, body)
        kind = next(key for key in update if key != "update_id")
        assert body["handled"] == (kind in ("message", "edited_message", "callback_query")), name
    inbound = [e for e in await bench.history(1111111) if e.direction == "in"]
    # Every example message is message 1365 of the chat, so the edited_message example
    # rewrites all of them: the edit path found its target.
    assert len(inbound) >= 8 and "Edited text" in [e.text for e in inbound]
    assert any(m.kind == "file" for e in inbound for m in e.media)


async def test_every_aiogram_message_and_update_is_2xx_and_non_updates_are_400(bench: Bench) -> None:
    objects = aiogram_objects()
    status, body = await bench.post(objects["UPDATE"])
    assert status == 200 and body["handled"]
    for offset, (name, value) in enumerate(objects.items()):
        if isinstance(value, dict) and "message_id" in value and "chat" in value:
            key = "edited_message" if name == "EDITED_MESSAGE" else "message"
            status, body = await bench.post({"update_id": 30_000 + offset, key: value})
            assert status == 200, (name, body)
        elif name != "UPDATE":
            response = await bench.client.post("/telegram/webhook", data=json.dumps(value), headers=HEADERS)
            assert response.status == 400, name
    texts = [e.text for e in await bench.history(12345678) if e.direction == "in"]
    assert "Hi, world!" in texts and "photo description" in texts
    assert await bench.history(-1001065170817) == []  # channel posts are not customers
    complaint_text = bench.update(
        message={**objects["MESSAGE"], "message_id": 99, "text": "保洁阿姨把我家花瓶打碎了，要求赔偿"}
    )
    assert (await bench.post(complaint_text))[0] == 200
    more = bench.update(message={**objects["MESSAGE"], "message_id": 100, "text": "花瓶是去年买的，两千多块"})
    await bench.post(more)
    # The aiogram texts before may already have opened a complaint: the vase is then more
    # detail for it. Either way, one complaint of this chat carries both messages.
    transcripts = [[e.text for e in (await bench.complaint(c.number)).transcript] for c in await bench.complaints()]
    assert any("保洁阿姨把我家花瓶打碎了，要求赔偿" in t and "花瓶是去年买的，两千多块" in t for t in transcripts)


# ---------------------------------------------------------------------- update kinds


async def test_photo_with_caption_keeps_the_file_id_on_the_transcript(bench: Bench) -> None:
    photo = [
        {"file_id": "small-id", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "large-id", "file_unique_id": "l", "width": 1280, "height": 960},
    ]
    await bench.post(bench.message(photo=photo, caption="阿姨把地板划坏了，这是照片"))
    [complaint] = await bench.complaints()
    entry = (await bench.complaint(complaint.number)).transcript[0]
    assert [m.ref for m in entry.media] == ["large-id"] and entry.media[0].caption == "阿姨把地板划坏了，这是照片"
    document = {"file_id": "doc-id", "file_unique_id": "d", "file_name": "invoice.pdf"}
    await bench.post(bench.message(document=document, caption="这是发票"))
    full = await bench.complaint(complaint.number)
    assert any(m.ref == "doc-id" for e in full.transcript for m in e.media)


async def test_voice_asks_for_text_and_opens_nothing(bench: Bench) -> None:
    voice = {"file_id": "voice-id", "file_unique_id": "v", "duration": 4}
    status, _ = await bench.post(bench.message(voice=voice))
    assert status == 200
    assert await bench.complaints() == []
    assert await bench.fake.until(lambda: any("文字" in t for t in bench.texts_to(USER["id"])))


async def test_shared_own_contact_links_the_phone_and_a_foreign_one_does_not(bench: Bench) -> None:
    await bench.post(bench.message(COMPLAINT))
    stranger = {"phone_number": "+86 139 0000 1111", "first_name": "王", "user_id": 777}
    await bench.post(bench.message(contact=stranger))
    async with bench.runtime.store.transaction() as tx:
        customer = await tx.customers.find_by_identity(Identity(ChannelName.TELEGRAM, str(USER["id"])))
        assert customer is not None and customer.phone is None
    own = {"phone_number": "+8613712345678", "first_name": "李", "user_id": USER["id"]}
    await bench.post(bench.message(contact=own))
    async with bench.runtime.store.transaction() as tx:
        customer = await tx.customers.find_by_identity(Identity(ChannelName.TELEGRAM, str(USER["id"])))
        assert customer is not None and customer.phone == "13712345678"
        assert (await tx.customers.find_by_phone("13712345678")) is not None


async def test_location_is_kept_on_the_open_complaint(bench: Bench) -> None:
    await bench.post(bench.message(COMPLAINT))
    await bench.post(bench.message(location={"latitude": 31.2304, "longitude": 121.4737}))
    [complaint] = await bench.complaints()
    full = await bench.complaint(complaint.number)
    assert any(m.kind == "location" and m.ref == "31.2304,121.4737" for e in full.transcript for m in e.media)


async def test_an_edited_message_updates_the_transcript(bench: Bench) -> None:
    original = bench.message(COMPLAINT)
    await bench.post(original)
    edited = {**original["message"], "text": COMPLAINT + "（已更正：迟到三个小时）", "edit_date": 1764547300}
    status, body = await bench.post(bench.update(edited_message=edited))
    assert status == 200 and body["handled"]
    [complaint] = await bench.complaints()
    full = await bench.complaint(complaint.number)
    assert [e.text for e in full.transcript if e.direction == "in"] == [COMPLAINT + "（已更正：迟到三个小时）"]
    assert full.content == COMPLAINT + "（已更正：迟到三个小时）"
    followup = bench.message("她走的时候也没有打扫厨房")
    await bench.post(followup)
    edited_followup = {**followup["message"], "text": "她走的时候也没有打扫厨房和卫生间", "edit_date": 1764547400}
    await bench.post(bench.update(edited_message=edited_followup))
    full = await bench.complaint(complaint.number)
    assert full.content == COMPLAINT + "（已更正：迟到三个小时）"  # only the opening message is the content
    assert "她走的时候也没有打扫厨房和卫生间" in [e.text for e in full.transcript]
    assert len(await bench.complaints()) == 1
    unknown = {**original["message"], "message_id": 1, "text": "从未收到过的消息", "edit_date": 1764547500}
    status, _ = await bench.post(bench.update(edited_message=unknown))
    assert status == 200 and "从未收到过的消息" not in [e.text for e in await bench.history()]


async def test_start_status_and_cancel_commands(bench: Bench) -> None:
    await bench.post(bench.message("/start"))
    assert await bench.complaints() == []
    await bench.post(bench.message(COMPLAINT))
    [complaint] = await bench.complaints()
    await bench.post(bench.message("/status"))
    assert await bench.fake.until(lambda: any(complaint.number in t and "待处理" in t for t in bench.texts_to(4242)))
    await bench.post(bench.message("/cancel"))
    assert (await bench.complaint(complaint.number)).status == Status.CLOSED


async def test_rating_by_inline_keyboard_callback(bench: Bench) -> None:
    await bench.post(bench.message(COMPLAINT))
    [complaint] = await bench.complaints()
    async with bench.runtime.store.transaction() as tx:
        stored = await tx.complaints.get(complaint.number, with_transcript=False)
        assert stored is not None
        stored.status, stored.rating_requested_at = Status.RESOLVED, datetime.now(UTC)
        await tx.complaints.save(stored)
    query = {
        "id": "cbq-1",
        "from": USER,
        "chat_instance": "ci",
        "data": "rate:5",
        "message": {"message_id": 9, "date": 1764547200, "chat": {"id": USER["id"], "type": "private"}, "text": "…"},
    }
    status, body = await bench.post(bench.update(callback_query=query))
    assert status == 200 and body["handled"]
    rated = await bench.complaint(complaint.number)
    assert rated.satisfaction == 5 and rated.status == Status.CLOSED
    assert await bench.fake.until(lambda: bool(bench.fake.called("answerCallbackQuery")))
    assert bench.fake.called("answerCallbackQuery")[0].params["callback_query_id"] == "cbq-1"


async def test_a_stray_rating_callback_opens_no_complaint_and_is_answered_politely(bench: Bench) -> None:
    query = {"id": "cbq-2", "from": USER, "chat_instance": "ci", "data": "rate:3"}
    status, _ = await bench.post(bench.update(callback_query=query))
    assert status == 200
    assert await bench.complaints() == []
    assert [e.text for e in await bench.history() if e.direction == "in"] == ["rate:3"]  # kept in the chat log
    assert await bench.fake.until(lambda: any("3" in t for t in bench.texts_to(USER["id"])))
    assert await bench.fake.until(lambda: bool(bench.fake.called("answerCallbackQuery")))


async def test_in_a_group_only_mentions_and_replies_to_the_bot_are_taken(bench: Bench) -> None:
    group = {"id": -100555, "type": "supergroup", "title": "业主群"}
    status, body = await bench.post(bench.message("今天天气不错，阿姨迟到了也无所谓", chat=group))
    assert status == 200 and body == {"ok": True, "handled": False}
    assert await bench.history(-100555) == []
    await bench.post(bench.message(f"@{BOT_USERNAME} {COMPLAINT}", chat=group))
    [complaint] = await bench.complaints()
    assert complaint.content == COMPLAINT
    bot_message = {"message_id": 1, "date": 1764547200, "chat": group, "from": {"id": BOT_ID, "is_bot": True}}
    bot_message["from"]["first_name"] = "投诉助手"
    await bench.post(bench.message("补充：她还打碎了一个杯子", chat=group, reply_to_message=bot_message))
    full = await bench.complaint(complaint.number)
    assert "补充：她还打碎了一个杯子" in [e.text for e in full.transcript]
    assert await bench.fake.until(lambda: bool(bench.texts_to(-100555)))
    replies = [c for c in bench.fake.delivered() if int(c.params["chat_id"]) == -100555]
    assert all("reply_parameters" in c.params for c in replies)


async def test_unhandled_update_kinds_are_200_and_ignored(bench: Bench) -> None:
    poll = {"id": "p1", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False}
    for update in (
        bench.update(poll=poll),
        bench.update(my_chat_member={"weird": True}),
        bench.update(something_new_in_2030={"x": 1}),
        bench.message(sticker={"file_id": "st", "width": 1, "height": 1}),
    ):
        status, body = await bench.post(update)
        assert status == 200 and body["handled"] is False
    assert await bench.history() == []


# ---------------------------------------------------------------------- sending


def outbound(text: str, chat_id: int = 4242, quick: tuple[QuickReply, ...] = ()) -> OutboundMessage:
    conversation = ConversationRef(ChannelName.TELEGRAM, str(chat_id))
    return OutboundMessage("r-" + str(len(text)), conversation, Reply(text, quick), None)


def channel_of(bench: Bench) -> TelegramChannel:
    channel = bench.runtime.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    return channel


async def test_quick_replies_become_an_inline_keyboard_and_long_texts_are_split(bench: Bench) -> None:
    quick = tuple(QuickReply(f"{n}分", f"rate:{n}") for n in range(1, 6))
    long_text = ("我们已经收到您的反馈，会尽快处理。" * 600).strip()
    await channel_of(bench).send(outbound(long_text, quick=quick))
    sent = bench.fake.delivered()
    assert len(sent) >= 3 and all(len(str(c.params["text"])) <= 4096 for c in sent)
    assert "".join(str(c.params["text"]) for c in sent) == long_text
    assert "reply_markup" not in sent[0].params
    keyboard = sent[-1].params["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [f"rate:{n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    ("mode", "retryable", "wait"), [("fail", True, None), ("flood", True, 7.0), ("blocked", False, None)]
)
async def test_delivery_errors_say_whether_and_when_to_retry(
    bench: Bench, mode: str, retryable: bool, wait: float | None
) -> None:
    bench.fake.send_mode, bench.fake.retry_after = mode, 7
    with pytest.raises(DeliveryError) as raised:
        await channel_of(bench).send(outbound("您好"))
    assert raised.value.retryable is retryable
    assert raised.value.retry_after_seconds == wait  # Telegram's flood control: parameters.retry_after


async def test_a_blocked_bot_gives_up_and_flags_the_complaint_for_a_call_back(bench: Bench) -> None:
    bench.fake.send_mode = "blocked"
    await bench.post(bench.message(COMPLAINT))
    [complaint] = await bench.complaints()

    async def given_up() -> bool:
        async with bench.runtime.store.transaction() as tx:
            return await tx.outbox.pending_count() == 0

    for _ in range(400):
        if await given_up():
            break
        await asyncio.sleep(0.05)
    assert await given_up()  # not retried: no reply is pending any more
    assert (await bench.complaint(complaint.number)).callback_needed
    assert len(bench.fake.called("sendMessage")) == 2  # the acknowledgement and the phone question, once each
