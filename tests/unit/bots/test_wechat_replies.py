"""Replies on WeChat: numbered options, and which replies fit one passive answer."""

from __future__ import annotations

from typing import Any

from bots.textsplit import utf8_bytes
from bots.wechat import TEXT_LIMIT, WeChatChannel, WeChatConfig, official_account
from intake.pipeline import IntakeResult
from intake.records import ChannelName, ConversationRef, OutboundMessage, QuickReply, Reply
from storage.memory import MemoryConversationState, MemoryDedupe

RATING = Reply("请打分", (QuickReply("1分 很不满意", "rate:1"), QuickReply("5分 非常满意", "rate:5")))
CONVERSATION = ConversationRef(ChannelName.WECHAT, "o_user")


def channel(locale: str = "zh") -> WeChatChannel:
    config = WeChatConfig(ChannelName.WECHAT, "token", "wx1", "secret", api_base="http://127.0.0.1:9/", locale=locale)
    intake: Any = object()  # these tests never reach the pipeline
    return official_account(config, intake, MemoryConversationState(), MemoryDedupe())


def out(reply: Reply, ident: str) -> OutboundMessage:
    return OutboundMessage(ident, CONVERSATION, reply, "TS-20260101-000001")


def test_quick_replies_become_numbered_options_in_the_catalogue_language() -> None:
    assert channel().render_text(RATING) == "请打分\n\n回复 1：1分 很不满意\n回复 2：5分 非常满意"
    assert channel("en").render_text(RATING).endswith("Reply 2: 5分 非常满意")
    assert channel().render_text(Reply("只有文字")) == "只有文字"


def test_passive_answer_takes_the_leading_replies_that_fit_one_text() -> None:
    wechat = channel()
    ack, ask = out(Reply("已登记 TS-20260101-000001"), "a"), out(Reply("请留下手机号"), "b")
    assert wechat._fitting(IntakeResult(None, (ack, ask))) == [ack, ask]
    long = out(Reply("很长的回复。" * 113), "c")
    assert utf8_bytes(long.reply.text) < TEXT_LIMIT
    assert wechat._fitting(IntakeResult(None, (ack, long))) == [ack]
    too_long = out(Reply("字" * 1000), "d")
    assert wechat._fitting(IntakeResult(None, (too_long, ack))) == []


def test_only_one_reply_with_options_goes_into_a_passive_answer() -> None:
    first, second = out(RATING, "a"), out(RATING, "b")
    assert channel()._fitting(IntakeResult(None, (first, second))) == [first]


async def test_a_bare_number_maps_to_the_last_options_and_others_pass_through() -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from intake.records import Identity, InboundMessage, MessageKind

    wechat = channel()
    base = InboundMessage(
        ChannelName.WECHAT,
        "1",
        Identity(ChannelName.WECHAT, "o_user"),
        CONVERSATION,
        MessageKind.TEXT,
        "2",
        datetime.now(UTC),
    )
    assert (await wechat._map_option(base)).text == "2"
    await wechat._remember_options(CONVERSATION, RATING)
    assert (await wechat._map_option(base)).text == "rate:5"
    assert (await wechat._map_option(replace(base, text="3"))).text == "3"
    assert (await wechat._map_option(replace(base, text="2 个小时"))).text == "2 个小时"
    await wechat._remember_options(CONVERSATION, Reply("没有选项"))
    assert (await wechat._map_option(base)).text == "2"
