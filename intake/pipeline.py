"""The intake pipeline: one inbound message in, a durable complaint and replies out.

`IntakeService.receive` runs the whole flow in one transaction: dedupe on
(channel, external_id) → dialogue step → customer lookup or creation → classify →
create or update the complaint → route → render the replies → write them to the
outbox → audit events. Only after the commit does the caller answer the platform.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from intake import dialogue
from intake.dialogue import Action, Decision, DialogueContext
from intake.errors import DuplicateMessage
from intake.messages import label
from intake.ports import (
    Classifier,
    Clock,
    ConversationState,
    Dedupe,
    PastComplaint,
    Purpose,
    ReplyScripts,
    Router,
    RoutingRequest,
    ScriptContext,
    Store,
    Transaction,
)
from intake.records import (
    ChannelName,
    Classification,
    Complaint,
    ConversationRef,
    Customer,
    Event,
    InboundMessage,
    Intent,
    MessageKind,
    OutboundMessage,
    Priority,
    Reply,
    Severity,
    Status,
    Tier,
    TranscriptEntry,
)
from intake.script_variables import complaint_variables
from intake.status import can_transition
from intake.system_clock import SystemClock

INLINE_CHANNELS = frozenset({ChannelName.API, ChannelName.MANUAL})
"""Channels whose replies go back in the HTTP response instead of through the outbox."""

SMALL_TALK_PURPOSES = {
    Intent.GREETING: Purpose.GREETING,
    Intent.THANKS: Purpose.THANKS,
    Intent.PRAISE: Purpose.PRAISE,
    Intent.ENQUIRY: Purpose.ENQUIRY,
}


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    """Tunable behaviour of the pipeline."""

    followup_window: timedelta = timedelta(minutes=30)
    dedupe_ttl_seconds: float = 24 * 3600
    state_ttl_seconds: float = 30 * 60
    duplicate_wait_seconds: float = 10.0
    timezone: str = "Asia/Shanghai"
    locale: str = "zh"


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What became of one message: the complaint it made or touched, and the replies."""

    complaint: Complaint | None
    replies: tuple[OutboundMessage, ...]
    duplicate: bool = False
    created: bool = False
    notify: tuple[str, ...] = ()
    """For a new complaint: the people its routing decision asks to tell at once (the team lead
    of a serious one), as audited in `complaint.routed`; the router's follow-up takes them from here."""

    def to_json(self) -> dict[str, Any]:
        """The answer of `POST /api/v1/messages`."""
        return {
            "complaint": self.complaint.to_json() if self.complaint else None,
            "replies": [{"id": r.id, **r.reply.to_json()} for r in self.replies],
            "duplicate": self.duplicate,
        }


@dataclass(slots=True)
class _Turn:
    """The working state of one message inside its transaction."""

    tx: Transaction
    message: InboundMessage
    now: datetime
    customer: Customer
    complaints: list[Complaint]
    classification: Classification | None
    complaint: Complaint | None = None
    replies: list[Reply] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    state: dict[str, Any] | None = None
    state_changed: bool = False
    source: str | None = None
    actor: str = "customer"
    notify: tuple[str, ...] = ()

    def audit(self, action: str, **data: Any) -> None:
        number = self.complaint.number if self.complaint else None
        self.events.append(Event(self.actor, action, self.now, number, data))

    def set_state(self, value: dict[str, Any] | None) -> None:
        self.state = value
        self.state_changed = True


CommitHook = Callable[[IntakeResult], Awaitable[None]]


class IntakeService:
    """Takes in customer messages from every channel; see the module docstring."""

    def __init__(
        self,
        *,
        store: Store,
        classifier: Classifier,
        router: Router,
        scripts: ReplyScripts,
        dedupe: Dedupe,
        state: ConversationState,
        clock: Clock | None = None,
        settings: IntakeSettings | None = None,
        on_commit: CommitHook | None = None,
    ) -> None:
        self._store = store
        self._classifier = classifier
        self._router = router
        self._scripts = scripts
        self._dedupe = dedupe
        self._state = state
        self._clock = clock or SystemClock()
        self.settings = settings or IntakeSettings()
        self._zone = ZoneInfo(self.settings.timezone)
        self._on_commit: list[CommitHook] = [on_commit] if on_commit else []
        self._actions: dict[Action, Callable[[_Turn, Decision], Awaitable[None]]] = {
            Action.NEW_COMPLAINT: self._new_complaint,
            Action.APPEND: self._append,
            Action.STATUS: self._status,
            Action.RATE: self._rate,
            Action.PROVIDE_PHONE: self._provide_phone,
            Action.SMALL_TALK: self._small_talk,
            Action.WELCOME: self._simple(Purpose.WELCOME),
            Action.PROMPT_COMPLAINT: self._simple(Purpose.PROMPT_COMPLAINT),
            Action.ASK_TEXT: self._simple(Purpose.ASK_TEXT),
            Action.CANCEL: self._cancel,
            Action.UNREACHABLE: self._unreachable,
            Action.EDIT: self._edit,
            Action.RATING_NOT_ASKED: self._rating_not_asked,
            Action.IGNORE: self._ignore,
        }

    def add_commit_hook(self, hook: CommitHook) -> None:
        """Call `hook` with each result after its transaction committed."""
        self._on_commit.append(hook)

    # ------------------------------------------------------------------ entry points

    async def receive(
        self,
        message: InboundMessage,
        *,
        hold_replies_seconds: float = 0.0,
        source: str | None = None,
        force_new: bool = False,
        actor: str = "customer",
    ) -> IntakeResult:
        """Take in one message, exactly once per (channel, external_id).

        `hold_replies_seconds` keeps the replies from the dispatcher for that long so a
        channel can answer them passively (WeChat); `force_new` always opens a complaint
        (manual entry by an agent, who is then the `actor`).
        """
        key = message.idempotency_key
        if not await self._dedupe.claim(key, self.settings.dedupe_ttl_seconds):
            stored = await self._wait_for_result(key)
            if stored is not None:
                return stored
        try:
            result, state_key, turn = await self._process(message, hold_replies_seconds, source, force_new, actor)
        except DuplicateMessage:
            stored = await self._wait_for_result(key)
            if stored is None:
                raise
            return stored
        except BaseException:
            await self._dedupe.release(key)
            raise
        await self._after_commit(result, state_key, turn)
        return result

    async def stored_result(self, key: str) -> IntakeResult | None:
        """The committed answer for an idempotency key, or None."""
        async with self._store.transaction() as tx:
            data = await tx.inbox.result(key)
            if data is None:
                return None
            complaint = await tx.complaints.get(data["complaint"]) if data.get("complaint") else None
        replies = tuple(
            OutboundMessage(
                id=r["id"],
                conversation=_conversation_from(r),
                reply=Reply.from_json(r["reply"]),
                complaint_number=r.get("complaint_number"),
            )
            for r in data.get("replies", [])
        )
        return IntakeResult(complaint, replies, duplicate=True)

    async def take_for_passive_reply(self, result: IntakeResult, lease_seconds: float = 30.0) -> list[OutboundMessage]:
        """Take the replies of `result` out of the outbox to answer them in the HTTP response.

        Each reply is taken only if the dispatcher has not sent or leased it; those taken
        are marked sent with `via="passive"`. Used by channels with passive replies (WeChat).
        """
        taken: list[OutboundMessage] = []
        now = self._clock.now()
        async with self._store.transaction() as tx:
            for reply in result.replies:
                claimed = await tx.outbox.claim(reply.id, now, lease_seconds)
                if claimed is not None:
                    await tx.outbox.mark_sent(reply.id, now, via="passive")
                    taken.append(claimed)
        return taken

    # ------------------------------------------------------------------ the transaction

    async def _process(
        self, message: InboundMessage, hold: float, source: str | None, force_new: bool, actor: str
    ) -> tuple[IntakeResult, str, _Turn]:
        now = self._clock.now()
        state_key = f"{message.conversation.channel}:{message.conversation.address}"
        state = await self._state.get(state_key)
        classification = self._classify(message)  # CPU work: not while holding the writer's turn
        async with self._store.transaction() as tx:
            if not await tx.inbox.claim(message.idempotency_key, now):
                raise DuplicateMessage(message.idempotency_key)
            customer, created = await self._customer_for(tx, message, now)
            # a customer created in this transaction has no complaints yet
            complaints = [] if created else await tx.complaints.for_customer(customer.id)
            turn = _Turn(tx, message, now, customer, complaints, classification, state=state)
            turn.source, turn.actor = source, actor
            decision = Decision(Action.NEW_COMPLAINT) if force_new else dialogue.decide(self._context(turn))
            await self._actions[decision.action](turn, decision)
            await self._reachable_again(turn, decision)
            outbound = await self._record(turn, decision, hold)
            complaint = await tx.complaints.get(turn.complaint.number) if turn.complaint else None
            created = decision.action == Action.NEW_COMPLAINT
            result = IntakeResult(complaint, outbound, created=created, notify=turn.notify)
            await tx.inbox.record_result(message.idempotency_key, _result_summary(result))
        return result, state_key, turn

    def _classify(self, message: InboundMessage) -> Classification | None:
        if message.kind in (MessageKind.EVENT, MessageKind.COMMAND) or not (message.text or "").strip():
            return None
        return self._classifier.classify(message.text)

    def _context(self, turn: _Turn) -> DialogueContext:
        mine = tuple(c for c in turn.complaints if c.conversation.address == turn.message.conversation.address)
        return DialogueContext(
            message=turn.message,
            classification=turn.classification,
            complaints=mine or tuple(turn.complaints),
            state=turn.state,
            now=turn.now,
            followup_window=self.settings.followup_window,
        )

    async def _customer_for(self, tx: Transaction, message: InboundMessage, now: datetime) -> tuple[Customer, bool]:
        """The sender's customer, found or created (then True)."""
        customer = await tx.customers.find_by_identity(message.sender)
        if customer is None and message.phone:
            customer = await tx.customers.find_by_phone(message.phone)
            if customer is not None:
                await tx.customers.link_identity(customer.id, message.sender)
        if customer is None:
            customer = await tx.customers.add(
                Customer(
                    id=str(uuid.uuid4()),
                    name=message.name or message.sender.display_name,
                    phone=message.phone,
                    tier=Tier.NEW,
                    identities=[message.sender],
                    created_at=now,
                )
            )
            return customer, True
        if (message.name and not customer.name) or (message.phone and not customer.phone):
            customer.name = customer.name or message.name
            customer.phone = customer.phone or message.phone
            await tx.customers.update(customer)
        return customer, False

    async def _record(self, turn: _Turn, decision: Decision, hold: float) -> tuple[OutboundMessage, ...]:
        tx, message = turn.tx, turn.message
        number = turn.complaint.number if turn.complaint else None
        entries = []
        if decision.action not in (Action.IGNORE, Action.EDIT, Action.UNREACHABLE):
            entries.append(_inbound_entry(message))
        entries.extend(_outbound_entry(message.channel, reply, turn.now) for reply in turn.replies)
        await tx.complaints.append_messages(message.conversation, turn.customer.id, number, entries)
        turn_id = uuid.uuid4()
        # ids sort in the order written: the outbox orders one turn's replies by id
        outbound = tuple(
            OutboundMessage(f"{turn_id}-{position:02d}", message.conversation, reply, number)
            for position, reply in enumerate(turn.replies)
        )
        if message.channel not in INLINE_CHANNELS:
            not_before = turn.now + timedelta(seconds=hold) if hold > 0 else None
            await tx.outbox.put_all(outbound, not_before=not_before)
        await tx.audit.append_all(turn.events)
        return outbound

    async def _after_commit(self, result: IntakeResult, state_key: str, turn: _Turn) -> None:
        if turn.state_changed:
            if turn.state:
                await self._state.set(state_key, turn.state, self.settings.state_ttl_seconds)
            else:
                await self._state.clear(state_key)
        for hook in self._on_commit:
            await hook(result)

    async def _wait_for_result(self, key: str) -> IntakeResult | None:
        """Wait for a concurrent holder of `key` to commit, then give its answer."""
        deadline = asyncio.get_running_loop().time() + self.settings.duplicate_wait_seconds
        while True:
            stored = await self.stored_result(key)
            if stored is not None or asyncio.get_running_loop().time() >= deadline:
                return stored
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ actions

    async def _new_complaint(self, turn: _Turn, decision: Decision) -> None:
        message, tx = turn.message, turn.tx
        classification = turn.classification or self._classifier.classify(message.text or "")
        number = await tx.complaints.next_number(turn.now.astimezone(self._zone).date())
        complaint = Complaint(
            number=number,
            customer_id=turn.customer.id,
            channel=message.channel,
            conversation=message.conversation,
            received_at=turn.now,
            content=message.text or "",
            category=classification.category,
            severity=classification.severity,
            priority=_base_priority(classification),
            confidence=classification.confidence,
            source=turn.source or str(message.channel),
            cues=classification.cues,
            entities=classification.entities,
            updated_at=turn.now,
            last_message_at=turn.now,
        )
        _apply_entities(complaint, classification)
        assignment = await self._router.route(self._routing_request(turn, complaint), tx.agents)
        complaint.team, complaint.assignee, complaint.priority = assignment.team, assignment.agent, assignment.priority
        complaint.sla, complaint.routing_reasons = assignment.sla, assignment.reasons
        complaint.repeat_of = assignment.repeat_of
        turn.complaint = await tx.complaints.add(complaint)
        turn.notify = tuple(assignment.notify)
        turn.audit(
            "complaint.created",
            category=str(complaint.category),
            severity=str(complaint.severity),
            cues=[c.to_json() for c in complaint.cues],
        )
        turn.audit(
            "complaint.routed",
            team=assignment.team,
            agent=assignment.agent,
            priority=str(assignment.priority),
            reasons=list(assignment.reasons),
            notify=list(assignment.notify),
        )
        turn.replies.append(self._render(turn, Purpose.ACKNOWLEDGEMENT))
        if turn.customer.phone is None and message.channel not in INLINE_CHANNELS:
            turn.replies.append(self._render(turn, Purpose.ASK_PHONE))
            turn.set_state({"awaiting": "phone", "complaint": number})

    def _routing_request(self, turn: _Turn, complaint: Complaint) -> RoutingRequest:
        history = tuple(
            PastComplaint(c.number, c.status, c.received_at, c.updated_at if not c.is_open else None, _reopen_count(c))
            for c in turn.complaints
        )
        return RoutingRequest(
            number=complaint.number,
            category=complaint.category,
            severity=complaint.severity,
            channel=complaint.channel,
            received_at=complaint.received_at,
            customer_id=turn.customer.id,
            tier=turn.customer.tier,
            history=history,
        )

    async def _append(self, turn: _Turn, decision: Decision) -> None:
        assert decision.complaint is not None
        complaint = await _latest(turn, decision.complaint)
        turn.complaint = complaint
        complaint.last_message_at = complaint.updated_at = turn.now
        found = turn.classification
        if found is not None and found.severity.rank > complaint.severity.rank:
            turn.audit(
                "complaint.severity_raised",
                previous=str(complaint.severity),
                severity=str(found.severity),
                cues=[c.to_json() for c in found.cues],
            )
            complaint.severity = found.severity
            complaint.priority = max(complaint.priority, _base_priority(found), key=lambda p: p.rank)
        _apply_entities(complaint, found)
        await turn.tx.complaints.save(complaint)
        turn.audit("complaint.message_added", kind=str(turn.message.kind))
        if turn.message.kind == MessageKind.VOICE and not (turn.message.text or "").strip():
            turn.replies.append(self._render(turn, Purpose.ASK_TEXT))
        elif turn.classification is not None and turn.classification.intent == Intent.THANKS:
            turn.replies.append(self._render(turn, Purpose.THANKS))
        else:
            turn.replies.append(self._render(turn, Purpose.FOLLOWUP_ADDED))

    async def _status(self, turn: _Turn, decision: Decision) -> None:
        if decision.number:
            named = await turn.tx.complaints.get(decision.number, with_transcript=False)
            mine = [named] if named is not None and named.customer_id == turn.customer.id else []
        else:
            mine = [c for c in turn.complaints if c.is_open] or turn.complaints[:3]
        if not mine:
            turn.replies.append(self._render(turn, Purpose.STATUS_NONE, number=decision.number))
            return
        locale = self._locale(turn)
        listing = [
            {
                "number": c.number,
                "status": str(c.status),
                "status_label": label("status", c.status, locale),
                "category_label": label("category", c.category, locale),
                "received_at": c.received_at.astimezone(self._zone).strftime("%Y-%m-%d %H:%M"),
                "team": c.team,
                "agent": c.assignee,
            }
            for c in mine
        ]
        turn.complaint = mine[0] if len(mine) == 1 else None
        turn.replies.append(self._render(turn, Purpose.STATUS, complaints=listing))

    async def _rate(self, turn: _Turn, decision: Decision) -> None:
        rating = decision.rating
        assert decision.complaint is not None and rating is not None
        complaint = await _latest(turn, decision.complaint)
        target = Status.REOPENED if rating <= 2 else Status.CLOSED
        if not can_transition(complaint.status, target):  # an agent moved it on meanwhile
            await self._rating_not_asked(turn, decision)
            return
        turn.complaint = complaint
        complaint.satisfaction = rating
        complaint.status, complaint.updated_at = target, turn.now
        if target == Status.REOPENED:
            complaint.reopen_count += 1
        await turn.tx.complaints.save(complaint)
        turn.audit("complaint.rated", rating=rating, status=str(target), reopen_count=complaint.reopen_count)
        purpose = Purpose.RATING_LOW if target == Status.REOPENED else Purpose.RATING_THANKS
        turn.replies.append(self._render(turn, purpose, rating=rating))

    async def _rating_not_asked(self, turn: _Turn, decision: Decision) -> None:
        turn.audit("rating.not_asked", rating=decision.rating)
        turn.replies.append(self._render(turn, Purpose.RATING_THANKS, rating=decision.rating))

    async def _provide_phone(self, turn: _Turn, decision: Decision) -> None:
        assert decision.phone is not None
        tx, customer = turn.tx, turn.customer
        existing = await tx.customers.find_by_phone(decision.phone)
        if existing is not None and existing.id != customer.id:
            await tx.customers.merge(customer.id, existing.id)
            turn.audit("customer.merged", source=customer.id, target=existing.id)
            turn.customer = existing
        else:
            customer.phone = decision.phone
            await tx.customers.update(customer)
            turn.audit("customer.phone_added", customer=customer.id)
        waiting = (turn.state or {}).get("complaint")
        if waiting:
            turn.complaint = await tx.complaints.get(waiting, with_transcript=False)
        turn.set_state(None)
        turn.replies.append(self._render(turn, Purpose.PHONE_SAVED))

    async def _small_talk(self, turn: _Turn, decision: Decision) -> None:
        purpose = SMALL_TALK_PURPOSES.get(decision.intent or Intent.GREETING, Purpose.GREETING)
        turn.replies.append(self._render(turn, purpose))

    def _simple(self, purpose: Purpose) -> Callable[[_Turn, Decision], Awaitable[None]]:
        async def action(turn: _Turn, decision: Decision) -> None:
            turn.complaint = decision.complaint
            turn.replies.append(self._render(turn, purpose))

        return action

    async def _cancel(self, turn: _Turn, decision: Decision) -> None:
        if decision.complaint is None:
            turn.replies.append(self._render(turn, Purpose.NOTHING_TO_CANCEL))
            return
        complaint = await _latest(turn, decision.complaint)
        if not can_transition(complaint.status, Status.CLOSED):  # closed meanwhile: nothing left to cancel
            turn.replies.append(self._render(turn, Purpose.NOTHING_TO_CANCEL))
            return
        complaint.status, complaint.updated_at = Status.CLOSED, turn.now
        complaint.resolution = complaint.resolution or "customer_withdrew"
        turn.complaint = complaint
        await turn.tx.complaints.save(complaint)
        turn.audit("complaint.withdrawn")
        turn.replies.append(self._render(turn, Purpose.CANCELLED))

    async def _reachable_again(self, turn: _Turn, decision: Decision) -> None:
        """A customer who unsubscribed and writes (or subscribes) again can be answered again."""
        if turn.customer.reachable or decision.action == Action.UNREACHABLE:
            return
        if turn.message.channel in INLINE_CHANNELS:  # an agent's or a system's entry says nothing of it
            return
        turn.customer.reachable = True
        await turn.tx.customers.update(turn.customer)
        turn.audit("customer.reachable", customer=turn.customer.id)

    async def _unreachable(self, turn: _Turn, decision: Decision) -> None:
        turn.customer.reachable = False
        await turn.tx.customers.update(turn.customer)
        turn.audit("customer.unreachable", customer=turn.customer.id)

    async def _edit(self, turn: _Turn, decision: Decision) -> None:
        original = turn.message.event or ""
        if not await turn.tx.complaints.update_message(turn.message.conversation, original, turn.message.text):
            return
        turn.audit("message.edited", external_id=original)
        # When the edited message is the one that opened an open complaint, the record
        # form's content follows the edit (the transcript keeps every message anyway).
        for summary in turn.complaints:
            if not summary.is_open:
                continue
            complaint = await turn.tx.complaints.get(summary.number)
            opening = next((e for e in complaint.transcript if e.direction == "in"), None) if complaint else None
            if complaint is not None and opening is not None and opening.external_id == original:
                complaint.content, complaint.updated_at = turn.message.text, turn.now
                await turn.tx.complaints.save(complaint)
                turn.complaint = complaint
                turn.audit("complaint.content_edited", external_id=original)
                return

    async def _ignore(self, turn: _Turn, decision: Decision) -> None:
        return None

    # ------------------------------------------------------------------ replies

    def _locale(self, turn: _Turn) -> str:
        return turn.message.locale or self.settings.locale

    def _render(self, turn: _Turn, purpose: Purpose, **extra: Any) -> Reply:
        complaint, customer = turn.complaint, turn.customer
        variables: dict[str, Any] = {
            "customer_name": customer.name,
            "customer_title": customer.title,
            "channel": str(turn.message.channel),
            "timezone": self.settings.timezone,
        }
        if complaint is not None:
            # the channel the customer writes on now, not the one the complaint came in on
            variables |= complaint_variables(complaint, self._locale(turn)) | {"channel": str(turn.message.channel)}
        variables |= extra
        return self._scripts.render(
            ScriptContext(
                purpose=purpose,
                locale=self._locale(turn),
                channel=turn.message.channel,
                category=complaint.category if complaint else None,
                severity=complaint.severity if complaint else None,
                variables=variables,
            )
        )


# ---------------------------------------------------------------------- helpers


_SEVERITY_PRIORITY = {
    Severity.NORMAL: Priority.NORMAL,
    Severity.SERIOUS: Priority.HIGH,
    Severity.CRITICAL: Priority.URGENT,
}


def _base_priority(classification: Classification) -> Priority:
    """The priority a severity starts with, before the router raises it."""
    return _SEVERITY_PRIORITY[classification.severity]


def _apply_entities(complaint: Complaint, classification: Classification | None) -> None:
    """Fill the record form's order, worker and time fields from what the customer named."""
    if classification is None:
        return
    for entity in classification.entities:
        value = entity.value or entity.text
        if entity.label == "order" and not complaint.order_ref:
            complaint.order_ref = value
        elif entity.label == "worker" and not complaint.worker_ref:
            complaint.worker_ref = value
        elif entity.label == "datetime" and not complaint.occurred_at:
            complaint.occurred_at = value


def _reopen_count(complaint: Complaint) -> int:
    return max(complaint.reopen_count, 1 if complaint.status == Status.REOPENED else 0)


def _inbound_entry(message: InboundMessage) -> TranscriptEntry:
    return TranscriptEntry(
        direction="in",
        channel=message.channel,
        text=message.text or "",
        at=message.received_at,
        kind=message.kind,
        media=message.media,
        author=message.sender.display_name,
        external_id=message.message_ref or message.external_id,
    )


def _outbound_entry(channel: ChannelName, reply: Reply, at: datetime) -> TranscriptEntry:
    return TranscriptEntry(
        direction="out",
        channel=channel,
        text=reply.text,
        at=at,
        author="bot",
        template=reply.template,
        template_version=reply.template_version,
    )


async def _latest(turn: _Turn, complaint: Complaint) -> Complaint:
    """`complaint` as committed now, its row locked to the end of the turn (PostgreSQL): the
    dialogue decided on the customer's list read earlier, and an agent may have changed the
    complaint since; what this turn saves must build on that change, not undo it."""
    fresh = await turn.tx.complaints.get(complaint.number, with_transcript=False, for_update=True)
    return fresh if fresh is not None else complaint


def _result_summary(result: IntakeResult) -> dict[str, Any]:
    return {
        "complaint": result.complaint.number if result.complaint else None,
        "replies": [
            {
                "id": r.id,
                "conversation": r.conversation.to_json(),
                "reply": r.reply.to_json(),
                "complaint_number": r.complaint_number,
            }
            for r in result.replies
        ],
    }


def _conversation_from(data: dict[str, Any]) -> ConversationRef:
    return ConversationRef.from_json(data["conversation"])


__all__ = ["IntakeResult", "IntakeService", "IntakeSettings"]
