"""WeChat / WeCom callback XML: a safe parser, the mapping to `InboundMessage`, passive replies.

The parser is expat with every DTD feature refused: a document type declaration, an
entity declaration or an external entity reference raises `XmlError` before anything is
expanded, so entity bombs and XXE never get a chance. Tencent's callbacks are flat
`<xml>` documents (a few events nest one level, e.g. `ScanCodeInfo`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.parsers import expat

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MediaRef, MessageKind

MAX_DEPTH = 8
MAX_ELEMENTS = 500

Fields = dict[str, Any]

HANDLED_EVENTS = {"subscribe", "unsubscribe", "click"}
"""Events that reach the pipeline; every other event is acknowledged and ignored."""


class XmlError(ValueError):
    """The body is not a well-formed, DTD-free XML document."""


class _Builder:
    def __init__(self) -> None:
        self.root: Fields | None = None
        self.stack: list[tuple[str, Fields, list[str]]] = []
        self.count = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.count += 1
        if self.count > MAX_ELEMENTS or len(self.stack) >= MAX_DEPTH:
            raise XmlError("document too large or too deep")
        self.stack.append((name, {}, []))

    def end(self, name: str) -> None:
        tag, children, texts = self.stack.pop()
        value: Any = children if children else "".join(texts).strip()
        if not self.stack:
            self.root = children
            return
        parent = self.stack[-1][1]
        parent.setdefault(tag, value)

    def text(self, data: str) -> None:
        if self.stack:
            self.stack[-1][2].append(data)


def _refuse(*_: Any) -> None:
    raise XmlError("DTDs and entity declarations are not accepted")


def parse_xml(body: bytes | str) -> Fields:
    """The children of the root element as a dict (nested elements as dicts); `XmlError` otherwise."""
    builder = _Builder()
    parser = expat.ParserCreate()
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    data = body.encode("utf-8") if isinstance(body, str) else body
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise XmlError(f"broken XML: {expat.errors.messages[error.code]}") from error
    except RecursionError as error:  # pragma: no cover - depth is capped above
        raise XmlError("document too deep") from error
    if builder.root is None:
        raise XmlError("no root element")
    return builder.root


def text_of(fields: Fields, name: str) -> str:
    """A leaf field as text ('' when absent or nested)."""
    value = fields.get(name)
    return value if isinstance(value, str) else ""


def external_id(fields: Fields) -> str | None:
    """The idempotency key: `MsgId`, or sender + `CreateTime` + event for events."""
    msg_id = text_of(fields, "MsgId") or text_of(fields, "MsgID")
    if msg_id:
        return msg_id
    sender, created, event = text_of(fields, "FromUserName"), text_of(fields, "CreateTime"), text_of(fields, "Event")
    if sender and created and event:
        return f"{sender}:{created}:{event}"
    return None


def to_inbound(channel: ChannelName, fields: Fields, received_at: datetime | None = None) -> InboundMessage | None:
    """The `InboundMessage` of a callback, or None for a kind the channel ignores."""
    msg_type = text_of(fields, "MsgType").lower()
    sender = text_of(fields, "FromUserName")
    key = external_id(fields)
    if not sender or not key:
        return None
    kind_text_media = _content(msg_type, fields)
    if kind_text_media is None:
        return None
    kind, text, media, event = kind_text_media
    extra = {"account": text_of(fields, "ToUserName")}
    if text_of(fields, "AgentID"):
        extra["agent_id"] = text_of(fields, "AgentID")
    return InboundMessage(
        channel=channel,
        external_id=key,
        sender=Identity(channel, sender),
        conversation=ConversationRef(channel, sender, extra),
        kind=kind,
        text=text,
        received_at=received_at or datetime.now(UTC),
        media=media,
        event=event,
    )


def _content(msg_type: str, fields: Fields) -> tuple[MessageKind, str, tuple[MediaRef, ...], str | None] | None:
    media_id = text_of(fields, "MediaId")
    if msg_type == "text":
        return MessageKind.TEXT, text_of(fields, "Content"), (), None
    if msg_type == "voice":
        media = (MediaRef("voice", media_id),) if media_id else ()
        return MessageKind.VOICE, text_of(fields, "Recognition"), media, None
    if msg_type == "image":
        return MessageKind.IMAGE, "", (MediaRef("image", media_id or text_of(fields, "PicUrl")),), None
    if msg_type in ("video", "shortvideo"):
        return MessageKind.VIDEO, "", (MediaRef("video", media_id),), None
    if msg_type == "file":
        return MessageKind.FILE, "", (MediaRef("file", media_id, text_of(fields, "Title") or None),), None
    if msg_type == "location":
        where = f"{text_of(fields, 'Location_X')},{text_of(fields, 'Location_Y')}"
        return MessageKind.LOCATION, "", (MediaRef("location", where, text_of(fields, "Label") or None),), None
    if msg_type == "link":
        title = text_of(fields, "Title") or text_of(fields, "Description") or None
        return MessageKind.LINK, "", (MediaRef("link", text_of(fields, "Url"), title),), None
    if msg_type == "event":
        event = text_of(fields, "Event").lower()
        if event not in HANDLED_EVENTS:
            return None
        return MessageKind.EVENT, text_of(fields, "EventKey") if event == "click" else "", (), event
    return None


# --------------------------------------------------------------------------- replies


def cdata(value: str) -> str:
    """`value` inside CDATA, with any `]]>` split so it cannot end the section early."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, created: int) -> str:
    """A passive text reply."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


def encrypted_reply_xml(encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """The safe-mode envelope of a passive reply."""
    return (
        f"<xml><Encrypt>{cdata(encrypt)}</Encrypt><MsgSignature>{cdata(msg_signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )
