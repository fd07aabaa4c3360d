"""Converting transcript entries to and from rows of `messages` (text and media encrypted)."""

from __future__ import annotations

from typing import Any

from intake.records import ChannelName, ConversationRef, MediaRef, MessageKind, TranscriptEntry
from storage.crypto import FieldCipher


def conversation_key(conversation: ConversationRef) -> str:
    """The look-up key of a conversation: its channel and address."""
    return f"{conversation.channel}:{conversation.address}"


def message_values(
    conversation: ConversationRef,
    customer_id: str | None,
    complaint_id: str | None,
    entry: TranscriptEntry,
    cipher: FieldCipher,
) -> dict[str, Any]:
    """The column values of one message."""
    return {
        "conversation_key": conversation_key(conversation),
        "conversation": conversation.to_json(),
        "customer_id": customer_id,
        "complaint_id": complaint_id,
        "direction": entry.direction,
        "channel": str(entry.channel),
        "kind": str(entry.kind),
        "text_enc": cipher.encrypt(entry.text),
        "media_enc": cipher.encrypt_json([m.to_json() for m in entry.media]) if entry.media else None,
        "author": entry.author,
        "template": entry.template,
        "template_version": entry.template_version,
        "external_id": entry.external_id,
        "created_at": entry.at,
    }


def entry_from_row(row: Any, cipher: FieldCipher) -> TranscriptEntry:
    """A transcript entry from a `messages` row mapping."""
    media = cipher.decrypt_json(row["media_enc"]) if row["media_enc"] else []
    return TranscriptEntry(
        direction=row["direction"],
        channel=ChannelName(row["channel"]),
        text=cipher.decrypt(row["text_enc"]),
        at=row["created_at"],
        kind=MessageKind(row["kind"]),
        media=tuple(MediaRef(m["kind"], m["ref"], m.get("caption")) for m in media),
        author=row["author"],
        template=row["template"],
        template_version=row["template_version"],
        external_id=row["external_id"],
    )
