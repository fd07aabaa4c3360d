"""Turn a parsed `telegram.Update` into the pipeline's `InboundMessage` (or None: ignore it).

Handled: text and commands, photo / document / video / animation with or without a
caption, voice, audio and video notes (the dialogue asks for text), a shared contact (its
phone links the customer, only when it is the sender's own contact), location and venue,
edited messages (the transcript entry is updated), callback queries (quick replies and the
1–5 rating). In a group only messages that mention the bot, are a command addressed to it
(`/status@bot`) or reply to one of its messages are taken; everything else — channel posts,
inline queries, polls, payments, member updates, stickers … — is ignored.

`external_id` is `{bot_id}:{update_id}`: Telegram redelivers an update with the same id
until it gets a 200, so that is the idempotency key. `message_ref` is `msg:{message_id}`,
which an edit of that message refers to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import (
    Animation,
    Audio,
    CallbackQuery,
    Chat,
    Document,
    Message,
    MessageEntity,
    Update,
    User,
    Video,
    VideoNote,
    Voice,
)

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MediaRef, MessageKind

GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is: its numeric id (from the token) and, once known, its @username."""

    id: int
    username: str | None = None


def to_inbound(update: Update, bot: BotIdentity) -> InboundMessage | None:
    """The `InboundMessage` of an update, or None when the bot does not handle it."""
    external_id = f"{bot.id}:{update.update_id}"
    if update.callback_query is not None:
        return _callback(update.callback_query, external_id)
    if update.message is not None:
        return _message(update.message, external_id, bot)
    if update.edited_message is not None:
        return _edit(update.edited_message, external_id, bot)
    return None


def message_ref(message_id: int) -> str:
    """The transcript reference of a Telegram message (what an edit points at)."""
    return f"msg:{message_id}"


def conversation_of(chat: Chat, reply_to: int | None = None) -> ConversationRef:
    """Where replies to a chat go; in a group, as a reply to the customer's message."""
    extra = {"chat_type": str(chat.type)}
    if chat.type in GROUP_TYPES and reply_to is not None:
        extra["reply_to"] = str(reply_to)
    return ConversationRef(ChannelName.TELEGRAM, str(chat.id), extra)


def _identity(user: User) -> Identity:
    return Identity(ChannelName.TELEGRAM, str(user.id), display_name=user.full_name or user.username)


def _locale(user: User) -> str | None:
    code = (user.language_code or "").lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return None


def _message(message: Message, external_id: str, bot: BotIdentity) -> InboundMessage | None:
    user = message.from_user
    if user is None or user.is_bot or message.chat.type == Chat.CHANNEL:
        return None
    addressed, text = _addressed_text(message, bot)
    if not addressed:
        return None
    content = _content(message, text)
    if content is None:
        return None
    kind, body, media, phone = content
    if kind == MessageKind.TEXT and _is_command(message, body):
        kind = MessageKind.COMMAND
    return InboundMessage(
        channel=ChannelName.TELEGRAM,
        external_id=external_id,
        sender=_identity(user),
        conversation=conversation_of(message.chat, message.message_id),
        kind=kind,
        text=body,
        received_at=_when(message),
        media=media,
        phone=phone,
        name=user.full_name or None,
        locale=_locale(user),
        message_ref=message_ref(message.message_id),
    )


_TelegramFile = Video | Animation | Document | Voice | Audio | VideoNote
Content = tuple[MessageKind, str, tuple[MediaRef, ...], str | None]


def _content(message: Message, text: str) -> Content | None:
    caption = text if message.caption is not None else None
    if message.text is not None:
        return MessageKind.TEXT, text, (), None
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return MessageKind.IMAGE, text, (MediaRef("image", largest.file_id, caption),), None
    files: tuple[tuple[MessageKind, _TelegramFile | None, str], ...] = (
        (MessageKind.VIDEO, message.video, "video"),
        (MessageKind.VIDEO, message.animation, "video"),
        (MessageKind.FILE, message.document, "file"),
        (MessageKind.VOICE, message.voice, "voice"),
        (MessageKind.VOICE, message.audio, "audio"),
        (MessageKind.VOICE, message.video_note, "video"),
    )
    for kind, attachment, media_kind in files:
        if attachment is not None:
            return kind, text, (MediaRef(media_kind, attachment.file_id, caption),), None
    if message.contact is not None:
        contact = message.contact
        own = contact.user_id is not None and message.from_user is not None and contact.user_id == message.from_user.id
        # Only the sender's own contact links a phone: someone else's number must not
        # merge this customer into another one.
        number = _digits(contact.phone_number)
        card = MediaRef("contact", number or "", contact.first_name)
        return MessageKind.CONTACT, "", (card,), number if own else None
    if message.location is not None:
        where = message.location
        label = None
        if message.venue is not None:
            label = " ".join(part for part in (message.venue.title, message.venue.address) if part) or None
        return MessageKind.LOCATION, "", (MediaRef("location", f"{where.latitude},{where.longitude}", label),), None
    return None


def _edit(message: Message, external_id: str, bot: BotIdentity) -> InboundMessage | None:
    user = message.from_user
    new_text = message.text if message.text is not None else message.caption
    if user is None or user.is_bot or new_text is None or message.chat.type == Chat.CHANNEL:
        return None
    addressed, text = _addressed_text(message, bot)
    if not addressed:
        return None
    return InboundMessage(
        channel=ChannelName.TELEGRAM,
        external_id=external_id,
        sender=_identity(user),
        conversation=conversation_of(message.chat, message.message_id),
        kind=MessageKind.EDIT,
        text=text,
        received_at=_when(message, edited=True),
        event=message_ref(message.message_id),
        locale=_locale(user),
    )


def _callback(query: CallbackQuery, external_id: str) -> InboundMessage | None:
    if not query.data or query.from_user.is_bot:
        return None
    message = query.message
    chat = message.chat if message is not None else None
    if chat is not None:
        conversation = conversation_of(chat)
    else:
        conversation = ConversationRef(ChannelName.TELEGRAM, str(query.from_user.id))
    return InboundMessage(
        channel=ChannelName.TELEGRAM,
        external_id=external_id,
        sender=_identity(query.from_user),
        conversation=conversation,
        kind=MessageKind.CALLBACK,
        text=query.data,
        received_at=datetime.now(UTC),
        locale=_locale(query.from_user),
    )


def _addressed_text(message: Message, bot: BotIdentity) -> tuple[bool, str]:
    """(is it for the bot, its text without the bot's @mention)."""
    text = message.text if message.text is not None else (message.caption or "")
    if message.chat.type not in GROUP_TYPES:
        return True, text.strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True, text.strip()
    if bot.username:
        mention = re.compile(rf"@{re.escape(bot.username)}\b", re.IGNORECASE)
        if mention.search(text):
            return True, mention.sub("", text).strip()
    for entity in (message.entities or ()) + (message.caption_entities or ()):
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot.id:
            return True, text.strip()
    return False, text


def _is_command(message: Message, text: str) -> bool:
    if not text.startswith("/"):
        return False
    entities = message.entities or ()
    return any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in entities) or bool(
        re.match(r"^/[A-Za-z0-9_]{1,32}(?:@\w+)?(?:\s|$)", text)
    )


def _when(message: Message, *, edited: bool = False) -> datetime:
    at = message.edit_date if edited and message.edit_date else message.date
    return at.astimezone(UTC) if at is not None else datetime.now(UTC)


def _digits(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None
