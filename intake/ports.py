"""The ports of tousu: what the core needs from the outside world, as Protocols.

Each port states its contract in its docstring. Implementations live in `storage/`
(SQL, Redis, memory), `classifier/`, `router/` and `bots/`; one contract test suite
runs against every implementation of a port.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from intake.records import (
    Assignment,
    Category,
    ChannelName,
    Classification,
    Complaint,
    ConversationRef,
    Customer,
    Event,
    Identity,
    InboundMessage,
    OutboundMessage,
    Reply,
    Severity,
    Status,
    Tier,
    TranscriptEntry,
)

MessageHandler = Callable[[InboundMessage], Awaitable[Any]]


class Clock(Protocol):
    """Tells the time; always timezone-aware UTC."""

    def now(self) -> datetime:
        """The current time (aware, UTC)."""
        ...


# --------------------------------------------------------------------------- NLP and rules


class Classifier(Protocol):
    """Tags a customer's text with category, severity, intent, confidence and cues.

    Pure and synchronous: the same text always gives the same result, no I/O.
    An empty or meaningless text gives `other`/`normal` with low confidence.
    """

    def classify(self, text: str) -> Classification:
        """Classify one text."""
        ...


@dataclass(frozen=True, slots=True)
class PastComplaint:
    """What the router needs to know of a customer's earlier complaint."""

    number: str
    status: Status
    received_at: datetime
    closed_at: datetime | None = None
    reopen_count: int = 0


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    """Everything the router may use to decide who owns a new complaint."""

    number: str
    category: Category
    severity: Severity
    channel: ChannelName
    received_at: datetime
    customer_id: str
    tier: Tier
    history: tuple[PastComplaint, ...] = ()


class Router(Protocol):
    """Decides team, agent, priority and SLA deadlines, with reasons.

    Never raises for an unknown category or team: it falls back to the default team.
    `agents` gives the live load of agents so the choice can be load-aware.
    """

    async def route(self, request: RoutingRequest, agents: AgentDirectory) -> Assignment:
        """Route one complaint."""
        ...


class Purpose(StrEnum):
    """What a reply script (话术) is for; a template exists per purpose."""

    ACKNOWLEDGEMENT = "acknowledgement"
    FOLLOWUP_ADDED = "followup_added"
    ASK_PHONE = "ask_phone"
    PHONE_SAVED = "phone_saved"
    STATUS = "status"
    STATUS_NONE = "status_none"
    RATING_REQUEST = "rating_request"
    RATING_THANKS = "rating_thanks"
    RATING_LOW = "rating_low"
    RESOLUTION = "resolution"
    ESCALATION_NOTICE = "escalation_notice"
    GREETING = "greeting"
    THANKS = "thanks"
    PRAISE = "praise"
    ENQUIRY = "enquiry"
    WELCOME = "welcome"
    PROMPT_COMPLAINT = "prompt_complaint"
    ASK_TEXT = "ask_text"
    CANCELLED = "cancelled"
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    AGENT_MESSAGE = "agent_message"
    NOTICE_ASSIGNED = "notice_assigned"
    NOTICE_ESCALATED = "notice_escalated"
    NOTICE_SLA_WARNING = "notice_sla_warning"
    NOTICE_REASSIGNED = "notice_reassigned"


@dataclass(frozen=True, slots=True)
class ScriptContext:
    """The keys a script is chosen by and the variables it may use."""

    purpose: Purpose
    locale: str = "zh"
    channel: ChannelName | None = None
    category: Category | None = None
    severity: Severity | None = None
    variables: dict[str, Any] = field(default_factory=dict)


class ReplyScripts(Protocol):
    """Renders the reply for a purpose from the best matching script (话术).

    Falls back from the most specific script (purpose, category, severity, channel,
    locale) to the generic one; a missing variable renders as neutral text, never as
    a crash or a raw placeholder. The `Reply` names the template and version used.
    """

    def render(self, context: ScriptContext) -> Reply:
        """Render one reply."""
        ...


# --------------------------------------------------------------------------- storage


@dataclass(frozen=True, slots=True)
class ComplaintFilter:
    """Which complaints a listing wants; None means any."""

    status: tuple[Status, ...] | None = None
    category: Category | None = None
    severity: Severity | None = None
    channel: ChannelName | None = None
    team: str | None = None
    assignee: str | None = None
    customer_id: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 100
    offset: int = 0


class Inbox(Protocol):
    """The idempotency record of every message taken in.

    `claim` inserts the key inside the current transaction and answers False when the
    key was already there (committed by an earlier or a concurrent transaction).
    """

    async def claim(self, key: str, at: datetime) -> bool:
        """Record `key`; False when it was already taken in."""
        ...

    async def record_result(self, key: str, result: dict[str, Any]) -> None:
        """Store the answer given for `key`, so a retry gets the same one."""
        ...

    async def result(self, key: str) -> dict[str, Any] | None:
        """The stored answer for `key`, or None when not (yet) committed."""
        ...


class CustomerDirectory(Protocol):
    """Customers and their channel identities; personal data is encrypted at rest."""

    async def get(self, customer_id: str) -> Customer | None:
        """One customer by id."""
        ...

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        """The customer who owns this channel identity (or this WeChat unionid)."""
        ...

    async def find_by_phone(self, phone: str) -> Customer | None:
        """The customer with this phone number (looked up through its keyed hash)."""
        ...

    async def add(self, customer: Customer) -> Customer:
        """Insert a new customer with its identities; returns it as stored."""
        ...

    async def update(self, customer: Customer) -> None:
        """Write name, phone, address, tier, order count, satisfaction, reachability."""
        ...

    async def link_identity(self, customer_id: str, identity: Identity) -> None:
        """Attach an identity to a customer (moving it if another customer had it)."""
        ...

    async def merge(self, source_id: str, target_id: str) -> None:
        """Move identities, complaints and messages of `source_id` to `target_id`."""
        ...


class ComplaintStore(Protocol):
    """Complaints and their transcripts."""

    async def next_number(self, day: date) -> str:
        """The next number `TS-YYYYMMDD-NNNNNN` for `day`, unique across processes."""
        ...

    async def add(self, complaint: Complaint) -> Complaint:
        """Insert a new complaint (transcript entries included); returns it with its id."""
        ...

    async def save(self, complaint: Complaint) -> None:
        """Write every field of an existing complaint (not the transcript)."""
        ...

    async def get(self, number: str, *, with_transcript: bool = True, for_update: bool = False) -> Complaint | None:
        """One complaint by number; `for_update` locks its row until the transaction ends
        (PostgreSQL; SQLite's write transactions are serialised already)."""
        ...

    async def list(self, query: ComplaintFilter) -> builtins.list[Complaint]:
        """Complaints matching `query`, newest first, without transcripts."""
        ...

    async def count(self, query: ComplaintFilter) -> int:
        """How many complaints match `query` (limit and offset ignored)."""
        ...

    async def for_customer(self, customer_id: str) -> builtins.list[Complaint]:
        """All complaints of a customer, newest first, without transcripts."""
        ...

    async def append_message(
        self,
        conversation: ConversationRef,
        customer_id: str | None,
        complaint_number: str | None,
        entry: TranscriptEntry,
    ) -> None:
        """Append one message to a conversation and, when given, to a complaint's transcript."""
        ...

    async def append_messages(
        self,
        conversation: ConversationRef,
        customer_id: str | None,
        complaint_number: str | None,
        entries: Sequence[TranscriptEntry],
    ) -> None:
        """`append_message` for several entries, in their order (one round trip where the store can)."""
        ...

    async def conversation_history(
        self, conversation: ConversationRef, limit: int = 50
    ) -> builtins.list[TranscriptEntry]:
        """The last `limit` messages of a conversation, oldest first."""
        ...

    async def update_message(self, conversation: ConversationRef, external_id: str, text: str) -> bool:
        """Replace the text of an inbound message (an edit on the platform); False if unknown."""
        ...


class Outbox(Protocol):
    """Replies waiting to be sent; each is delivered at most once per id."""

    async def put(self, message: OutboundMessage, *, not_before: datetime | None = None) -> None:
        """Queue a reply; the dispatcher will not take it before `not_before`."""
        ...

    async def put_all(self, messages: Sequence[OutboundMessage], *, not_before: datetime | None = None) -> None:
        """`put` for several replies, in their order (one round trip where the store can)."""
        ...

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> list[OutboundMessage]:
        """Lease up to `limit` due replies to this caller, oldest first; a lease that runs out
        frees them.

        A reply is claimable only while no reply of its conversation written before it is
        still pending (neither sent nor given up: due or not, leased or not), so a round
        holds at most one reply per conversation and the customer reads them in write order.
        """
        ...

    async def claim(self, message_id: str, now: datetime, lease_seconds: float) -> OutboundMessage | None:
        """Lease one unsent reply by id (for a passive reply); None if sent, leased, or an
        earlier reply of its conversation is still pending (see `claim_due`)."""
        ...

    async def mark_sent(self, message_id: str, at: datetime, via: str = "api") -> None:
        """Record a reply as delivered."""
        ...

    async def mark_failed(self, message_id: str, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; `retry_at` None means give up for good."""
        ...

    async def release(self, message_id: str, not_before: datetime) -> None:
        """Give back a leased, unsent reply without counting an attempt; due again at `not_before`."""
        ...

    async def pending_count(self) -> int:
        """How many replies are not yet sent and not given up."""
        ...


class AuditLog(Protocol):
    """The append-only audit trail."""

    async def append(self, event: Event) -> None:
        """Add one event."""
        ...

    async def append_all(self, events: Sequence[Event]) -> None:
        """Add several events, in their order (one round trip where the store can)."""
        ...

    async def for_complaint(self, number: str) -> list[Event]:
        """The events of one complaint, oldest first."""
        ...


class AgentDirectory(Protocol):
    """Who can take complaints, and how loaded they are, in one transaction.

    Assignments stay within capacity when several transactions route at once: a router
    calls `hold_team` before `open_load`; from then until its transaction ends it holds
    the assignment of the team's complaints, and another transaction routing to the same
    team waits for it, then counts what it committed.
    """

    async def hold_team(self, team: str) -> None:
        """Hold the assignment of `team`'s complaints until this transaction ends (see above).

        Call it before reading the complaints waiting for an agent of `team`, so that they
        are not read before another transaction assigned them.
        """
        ...

    async def open_load(self, team: str) -> dict[str, int]:
        """Open complaints per assignee of `team` (agents with none may be missing); they
        stay true until the transaction ends when the team is held (`hold_team`)."""
        ...


class ApiTokens(Protocol):
    """Bearer tokens for the REST API; only a keyed hash of each token is stored."""

    async def create(self, name: str, role: str, token_hash: str, at: datetime) -> None:
        """Store a new token's hash."""
        ...

    async def find(self, token_hash: str) -> tuple[str, str] | None:
        """(name, role) of a live token, or None."""
        ...

    async def revoke(self, name: str, at: datetime) -> bool:
        """Revoke the tokens with this name; False when there was none."""
        ...


class Transaction(Protocol):
    """One unit of work: everything done through it commits or rolls back together."""

    @property
    def inbox(self) -> Inbox:
        """The inbox of this unit of work."""
        ...

    @property
    def customers(self) -> CustomerDirectory:
        """The customers of this unit of work."""
        ...

    @property
    def complaints(self) -> ComplaintStore:
        """The complaints of this unit of work."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The outbox of this unit of work."""
        ...

    @property
    def audit(self) -> AuditLog:
        """The audit of this unit of work."""
        ...

    @property
    def agents(self) -> AgentDirectory:
        """The agents of this unit of work."""
        ...

    @property
    def tokens(self) -> ApiTokens:
        """The tokens of this unit of work."""
        ...


class Store(Protocol):
    """The source of truth (SQL). `transaction()` commits on success, rolls back on error."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Open a unit of work."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[Transaction]:
        """Open a unit of work that only reads: it never waits for a writer (on SQLite it
        takes no writer turn and no write lock). Writing through it is a programming error."""
        ...

    async def ping(self) -> None:
        """Raise when the database does not answer."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


# --------------------------------------------------------------------------- coordination


class Dedupe(Protocol):
    """Fast path of idempotency: a short-lived claim on a message key.

    `claim` is atomic across every process sharing the implementation: exactly one
    caller gets True for a key until it expires or is released.
    """

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        """Claim `key`; False when someone holds or held it within its TTL."""
        ...

    async def release(self, key: str) -> None:
        """Drop a claim (after a failure, so a retry may go through)."""
        ...


class ConversationState(Protocol):
    """Short-lived dialogue state per conversation (awaiting a phone, a rating …)."""

    async def get(self, key: str) -> dict[str, Any] | None:
        """The state of a conversation, or None when there is none or it expired."""
        ...

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        """Replace the state of a conversation."""
        ...

    async def clear(self, key: str) -> None:
        """Forget the state of a conversation."""
        ...


class Timers(Protocol):
    """Deadlines that fire to the second (SLA). Keys are unique; scheduling again moves one."""

    async def schedule(self, key: str, at: datetime) -> None:
        """Fire `key` at `at`."""
        ...

    async def cancel(self, key: str) -> None:
        """Forget `key`."""
        ...

    async def pop_due(self, now: datetime, limit: int = 100) -> list[str]:
        """Remove and return the keys due at `now`; each key is returned to one caller only."""
        ...

    async def next_due(self) -> datetime | None:
        """When the earliest timer fires, or None."""
        ...


class EventBus(Protocol):
    """Publish/subscribe of live updates (web chat replies, console feed)."""

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Send `data` to every current subscriber of `topic`."""
        ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """Subscribe to `topic`; iterate the yielded iterator to receive messages."""
        ...


class NoticeKind(StrEnum):
    """Why agents are told about a complaint."""

    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    SLA_WARNING = "sla_warning"
    REASSIGNED = "reassigned"


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to agents (not to the customer): new assignment, escalation, SLA warning.

    `recipients` are agent ids; `names` their display names (same order); `text` is the
    rendered script (plain text with simple markdown: **bold** and line breaks).
    """

    kind: NoticeKind
    complaint_number: str
    recipients: tuple[str, ...]
    text: str
    at: datetime
    names: tuple[str, ...] = ()
    team: str | None = None
    priority: str | None = None
    template: str | None = None
    template_version: int | None = None


class Notifier(Protocol):
    """Tells agents about a notice (console live feed, WeCom group robot, Telegram agent chat).

    `notify` raises `DeliveryError` when the notice could not be delivered; callers log it
    and carry on (a notice is never worth losing a complaint for).
    """

    name: str

    async def notify(self, notice: Notice) -> None:
        """Deliver one notice."""
        ...


class Channel(Protocol):
    """A messaging channel adapter: feeds inbound messages, delivers replies."""

    name: ChannelName

    async def start(self, on_message: MessageHandler) -> None:
        """Begin feeding messages to `on_message` (webhooks may do nothing here)."""
        ...

    async def send(self, message: OutboundMessage) -> None:
        """Deliver one reply; raise `DeliveryError` (retryable or not) on failure."""
        ...

    async def stop(self) -> None:
        """Stop and release resources."""
        ...
