"""The records of tousu: plain dataclasses and string enums, no third-party types.

Values (messages, classifications, replies, events) are frozen. The complaint is the
record form (投诉处理记录表); it is mutable only through the status rules and the
pipeline, and is persisted by a `ComplaintStore`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ChannelName(StrEnum):
    """Where a message came from and where its replies go."""

    WECHAT = "wechat"
    WECOM = "wecom"
    TELEGRAM = "telegram"
    WEBCHAT = "webchat"
    API = "api"
    MANUAL = "manual"


class MessageKind(StrEnum):
    """What an inbound message carries."""

    TEXT = "text"
    VOICE = "voice"
    IMAGE = "image"
    VIDEO = "video"
    FILE = "file"
    LOCATION = "location"
    LINK = "link"
    CONTACT = "contact"
    EVENT = "event"
    COMMAND = "command"
    CALLBACK = "callback"
    EDIT = "edit"
    UNKNOWN = "unknown"


class Category(StrEnum):
    """The complaint taxonomy; codes are stable, labels live in the catalogue."""

    QUALITY = "quality"
    PUNCTUALITY = "punctuality"
    ATTITUDE = "attitude"
    TOOLS = "tools"
    BOOKING = "booking"
    BILLING = "billing"
    DAMAGE = "damage"
    SAFETY = "safety"
    STAFF_CHANGE = "staff_change"
    OTHER = "other"


class Severity(StrEnum):
    """How bad a complaint is: normal 一般, serious 严重, critical 紧急."""

    NORMAL = "normal"
    SERIOUS = "serious"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for normal, 1 for serious, 2 for critical: for taking the higher of two."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.NORMAL: 0, Severity.SERIOUS: 1, Severity.CRITICAL: 2}


class Priority(StrEnum):
    """Work order of a complaint inside a team's queue."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 (low) to 3 (urgent)."""
        return _PRIORITY_ORDER.index(self)

    def raised(self, steps: int = 1) -> Priority:
        """This priority raised by `steps`, capped at urgent."""
        return _PRIORITY_ORDER[min(self.rank + steps, len(_PRIORITY_ORDER) - 1)]


_PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class Status(StrEnum):
    """Complaint status; the allowed transitions live in `intake.status`."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class Tier(StrEnum):
    """Customer tier."""

    VIP = "vip"
    REGULAR = "regular"
    NEW = "new"


class Intent(StrEnum):
    """What a customer's message is for, as far as the dialogue cares."""

    COMPLAINT = "complaint"
    GREETING = "greeting"
    THANKS = "thanks"
    PRAISE = "praise"
    PROGRESS = "progress"
    ENQUIRY = "enquiry"


class NoteKind(StrEnum):
    """Internal notes must say whether they record a fact or an opinion."""

    FACT = "fact"
    OPINION = "opinion"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Identity:
    """A customer's identity on one channel."""

    channel: ChannelName
    user_id: str
    display_name: str | None = None
    unionid: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """Where a reply to a message goes: enough for the channel adapter to send it."""

    channel: ChannelName
    address: str
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"channel": str(self.channel), "address": self.address, "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConversationRef:
        """Inverse of `to_json`."""
        return cls(ChannelName(data["channel"]), str(data["address"]), dict(data.get("extra") or {}))


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A picture, voice note, file or location attached to a message."""

    kind: str
    ref: str
    caption: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"kind": self.kind, "ref": self.ref, "caption": self.caption}


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a customer, normalised by its channel adapter."""

    channel: ChannelName
    external_id: str
    sender: Identity
    conversation: ConversationRef
    kind: MessageKind
    text: str
    received_at: datetime
    media: tuple[MediaRef, ...] = ()
    event: str | None = None
    phone: str | None = None
    name: str | None = None
    locale: str | None = None
    message_ref: str | None = None
    """The platform's id of this message inside its conversation, when it differs from
    `external_id` (Telegram: the message id, while `external_id` is the update id). The
    transcript keeps it so that a later edit (`MessageKind.EDIT`, `event` = this ref) finds it."""

    @property
    def idempotency_key(self) -> str:
        """The key that makes a platform retry harmless."""
        return f"{self.channel}:{self.external_id}"


@dataclass(frozen=True, slots=True)
class Cue:
    """One piece of evidence behind a classification: a word and the layer that used it."""

    layer: str
    text: str
    target: str
    weight: float = 1.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"layer": self.layer, "text": self.text, "target": self.target, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Entity:
    """Something the customer named: phone, order number, money, a time, a worker."""

    label: str
    text: str
    start: int = -1
    end: int = -1
    value: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"label": self.label, "text": self.text, "start": self.start, "end": self.end, "value": self.value}


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier decided about one text, and why."""

    category: Category
    severity: Severity
    confidence: float
    intent: Intent = Intent.COMPLAINT
    cues: tuple[Cue, ...] = ()
    entities: tuple[Entity, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "category": str(self.category),
            "severity": str(self.severity),
            "confidence": round(self.confidence, 4),
            "intent": str(self.intent),
            "cues": [c.to_json() for c in self.cues],
            "entities": [e.to_json() for e in self.entities],
        }


@dataclass(frozen=True, slots=True)
class SlaDeadlines:
    """When the company promised to act, and when it actually did."""

    first_response_due: datetime | None = None
    first_feedback_due: datetime | None = None
    report_due: datetime | None = None
    first_response_at: datetime | None = None
    first_feedback_at: datetime | None = None
    resolved_at: datetime | None = None
    paused_at: datetime | None = None

    def to_json(self) -> dict[str, str | None]:
        """A JSON-ready dict with ISO times."""
        return {name: _iso(getattr(self, name)) for name in self.__slots__}  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Assignment:
    """The router's decision: team, agent, priority, deadlines and the reasons."""

    team: str
    priority: Priority
    sla: SlaDeadlines
    agent: str | None = None
    reasons: tuple[str, ...] = ()
    repeat_of: str | None = None
    notify: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuickReply:
    """A button the customer can press instead of typing."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to the customer, rendered from a script (话术)."""

    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    template: str | None = None
    template_version: int | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "text": self.text,
            "quick_replies": [{"label": q.label, "payload": q.payload} for q in self.quick_replies],
            "template": self.template,
            "template_version": self.template_version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """Inverse of `to_json`."""
        return cls(
            text=data["text"],
            quick_replies=tuple(QuickReply(q["label"], q["payload"]) for q in data.get("quick_replies", [])),
            template=data.get("template"),
            template_version=data.get("template_version"),
        )


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply waiting in the outbox for its channel."""

    id: str
    conversation: ConversationRef
    reply: Reply
    complaint_number: str | None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the audit trail: who did what, when, to which complaint."""

    actor: str
    action: str
    at: datetime
    complaint_number: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EscalationEntry:
    """One step the SLA watcher took on a complaint after a missed deadline.

    `deadline` is "first_response", "first_feedback" or "report"; `step` the index of the
    rung of the escalation ladder; `action` remind, escalate_lead, escalate_management
    or reassign; `target` who was told or who took the complaint over.
    """

    deadline: str
    step: int
    action: str
    at: datetime
    target: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "deadline": self.deadline,
            "step": self.step,
            "action": self.action,
            "at": _iso(self.at),
            "target": self.target,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EscalationEntry:
        """Inverse of `to_json`."""
        at = datetime.fromisoformat(str(data["at"]))
        return cls(
            str(data["deadline"]), int(data["step"]), str(data["action"]), at, data.get("target"), data.get("note")
        )


# --------------------------------------------------------------------------- entities


@dataclass(slots=True)
class Customer:
    """A customer with their personal data (held in clear here; encrypted at rest)."""

    id: str
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    tier: Tier = Tier.NEW
    identities: list[Identity] = field(default_factory=list)
    order_count: int = 0
    satisfaction: float | None = None
    reachable: bool = True
    title: str | None = None
    created_at: datetime | None = None
    first_service_at: datetime | None = None


@dataclass(slots=True)
class TranscriptEntry:
    """One message of a complaint's transcript, inbound or outbound."""

    direction: str
    channel: ChannelName
    text: str
    at: datetime
    kind: MessageKind = MessageKind.TEXT
    media: tuple[MediaRef, ...] = ()
    author: str | None = None
    template: str | None = None
    template_version: int | None = None
    external_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "direction": self.direction,
            "channel": str(self.channel),
            "kind": str(self.kind),
            "text": self.text,
            "at": _iso(self.at),
            "media": [m.to_json() for m in self.media],
            "author": self.author,
            "template": self.template,
            "template_version": self.template_version,
        }


@dataclass(slots=True)
class Complaint:
    """The complaint record form (投诉处理记录表)."""

    number: str
    customer_id: str
    channel: ChannelName
    conversation: ConversationRef
    received_at: datetime
    content: str
    category: Category
    severity: Severity
    priority: Priority
    confidence: float
    status: Status = Status.PENDING
    source: str | None = None
    cues: tuple[Cue, ...] = ()
    entities: tuple[Entity, ...] = ()
    team: str | None = None
    assignee: str | None = None
    sla: SlaDeadlines = field(default_factory=SlaDeadlines)
    routing_reasons: tuple[str, ...] = ()
    repeat_of: str | None = None
    reopen_count: int = 0
    escalations: list[EscalationEntry] = field(default_factory=list)
    occurred_at: str | None = None
    location: str | None = None
    order_ref: str | None = None
    worker_ref: str | None = None
    resolution: str | None = None
    compensation: str | None = None
    feedback: str | None = None
    satisfaction: int | None = None
    rating_requested_at: datetime | None = None
    callback_needed: bool = False
    updated_at: datetime | None = None
    last_message_at: datetime | None = None
    transcript: list[TranscriptEntry] = field(default_factory=list)
    id: str | None = None

    @property
    def is_open(self) -> bool:
        """True while the complaint still needs work."""
        return self.status in OPEN_STATUSES

    def to_json(self, *, with_transcript: bool = True) -> dict[str, Any]:
        """The complaint as the REST API shows it."""
        data: dict[str, Any] = {
            "number": self.number,
            "status": str(self.status),
            "received_at": _iso(self.received_at),
            "updated_at": _iso(self.updated_at),
            "channel": str(self.channel),
            "source": self.source,
            "content": self.content,
            "category": str(self.category),
            "severity": str(self.severity),
            "priority": str(self.priority),
            "confidence": round(self.confidence, 4),
            "cues": [c.to_json() for c in self.cues],
            "entities": [e.to_json() for e in self.entities],
            "team": self.team,
            "assignee": self.assignee,
            "sla": self.sla.to_json(),
            "routing_reasons": list(self.routing_reasons),
            "repeat_of": self.repeat_of,
            "reopen_count": self.reopen_count,
            "escalations": [e.to_json() for e in self.escalations],
            "occurred_at": self.occurred_at,
            "location": self.location,
            "order_ref": self.order_ref,
            "worker_ref": self.worker_ref,
            "resolution": self.resolution,
            "compensation": self.compensation,
            "feedback": self.feedback,
            "satisfaction": self.satisfaction,
            "callback_needed": self.callback_needed,
        }
        if with_transcript:
            data["transcript"] = [t.to_json() for t in self.transcript]
        return data


OPEN_STATUSES = frozenset({Status.PENDING, Status.IN_PROGRESS, Status.REOPENED})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
