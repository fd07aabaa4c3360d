"""Telegram update → InboundMessage, on payloads parsed by python-telegram-bot itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from telegram import Bot, Update

from bots.telegram_compat import normalise
from bots.telegram_updates import BotIdentity, to_inbound
from intake.records import MessageKind

FIXTURES = Path(__file__).parents[2] / "fixtures" / "telegram"
BOT = BotIdentity(555, "tousu_bot")
PARSER = Bot("555:TOKEN")
USER = {"id": 7, "is_bot": False, "first_name": "A"}
GROUP = {"id": -100, "type": "group", "title": "g"}


def update(**body: Any) -> Update:
    parsed = Update.de_json({"update_id": 9, **body}, PARSER)
    assert parsed is not None
    return parsed


def message(text: str | None = None, chat: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"message_id": 3, "date": 1764547200, "chat": chat or {"id": 7, "type": "private"}}
    data |= {"from": USER, **extra}
    if text is not None:
        data["text"] = text
    return data


def test_ids_kinds_and_references() -> None:
    inbound = to_inbound(update(message=message("阿姨迟到了")), BOT)
    assert inbound is not None
    assert inbound.external_id == "555:9" and inbound.message_ref == "msg:3"
    assert inbound.kind == MessageKind.TEXT and inbound.conversation.address == "7"
    command = to_inbound(update(message=message("/status")), BOT)
    assert command is not None and command.kind == MessageKind.COMMAND
    edit = to_inbound(update(edited_message=message("改过的", edit_date=1764547300)), BOT)
    assert edit is not None and edit.kind == MessageKind.EDIT and edit.event == "msg:3"


def test_groups_take_only_what_is_addressed_to_the_bot() -> None:
    assert to_inbound(update(message=message("随便聊聊", chat=GROUP)), BOT) is None
    assert to_inbound(update(message=message("/status@other_bot", chat=GROUP)), BOT) is None
    command = to_inbound(update(message=message("/status@tousu_bot", chat=GROUP)), BOT)
    assert command is not None and command.text == "/status" and command.kind == MessageKind.COMMAND
    mention = to_inbound(update(message=message("@Tousu_Bot 阿姨没来", chat=GROUP)), BOT)
    assert mention is not None and mention.text == "阿姨没来"
    assert mention.conversation.extra["reply_to"] == "3"
    bot_said = message("我们已登记", chat=GROUP) | {"from": {"id": 555, "is_bot": True, "first_name": "bot"}}
    reply = to_inbound(update(message=message("还有一件事", chat=GROUP, reply_to_message=bot_said)), BOT)
    assert reply is not None and reply.text == "还有一件事"
    unnamed = BotIdentity(555)  # getMe not answered yet: replies still work, mentions cannot be told
    assert to_inbound(update(message=message("@tousu_bot 阿姨没来", chat=GROUP)), unnamed) is None


def test_contacts_link_only_the_senders_own_phone() -> None:
    own = to_inbound(
        update(message=message(contact={"phone_number": "+86 137-1234-5678", "first_name": "A", "user_id": 7})), BOT
    )
    assert own is not None and own.kind == MessageKind.CONTACT and own.phone == "13712345678"
    other = to_inbound(
        update(message=message(contact={"phone_number": "13900001111", "first_name": "B", "user_id": 8})), BOT
    )
    assert other is not None and other.phone is None and other.media[0].ref == "13900001111"
    unknown = to_inbound(update(message=message(contact={"phone_number": "13900001111", "first_name": "B"})), BOT)
    assert unknown is not None and unknown.phone is None


def test_callbacks_bots_channels_and_other_kinds() -> None:
    query = {"id": "q", "from": USER, "chat_instance": "c", "data": "rate:4"}
    callback = to_inbound(update(callback_query=query), BOT)
    assert callback is not None and callback.kind == MessageKind.CALLBACK and callback.text == "rate:4"
    assert callback.conversation.address == "7"
    assert to_inbound(update(callback_query={**query, "data": None, "game_short_name": "g"}), BOT) is None
    robot = message("hi") | {"from": {"id": 8, "is_bot": True, "first_name": "r"}}
    assert to_inbound(update(message=robot), BOT) is None
    assert to_inbound(update(channel_post=message("news", chat={"id": -5, "type": "channel"})), BOT) is None
    dice = message(dice={"emoji": "🎲", "value": 3})
    assert to_inbound(update(message=dice), BOT) is None


def test_normalise_fills_only_what_is_missing() -> None:
    data = json.loads((FIXTURES / "telegram_updates_official_examples.json").read_text(encoding="utf-8"))
    for item in data["updates"]:
        before = json.dumps(item["update"], sort_keys=True)
        fixed = normalise(item["update"])
        assert Update.de_json(fixed, PARSER) is not None, item["name"]
        assert json.dumps(item["update"], sort_keys=True) == before  # the input is not modified
    present = {"update_id": 1, "message": message("x") | {"from": {"id": 1, "is_bot": True, "first_name": "z"}}}
    assert normalise(present) == present
