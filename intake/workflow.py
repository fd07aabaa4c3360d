"""Working a ticket in the console: SLA state, and every change an agent makes.

`TicketWorkflow` runs each change in one unit of work (the change, the transcript, the
outbox and the audit event commit together), checks status changes through
`intake.status`, and calls its commit hook afterwards (wake the dispatcher, live feed).
Permissions are checked by the caller (`intake.permissions`) and again here for the
ticket's scope.

What the routing layer owns goes through the `TicketRouting` port, never around it:
the first response and first feedback times, resolving (timers stop, the team queue
is served), reopening by staff (fresh deadlines, management on the second reopen),
the follow-up of a reassignment (notice to the new owner, timers), closing or merging
(timers stop, the team queue is served), and waiting on the customer (the SLA clock
pauses). The console side keeps what is its own: the messages to the customer, the
notes and the audit of the agent's action.

The router's part runs in the console's own transaction, so an action is atomic: the
router's state change (status, met times, the team queue) and the console's (resolution,
replies in the outbox, audit) commit together or not at all, and an action that failed
can simply be tried again. What no transaction can take back (SLA timers, notices) runs
after the commit (`RoutingStep.after_commit`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from intake.console_ports import ConsoleStore, ConsoleTransaction, Correction, RoutingStep, TicketRouting
from intake.errors import InvalidInput, NotFound
from intake.permissions import ConsoleUser, require_ticket
from intake.ports import Clock, Purpose, ReplyScripts, ScriptContext
from intake.records import (
    OPEN_STATUSES,
    Category,
    ChannelName,
    Complaint,
    Customer,
    Event,
    NoteKind,
    OutboundMessage,
    Reply,
    Severity,
    Status,
    TranscriptEntry,
)
from intake.script_variables import complaint_variables
from intake.status import check_transition

log = logging.getLogger(__name__)

DUE_SOON = timedelta(hours=1)
UNDELIVERABLE = frozenset({ChannelName.MANUAL, ChannelName.API})
MAX_TEXT = 4000
LOW_RATING = 2


# ---------------------------------------------------------------------- SLA


@dataclass(frozen=True, slots=True)
class SlaState:
    """Where a ticket stands against its deadlines."""

    state: str  # overdue | due_soon | on_track | met | none
    next_due: datetime | None
    deadline: str | None  # which deadline is next
    paused: bool = False  # waiting on the customer: the clock stands still


def sla_state(complaint: Complaint, now: datetime) -> SlaState:
    """The next unmet deadline of an open complaint and how urgent it is.

    While the complaint waits on the customer (`sla.paused_at`) its clock stands still: it is
    on track, never overdue or due soon, as in the reports (`storage.sql.reports`).
    """
    sla = complaint.sla
    pending = [
        (due, name)
        for due, met, name in (
            (sla.first_response_due, sla.first_response_at, "first_response_due"),
            (sla.first_feedback_due, sla.first_feedback_at, "first_feedback_due"),
            (sla.report_due, sla.resolved_at, "report_due"),
        )
        if due is not None and met is None
    ]
    if complaint.status not in OPEN_STATUSES:
        return SlaState("met" if sla.resolved_at or not pending else "none", None, None)
    if not pending:
        return SlaState("none", None, None)
    due, name = min(pending)
    if sla.paused_at is not None:
        return SlaState("on_track", due, name, paused=True)
    if due <= now:
        return SlaState("overdue", due, name)
    return SlaState("due_soon" if due - now <= DUE_SOON else "on_track", due, name)


SLA_STATES = ("overdue", "due_soon", "on_track", "met", "none")
_STATE_RANK = {name: rank for rank, name in enumerate(SLA_STATES)}


def urgency_key(complaint: Complaint, now: datetime) -> tuple[Any, ...]:
    """Sort key: overdue first, then by the next deadline, higher priority first."""
    state = sla_state(complaint, now)
    due = state.next_due.timestamp() if state.next_due else float("inf")
    return (_STATE_RANK[state.state], due, -complaint.priority.rank, complaint.received_at.timestamp())


def human_duration(delta: timedelta) -> str:
    """'2d 3h', '3h 05m', '12m' for a positive or negative duration (sign dropped)."""
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


# ---------------------------------------------------------------------- workflow


ChangeHook = Callable[[str, bool], Awaitable[None]]
"""Called after a commit with the complaint number and whether replies were queued."""


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """What became of an agent's reply."""

    message: OutboundMessage
    delivered_by_channel: bool


class TicketWorkflow:
    """The changes an agent makes to a ticket; see the module docstring."""

    def __init__(
        self,
        store: ConsoleStore,
        scripts: ReplyScripts,
        clock: Clock,
        routing: TicketRouting,
        *,
        locale: str = "zh",
        on_change: ChangeHook | None = None,
    ) -> None:
        self._store = store
        self._scripts = scripts
        self._clock = clock
        self._routing = routing
        self._locale = locale
        self._on_change = on_change

    async def _done(self, number: str, replies: bool = False) -> None:
        if self._on_change is not None:
            await self._on_change(number, replies)

    async def _load(self, tx: ConsoleTransaction, user: ConsoleUser, action: str, number: str) -> Complaint:
        complaint = await tx.complaints.get(number, with_transcript=False)
        if complaint is None:
            raise NotFound(f"complaint {number} does not exist", number=number)
        require_ticket(user, action, complaint.team, complaint.assignee)
        # The team's assignment lock before any row of ours: serving the team's queue (which
        # an action may do) takes them in this order too, so the two never wait on each other.
        if complaint.team:
            await tx.agents.hold_team(complaint.team)
        # Then its row, read again under the lock: what this action saves is built on the
        # latest committed version, never on a copy another writer has changed meanwhile.
        locked = await tx.complaints.get(number, with_transcript=False, for_update=True)
        return locked if locked is not None else complaint

    async def view(self, user: ConsoleUser, number: str) -> Complaint:
        """A complaint with its transcript, when `user` may see it."""
        async with self._store.snapshot() as tx:
            complaint = await tx.complaints.get(number)
        if complaint is None:
            raise NotFound(f"complaint {number} does not exist", number=number)
        require_ticket(user, "ticket:view", complaint.team, complaint.assignee)
        return complaint

    async def change_status(self, user: ConsoleUser, number: str, target: Status) -> None:
        """Move a ticket by the rules of `intake.status` (resolving goes through `resolve`).

        Starting work records the first response through the router; reopening a resolved
        ticket is the router's reopen (fresh deadlines, management on the second one).
        """
        if target == Status.RESOLVED:
            raise InvalidInput("use resolve to resolve a ticket", field="status")
        if target == Status.REOPENED:
            await self.reopen(user, number)
            return
        now = self._clock.now()
        step: RoutingStep | None = None
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:status", number)
            previous = complaint.status
            check_transition(previous, target)
            complaint.status, complaint.updated_at = target, now
            await tx.complaints.save(complaint)
            await _audit(tx, user, "complaint.status_changed", now, number, previous=str(previous), status=str(target))
            if target == Status.IN_PROGRESS and complaint.sla.first_response_at is None:
                step = await self._routing.record_first_response_in(tx, number, user.actor)
            elif target == Status.CLOSED:
                step = await self._routing.closed_in(tx, number)
        await self._follow(step)
        await self._done(number)

    async def reopen(self, user: ConsoleUser, number: str) -> None:
        """Staff reopen a resolved ticket (the customer was not satisfied by phone, say)."""
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:status", number)
            check_transition(complaint.status, Status.REOPENED)
            step = await self._routing.reopen_in(tx, number, user.actor)
        await self._follow(step)
        await self._done(number)

    async def set_waiting(self, user: ConsoleUser, number: str, waiting: bool) -> None:
        """Waiting on the customer (等待客户回复) on or off: the router pauses or resumes the SLA clock."""
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:wait", number)
            if waiting:
                if not complaint.is_open:
                    raise InvalidInput(f"{number} is not open", field="status")
                step = await self._routing.pause_in(tx, number, user.actor)
            else:
                step = await self._routing.resume_in(tx, number, user.actor)
        await self._follow(step)
        await self._done(number)

    async def correct(self, user: ConsoleUser, number: str, category: Category, severity: Severity) -> None:
        """Correct category and severity; the correction is kept as training data."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:classify", number)
            if (complaint.category, complaint.severity) == (category, severity):
                return
            await tx.worklog.add_correction(
                Correction(
                    number,
                    complaint.content,
                    complaint.category,
                    complaint.severity,
                    category,
                    severity,
                    user.actor,
                    now,
                )
            )
            await _audit(
                tx,
                user,
                "complaint.reclassified",
                now,
                number,
                previous_category=str(complaint.category),
                previous_severity=str(complaint.severity),
                category=str(category),
                severity=str(severity),
            )
            complaint.category, complaint.severity, complaint.updated_at = category, severity, now
            await tx.complaints.save(complaint)
        await self._done(number)

    async def add_note(self, user: ConsoleUser, number: str, kind: NoteKind, text: str) -> None:
        """An internal note, marked fact or opinion."""
        body = _text(text, "text")
        now = self._clock.now()
        async with self._store.transaction() as tx:
            await self._load(tx, user, "ticket:note", number)
            note_id = await tx.worklog.add_note(number, kind, body, user.actor, now)
            await _audit(tx, user, "complaint.note_added", now, number, note=note_id, kind=str(kind))

    async def add_followup(
        self, user: ConsoleUser, number: str, text: str, owner: str, due_at: datetime | None
    ) -> None:
        """A follow-up step with its owner and deadline."""
        body, owner = _text(text, "text"), _text(owner, "owner", 64)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            await self._load(tx, user, "ticket:followup", number)
            step = await tx.worklog.add_followup(number, body, owner, due_at, now)
            await _audit(
                tx,
                user,
                "complaint.followup_added",
                now,
                number,
                step=step,
                owner=owner,
                due_at=due_at.isoformat() if due_at else None,
            )

    async def complete_followup(self, user: ConsoleUser, number: str, step_id: int) -> None:
        """Mark a follow-up step done."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            await self._load(tx, user, "ticket:followup", number)
            if not await tx.worklog.complete_followup(number, step_id, user.actor, now):
                raise NotFound(f"no open step {step_id} on {number}", number=number)
            await _audit(tx, user, "complaint.followup_done", now, number, step=step_id)

    async def link(self, user: ConsoleUser, number: str, order_ref: str | None, worker_ref: str | None) -> None:
        """Link the order and the worker (阿姨) of a complaint."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:link", number)
            complaint.order_ref = _optional(order_ref, "order_ref", 64)
            complaint.worker_ref = _optional(worker_ref, "worker_ref", 64)
            complaint.updated_at = now
            await tx.complaints.save(complaint)
            await _audit(
                tx, user, "complaint.linked", now, number, order=complaint.order_ref, worker=complaint.worker_ref
            )
        await self._done(number)

    async def reassign(self, user: ConsoleUser, number: str, team: str | None, assignee: str | None) -> None:
        """Give a ticket to another team or agent (leads and managers)."""
        now = self._clock.now()
        step: RoutingStep | None = None
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:reassign", number)
            previous = (complaint.team, complaint.assignee)
            complaint.team = _optional(team, "team", 64) or complaint.team
            complaint.assignee = _optional(assignee, "assignee", 64)
            complaint.updated_at = now
            await tx.complaints.save(complaint)
            await _audit(
                tx,
                user,
                "complaint.reassigned",
                now,
                number,
                previous_team=previous[0],
                previous_agent=previous[1],
                team=complaint.team,
                agent=complaint.assignee,
            )
            if previous != (complaint.team, complaint.assignee):
                step = await self._routing.reassigned_in(tx, number, user.actor, previous[0], previous[1])
        await self._follow(step)
        await self._done(number)

    async def escalate(self, user: ConsoleUser, number: str, reason: str, notify_customer: bool = True) -> None:
        """Escalate (leads and managers): priority one step up, the reason audited, and the
        customer told that a lead now follows the complaint in person."""
        why = _text(reason, "reason")
        now = self._clock.now()
        sent = False
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:escalate", number)
            if not complaint.is_open:
                raise InvalidInput(f"{number} is not open", field="status")
            previous = complaint.priority
            complaint.priority, complaint.updated_at = previous.raised(), now
            await tx.complaints.save(complaint)
            if notify_customer:
                customer = await tx.customers.get(complaint.customer_id)
                reply = self._scripts.render(
                    self._context(complaint, Purpose.ESCALATION_NOTICE, _customer_vars(customer))
                )
                sent = (await self._send(tx, user, complaint, reply, now)).delivered_by_channel
            await _audit(
                tx,
                user,
                "complaint.escalated",
                now,
                number,
                reason=why,
                previous_priority=str(previous),
                priority=str(complaint.priority),
                customer_told=notify_customer,
            )
        await self._done(number, sent)

    def suggested_reply(
        self, complaint: Complaint, purpose: Purpose, customer: Customer | None = None, **variables: Any
    ) -> Reply:
        """A script rendered for this complaint (prefills the reply box)."""
        return self._scripts.render(self._context(complaint, purpose, {**_customer_vars(customer), **variables}))

    async def reply(
        self,
        user: ConsoleUser,
        number: str,
        text: str,
        template: str | None = None,
        template_version: int | None = None,
    ) -> ReplyOutcome:
        """Send a reply through the customer's own channel (the outbox and its dispatcher)."""
        body = _text(text, "text")
        now = self._clock.now()
        step: RoutingStep | None = None
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:reply", number)
            reply = Reply(body, (), template, template_version)
            outcome = await self._send(tx, user, complaint, reply, now)
            await _audit(
                tx,
                user,
                "complaint.replied",
                now,
                number,
                reply=outcome.message.id,
                template=template,
                delivered=outcome.delivered_by_channel,
            )
            if complaint.sla.first_feedback_at is None or complaint.status == Status.PENDING:
                step = await self._routing.record_first_feedback_in(tx, number, user.actor)
        await self._follow(step)
        await self._done(number, outcome.delivered_by_channel)
        return outcome

    async def resolve(self, user: ConsoleUser, number: str, resolution: str, compensation: str | None) -> None:
        """Resolve: the router resolves (the team queue is served at once, the timers stop
        after the commit), and the result and the satisfaction request go to the customer,
        all in one transaction: a failure leaves the ticket as it was, to be resolved again.

        The customer's rating comes back through the pipeline (a low one reopens).
        """
        text = _text(resolution, "resolution")
        offered = _optional(compensation, "compensation", MAX_TEXT)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:resolve", number)
            previous = complaint.status
            check_transition(previous, Status.RESOLVED)
            step = await self._routing.resolve_in(tx, number, user.actor, text)
            complaint = step.complaint
            complaint.resolution = text
            complaint.compensation = offered
            complaint.updated_at = now
            complaint.satisfaction = None
            complaint.rating_requested_at = now
            await tx.complaints.save(complaint)
            customer = await tx.customers.get(complaint.customer_id)
            extra = {
                "resolution": complaint.resolution,
                "compensation": complaint.compensation,
                **_customer_vars(customer),
            }
            sent = False
            for purpose in (Purpose.RESOLUTION, Purpose.RATING_REQUEST):
                reply = self._scripts.render(self._context(complaint, purpose, extra))
                sent = (await self._send(tx, user, complaint, reply, now)).delivered_by_channel or sent
            await _audit(
                tx,
                user,
                "complaint.resolution_sent",
                now,
                number,
                previous=str(previous),
                compensation=complaint.compensation is not None,
            )
        await self._follow(step)
        await self._done(number, sent)

    async def merge(self, user: ConsoleUser, number: str, target: str) -> None:
        """Close `number` as a duplicate of `target`; both must be in the user's scope.

        The router's part (the team queue is served) commits with the merge; the timers
        of `number` stop after the commit.
        """
        target = target.strip().upper()
        if target == number:
            raise InvalidInput("a ticket cannot be merged into itself", field="target")
        now = self._clock.now()
        async with self._store.transaction() as tx:
            complaint = await self._load(tx, user, "ticket:merge", number)
            main = await self._load(tx, user, "ticket:merge", target)
            if not main.is_open and main.status != Status.RESOLVED:
                raise InvalidInput(f"{target} is closed", field="target")
            check_transition(complaint.status, Status.CLOSED)
            await tx.worklog.add_merge(number, target, user.actor, now)
            complaint.status, complaint.updated_at = Status.CLOSED, now
            complaint.repeat_of = complaint.repeat_of or target
            complaint.resolution = complaint.resolution or f"merged into {target}"
            await tx.complaints.save(complaint)
            await _audit(tx, user, "complaint.merged", now, number, target=target)
            await _audit(tx, user, "complaint.duplicate_merged_in", now, target, source=number)
            step = await self._routing.closed_in(tx, number)
        await self._follow(step)
        await self._done(number)
        await self._done(target)

    # ------------------------------------------------------------------ helpers

    async def _follow(self, step: RoutingStep | None) -> None:
        """The router's work after a commit: timers, notices. The action is stored by then, so
        a failure is logged rather than raised (the SLA watcher's rebuild restores timers
        from the database at the next start)."""
        if step is None:
            return
        try:
            await step.after_commit()
        except Exception:
            log.exception("routing follow-up of %s failed", step.complaint.number)

    async def _send(
        self, tx: ConsoleTransaction, user: ConsoleUser, complaint: Complaint, reply: Reply, now: datetime
    ) -> ReplyOutcome:
        message = OutboundMessage(str(uuid.uuid4()), complaint.conversation, reply, complaint.number)
        deliverable = complaint.conversation.channel not in UNDELIVERABLE
        if deliverable:
            await tx.outbox.put(message)
        entry = TranscriptEntry(
            direction="out",
            channel=complaint.conversation.channel,
            text=reply.text,
            at=now,
            author=user.actor,
            template=reply.template,
            template_version=reply.template_version,
        )
        await tx.complaints.append_message(complaint.conversation, complaint.customer_id, complaint.number, entry)
        return ReplyOutcome(message, deliverable)

    def _context(self, complaint: Complaint, purpose: Purpose, extra: dict[str, Any]) -> ScriptContext:
        return script_context(complaint, purpose, self._locale, extra)


def script_context(
    complaint: Complaint, purpose: Purpose, locale: str, extra: dict[str, Any] | None = None
) -> ScriptContext:
    """The context a reply script about `complaint` renders with."""
    variables = complaint_variables(complaint, locale) | (extra or {})
    return ScriptContext(
        purpose, locale, complaint.conversation.channel, complaint.category, complaint.severity, variables
    )


def _customer_vars(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {}
    return {"customer_name": customer.name, "customer_title": customer.title}


def _text(value: str | None, field: str, limit: int = MAX_TEXT) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(f"{field} is empty", field=field)
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return cleaned


def _optional(value: str | None, field: str, limit: int) -> str | None:
    cleaned = (value or "").strip()
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return cleaned or None


async def _audit(
    tx: ConsoleTransaction, user: ConsoleUser, action: str, at: datetime, number: str | None, **data: Any
) -> None:
    await tx.audit.append(Event(user.actor, action, at, number, data))
