"""The three agent notifiers against the console bus and loopback fakes of WeCom and Telegram."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bots.notifiers import ConsoleFeedNotifier, TelegramAgentNotifier, WeComRobotNotifier, telegram_html
from intake.errors import DeliveryError
from intake.ports import Notice, NoticeKind
from router.notices import fan_out
from storage.memory import MemoryEventBus
from tests.unit.bots.fakes_notify import BOT_TOKEN, ROBOT_KEY, telegram_api, wecom_robot

NOTICE = Notice(
    kind=NoticeKind.ESCALATED,
    complaint_number="TS-20261123-000042",
    recipients=("sun.li",),
    text="**升级 TS-20261123-000042**（财物损坏·严重）\n孙丽，这条投诉需要您亲自跟进 <花瓶> & 赔偿。",
    at=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    names=("孙丽",),
    team="service_quality",
    priority="high",
    template="notice_escalated.zh",
    template_version=1,
)


async def test_console_feed_publishes_on_the_bus() -> None:
    bus = MemoryEventBus()
    async with bus.subscribe("console:notices") as feed:
        await ConsoleFeedNotifier(bus).notify(NOTICE)
        item = await asyncio.wait_for(feed.__anext__(), 5)
    assert item["type"] == "notice" and item["kind"] == "escalated"
    assert item["number"] == NOTICE.complaint_number and item["recipients"] == ["sun.li"]
    assert item["template"] == "notice_escalated.zh"


async def test_wecom_robot_gets_markdown_with_mentions() -> None:
    async with wecom_robot() as fake:
        notifier = WeComRobotNotifier(f"{fake.base}/cgi-bin/webhook/send?key={ROBOT_KEY}")
        try:
            await notifier.notify(NOTICE)
        finally:
            await notifier.close()
    assert fake.received[0]["msgtype"] == "markdown"
    content = fake.received[0]["markdown"]["content"]
    assert content.startswith("**升级 TS-20261123-000042**") and content.endswith("<@sun.li>")


async def test_wecom_robot_errors_become_delivery_errors() -> None:
    async with wecom_robot() as fake:
        wrong_key = WeComRobotNotifier(f"{fake.base}/cgi-bin/webhook/send?key=nope")
        busy = WeComRobotNotifier(f"{fake.base}/cgi-bin/webhook/send?key={ROBOT_KEY}")
        try:
            with pytest.raises(DeliveryError) as refused:
                await wrong_key.notify(NOTICE)
            assert refused.value.retryable is False and "93000" in str(refused.value)
            fake.status = 503
            with pytest.raises(DeliveryError) as unavailable:
                await busy.notify(NOTICE)
            assert unavailable.value.retryable is True
        finally:
            await wrong_key.close()
            await busy.close()
    gone = WeComRobotNotifier(f"{fake.base}/cgi-bin/webhook/send?key={ROBOT_KEY}", timeout=2)
    try:
        with pytest.raises(DeliveryError) as unreachable:
            await gone.notify(NOTICE)
        assert unreachable.value.retryable is True
    finally:
        await gone.close()


async def test_telegram_agent_chat_gets_html_through_the_real_sdk() -> None:
    async with telegram_api() as fake:
        notifier = TelegramAgentNotifier(BOT_TOKEN, -100123, api_base=fake.base)
        try:
            await notifier.notify(NOTICE)
            await notifier.notify(NOTICE)
        finally:
            await notifier.close()
    methods = [item["method"] for item in fake.received]
    assert methods == ["getMe", "sendMessage", "sendMessage"]
    sent = fake.received[1]
    assert str(sent["chat_id"]) == "-100123" and sent["parse_mode"] == "HTML"
    assert sent["text"].startswith("<b>升级 TS-20261123-000042</b>")
    assert "&lt;花瓶&gt; &amp; 赔偿" in sent["text"] and sent["text"].endswith("👤 孙丽")


async def test_telegram_api_base_as_the_sdk_base_url_or_a_bare_host() -> None:
    # TOUSU_TELEGRAM_API_BASE is shared with the Telegram channel, where it is
    # python-telegram-bot's base_url (default https://api.telegram.org/bot).
    async with telegram_api() as fake:
        for base in (f"{fake.base}/bot", f"{fake.base}/bot/", fake.base):
            notifier = TelegramAgentNotifier(BOT_TOKEN, 42, api_base=base)
            try:
                await notifier.notify(NOTICE)
            finally:
                await notifier.close()
    assert [item["method"] for item in fake.received].count("sendMessage") == 3


async def test_telegram_refusal_is_a_delivery_error() -> None:
    async with telegram_api() as fake:
        fake.answer = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        fake.status = 400
        notifier = TelegramAgentNotifier(BOT_TOKEN, 42, api_base=fake.base)
        try:
            with pytest.raises(DeliveryError) as refused:
                await notifier.notify(NOTICE)
        finally:
            await notifier.close()
    assert refused.value.retryable is False and "chat not found" in str(refused.value).lower()


async def test_telegram_flood_control_says_how_long_to_wait() -> None:
    async with telegram_api() as fake:
        fake.answer = {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 37",
            "parameters": {"retry_after": 37},
        }
        fake.status = 429
        notifier = TelegramAgentNotifier(BOT_TOKEN, 42, api_base=fake.base)
        try:
            with pytest.raises(DeliveryError) as limited:
                await notifier.notify(NOTICE)
        finally:
            await notifier.close()
    assert limited.value.retryable is True and limited.value.retry_after_seconds == 37.0


async def test_fan_out_carries_on_after_a_failing_notifier() -> None:
    bus = MemoryEventBus()
    broken = WeComRobotNotifier("http://127.0.0.1:9/cgi-bin/webhook/send?key=x", timeout=1)
    async with bus.subscribe("console:notices") as feed:
        await fan_out([broken, ConsoleFeedNotifier(bus)])(NOTICE)
        item = await asyncio.wait_for(feed.__anext__(), 5)
    await broken.close()
    assert item["number"] == NOTICE.complaint_number


def test_telegram_html_escapes_and_bolds() -> None:
    assert telegram_html(NOTICE).count("<b>") == 1
