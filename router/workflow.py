"""The routing service API the console calls: SLA met times, pauses, status steps, duty, queues.

Every method runs in one store transaction, audits what it did, then (after the commit)
moves the SLA timers and sends the notices. Met times are recorded once (the first call
wins); calling again is harmless. The console's steps also come as `*_in(tx, …)` (the
`intake.console_ports.TicketRouting` port): they work in the caller's transaction, serve
the team queue there too, and return the timers and notices as a `RoutingStep` to run
after the caller's commit, so a console action and the router's part of it commit together.

- `record_first_response` — an agent started (pending → in progress).
- `record_first_feedback` — the customer got a first answer on substance.
- `resolve` — resolved; the agent frees up, so the team queue is served.
- `reopen` — resolved → reopened, `reopen_count` + 1; reopened twice or more → management.
- `reassigned` — after staff moved a complaint: notice to the new owner, timers, queue.
- `closed` — after staff closed a complaint: timers stop, the team queue is served.
- `pause` / `resume` — waiting on the customer stops the SLA clock; on resume every
  deadline not yet met moves later by the time spent waiting.
- `set_duty` — an agent on or off duty; coming on duty serves the team queue.
- `serve_queue` — assign the complaints waiting in a team queue to agents with capacity,
  most urgent first, then oldest first.
- `on_new_complaint` — after intake: notify the owner, escalate to the lead at once when
  the rules or the SLA policy say so, start the SLA timers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from intake.console_ports import AfterCommit, RoutingStep
from intake.errors import InvalidInput, NotFound
from intake.ports import ComplaintFilter, Notice, NoticeKind, Store, Transaction
from intake.records import OPEN_STATUSES, Complaint, EscalationEntry, Event, Status, Tier
from intake.routing_ports import AgentRegistry, DutyRoster
from intake.status import check_transition
from router.config import RoutingConfig
from router.engine import RulesRouter
from router.notices import NoticeMaker, NoticeSender
from router.watcher import SlaWatcher

log = logging.getLogger(__name__)

_QUEUE_PAGE = 500
_Change = Callable[[Complaint, datetime], dict[str, object] | None]
_ChangeTx = Callable[[Transaction, Complaint, datetime], Awaitable[dict[str, object] | None]]


class RoutingWorkflow:
    """See the module docstring."""

    def __init__(
        self,
        store: Store,
        router: RulesRouter,
        notices: NoticeMaker,
        send: NoticeSender,
        *,
        registry: AgentRegistry | None = None,
        watcher: SlaWatcher | None = None,
    ) -> None:
        self._store = store
        self._router = router
        self._notices = notices
        self._send = send
        self.registry = registry
        self.watcher = watcher

    @property
    def _config(self) -> RoutingConfig:
        """The router's rules: read each time, so a console save (`RulesRouter.replace_config`) applies."""
        return self._router.config

    def _now(self) -> datetime:
        return self._router.clock.now()

    # ------------------------------------------------------------------ SLA met times and pauses

    async def record_first_response(self, number: str, actor: str) -> Complaint:
        """An agent started on the complaint: first response time, pending → in progress."""
        return await self._own(lambda tx: self.record_first_response_in(tx, number, actor))

    async def record_first_response_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """`record_first_response` in the caller's transaction (see `TicketRouting`)."""

        def change(complaint: Complaint, now: datetime) -> dict[str, object] | None:
            if complaint.sla.first_response_at is not None:
                return None
            if complaint.status == Status.PENDING:
                check_transition(complaint.status, Status.IN_PROGRESS)
                complaint.status = Status.IN_PROGRESS
            complaint.sla = replace(complaint.sla, first_response_at=now)
            return {"met": "first_response", "late": _late(complaint.sla.first_response_due, now)}

        return await self._step(tx, number, actor, "sla.first_response", change)

    async def record_first_feedback(self, number: str, actor: str) -> Complaint:
        """The customer got a first answer on substance."""
        return await self._own(lambda tx: self.record_first_feedback_in(tx, number, actor))

    async def record_first_feedback_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """`record_first_feedback` in the caller's transaction (see `TicketRouting`)."""

        def change(complaint: Complaint, now: datetime) -> dict[str, object] | None:
            if complaint.sla.first_feedback_at is not None:
                return None
            sla = complaint.sla
            complaint.sla = replace(sla, first_feedback_at=now, first_response_at=sla.first_response_at or now)
            if complaint.status == Status.PENDING:
                complaint.status = Status.IN_PROGRESS
            return {"met": "first_feedback", "late": _late(sla.first_feedback_due, now)}

        return await self._step(tx, number, actor, "sla.first_feedback", change)

    async def resolve(self, number: str, actor: str, resolution: str | None = None) -> Complaint:
        """The complaint is resolved (the customer is then asked to confirm); frees the agent."""
        return await self._own(lambda tx: self.resolve_in(tx, number, actor, resolution))

    async def resolve_in(self, tx: Transaction, number: str, actor: str, resolution: str | None = None) -> RoutingStep:
        """`resolve` in the caller's transaction: the team queue is served in it too."""

        def change(complaint: Complaint, now: datetime) -> dict[str, object] | None:
            check_transition(complaint.status, Status.RESOLVED)
            complaint.status = Status.RESOLVED
            complaint.resolution = resolution or complaint.resolution
            sla = complaint.sla  # settled at once (on the phone): started and answered now
            complaint.sla = replace(
                sla,
                resolved_at=now,
                paused_at=None,
                first_response_at=sla.first_response_at or now,
                first_feedback_at=sla.first_feedback_at or now,
            )
            if complaint.status == Status.RESOLVED and complaint.reopen_count:
                # resolved again after a reopen: the customer is asked to rate the new result
                complaint.satisfaction, complaint.rating_requested_at = None, None
            return {"met": "report", "late": _late(complaint.sla.report_due, now)}

        complaint = await self._change_in(tx, number, actor, "complaint.resolved", _in_tx(change))
        notices: list[Notice] = []
        if complaint.team:
            await self._serve_in(tx, complaint.team, notices)
        return RoutingStep(complaint, self._after(complaint, notices))

    async def reopen(self, number: str, actor: str) -> Complaint:
        """Resolved → reopened; reopened twice or more goes to management."""
        return await self._own(lambda tx: self.reopen_in(tx, number, actor))

    async def reopen_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """`reopen` in the caller's transaction (see `TicketRouting`)."""
        notices: list[Notice] = []

        async def change(tx: Transaction, complaint: Complaint, now: datetime) -> dict[str, object] | None:
            check_transition(complaint.status, Status.REOPENED)
            complaint.status = Status.REOPENED
            complaint.reopen_count += 1
            return await self._reopened(tx, complaint, now, notices)

        complaint = await self._change_in(tx, number, actor, "complaint.reopened", change)
        return RoutingStep(complaint, self._after(complaint, notices))

    async def reassigned(
        self, number: str, actor: str, previous_team: str | None, previous_agent: str | None
    ) -> Complaint:
        """After staff moved a complaint (the console's reassign): the new owner (its lead when
        nobody) and the previous agent are told, the timers follow the new state, and a
        complaint left without an agent waits in its team's queue, which is served at once."""
        return await self._own(lambda tx: self.reassigned_in(tx, number, actor, previous_team, previous_agent))

    async def reassigned_in(
        self, tx: Transaction, number: str, actor: str, previous_team: str | None, previous_agent: str | None
    ) -> RoutingStep:
        """`reassigned` in the caller's transaction (where the complaint was moved)."""
        now = self._now()
        complaint = await _get(tx, number)
        data = {
            "previous_team": previous_team,
            "previous_agent": previous_agent,
            "team": complaint.team,
            "agent": complaint.assignee,
        }
        await tx.audit.append(Event(actor, "complaint.reassign_routed", now, number, data))
        owner = complaint.assignee or self._config.lead_of(complaint.team)
        previous = previous_agent if previous_agent != complaint.assignee else None
        notice = self._notices.make(
            NoticeKind.REASSIGNED, complaint, [owner, previous], now, previous_agent=previous_agent
        )
        notices = [notice] if notice.recipients else []
        if complaint.assignee is None and complaint.team and complaint.is_open:
            await self._serve_in(tx, complaint.team, notices)
        return RoutingStep(complaint, self._after(complaint, notices))

    async def closed(self, number: str) -> Complaint | None:
        """After a complaint was closed outside the router (the console): its timers stop and its
        agent has room again, so the team queue is served."""
        async with self._store.transaction() as tx:
            if await tx.complaints.get(number, with_transcript=False) is None:
                return None  # an unknown number: nothing to stop or serve
            step = await self.closed_in(tx, number)
        await step.after_commit()
        return step.complaint

    async def closed_in(self, tx: Transaction, number: str) -> RoutingStep:
        """`closed` in the caller's transaction (where the complaint was closed)."""
        complaint = await _get(tx, number)
        notices: list[Notice] = []
        if complaint.status == Status.CLOSED and complaint.team:
            await self._serve_in(tx, complaint.team, notices)
        return RoutingStep(complaint, self._after(complaint, notices))

    async def on_reopened(self, number: str) -> Complaint | None:
        """After the pipeline reopened a complaint (a low rating): fresh deadlines, management when twice.

        Harmless when called again: a complaint whose SLA was already renewed is left alone.
        """
        notices: list[Notice] = []

        async def change(tx: Transaction, complaint: Complaint, now: datetime) -> dict[str, object] | None:
            management = self._config.settings.management_team
            renewed = complaint.sla.resolved_at is None
            moved = complaint.reopen_count < 2 or complaint.team == management
            if complaint.status != Status.REOPENED or (renewed and moved):
                return None
            return await self._reopened(tx, complaint, now, notices)

        async def stage(tx: Transaction) -> RoutingStep:
            complaint = await self._change_in(tx, number, "router", "complaint.reopen_routed", change)
            return RoutingStep(complaint, self._after(complaint, notices))

        return await self._own(stage)

    async def _reopened(
        self, tx: Transaction, complaint: Complaint, now: datetime, notices: list[Notice]
    ) -> dict[str, object]:
        """Fresh feedback and report deadlines from now; reopened twice or more → management."""
        customer = await tx.customers.get(complaint.customer_id)
        tier = customer.tier if customer is not None else Tier.REGULAR
        fresh = self._router.sla.deadlines(complaint.severity, tier, now)
        complaint.sla = replace(
            complaint.sla,
            first_feedback_due=fresh.first_feedback_due,
            report_due=fresh.report_due,
            first_feedback_at=None,
            resolved_at=None,
        )
        data: dict[str, object] = {"reopen_count": complaint.reopen_count, "report_due": _iso(fresh.report_due)}
        management = self._config.settings.management_team
        if complaint.reopen_count >= 2 and complaint.team != management:
            choice = await self._router.pick(management, tx.agents)
            team = self._config.teams[management]
            complaint.team, complaint.assignee = management, choice.agent.id if choice.agent else None
            reason = f"已重开{complaint.reopen_count}次 → {team.name}"
            agent_reason = self._router.agent_reason(team, choice)
            complaint.routing_reasons = (*complaint.routing_reasons, reason, agent_reason)
            data.update(team=management, agent=complaint.assignee, reason=reason)
            notices.append(self._notices.make(NoticeKind.ESCALATED, complaint, [complaint.assignee, team.lead], now))
        return data

    async def pause(self, number: str, actor: str) -> Complaint:
        """Waiting on the customer: the SLA clock stops (no timer fires while paused)."""
        return await self._own(lambda tx: self.pause_in(tx, number, actor))

    async def pause_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """`pause` in the caller's transaction (see `TicketRouting`)."""

        def change(complaint: Complaint, now: datetime) -> dict[str, object] | None:
            if complaint.sla.paused_at is not None:
                return None
            if not complaint.is_open:
                raise InvalidInput(f"complaint {number} is {complaint.status}; only an open one can wait")
            complaint.sla = replace(complaint.sla, paused_at=now)
            return {}

        return await self._step(tx, number, actor, "sla.paused", change)

    async def resume(self, number: str, actor: str) -> Complaint:
        """The customer answered: deadlines not yet met move later by the time spent waiting."""
        return await self._own(lambda tx: self.resume_in(tx, number, actor))

    async def resume_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """`resume` in the caller's transaction (see `TicketRouting`)."""

        def change(complaint: Complaint, now: datetime) -> dict[str, object] | None:
            sla = complaint.sla
            if sla.paused_at is None:
                return None
            waited = max(now - sla.paused_at, timedelta(0))
            complaint.sla = replace(
                sla,
                paused_at=None,
                first_response_due=_shift(sla.first_response_due, sla.first_response_at, waited),
                first_feedback_due=_shift(sla.first_feedback_due, sla.first_feedback_at, waited),
                report_due=_shift(sla.report_due, sla.resolved_at, waited),
            )
            return {"waited_seconds": int(waited.total_seconds())}

        return await self._step(tx, number, actor, "sla.resumed", change)

    # ------------------------------------------------------------------ agents and queues

    async def set_duty(self, agent: str, on_duty: bool | None, actor: str) -> list[tuple[str, str]]:
        """Switch an agent on/off duty (None: back to the shift); serves the queue when on.

        Returns the (complaint, agent) pairs assigned from the team queue.
        """
        member = self._config.agent(agent)
        if member is None:
            raise NotFound(f"no agent {agent!r} in the routing rules", agent=agent)
        now = self._now()
        async with self._store.transaction() as tx:
            roster = tx.agents if isinstance(tx.agents, DutyRoster) else self.registry
            if roster is None:
                raise NotFound("no agent registry is configured")
            await roster.set_on_duty(agent, on_duty, now)
            data = {"agent": agent, "team": member.team, "on_duty": on_duty}
            await tx.audit.append(Event(actor, "agent.duty", now, None, data))
        return await self.serve_queue(member.team) if on_duty is not False else []

    async def waiting(self, team: str) -> list[Complaint]:
        """The complaints of `team` waiting for an agent: most urgent first, then oldest."""
        async with self._store.transaction() as tx:
            return await _waiting(tx, team)

    async def serve_all_queues(self) -> list[tuple[str, str]]:
        """Serve the queue of every team (agents whose shift began, capacity freed elsewhere)."""
        assigned: list[tuple[str, str]] = []
        for team in self._config.teams:
            assigned += await self.serve_queue(team)
        return assigned

    async def serve_queue(self, team: str) -> list[tuple[str, str]]:
        """Assign waiting complaints of `team` while agents have capacity."""
        notices: list[Notice] = []
        async with self._store.transaction() as tx:
            assigned = await self._serve_in(tx, team, notices)
        for notice in notices:
            await self._send(notice)
        return assigned

    async def _serve_in(self, tx: Transaction, team: str, notices: list[Notice]) -> list[tuple[str, str]]:
        """`serve_queue` in `tx`; the notices to send after the commit are added to `notices`."""
        if team not in self._config.teams:
            return []
        assigned: list[tuple[str, str]] = []
        now = self._now()
        await tx.agents.hold_team(team)  # before the queue is read: no other transaction assigns from it now
        for listed in await _waiting(tx, team):
            # The listing is a snapshot: lock the row and look again, so a reply, pause or
            # close that committed meanwhile is neither undone by this save nor assigned.
            complaint = await tx.complaints.get(listed.number, with_transcript=False, for_update=True)
            if complaint is None or complaint.assignee is not None or complaint.status not in OPEN_STATUSES:
                continue
            choice = await self._router.pick(team, tx.agents)
            if choice.agent is None:
                break
            complaint.assignee = choice.agent.id
            reason = f"{choice.agent.name}有空闲 → 从等待队列指派{choice.agent.name}"
            complaint.routing_reasons = (*complaint.routing_reasons, reason)
            complaint.updated_at = now
            await tx.complaints.save(complaint)
            await tx.audit.append(
                Event(
                    "router", "complaint.assigned", now, complaint.number, {"agent": choice.agent.id, "reason": reason}
                )
            )
            assigned.append((complaint.number, choice.agent.id))
            notices.append(self._notices.make(NoticeKind.ASSIGNED, complaint, [choice.agent.id], now))
        return assigned

    # ------------------------------------------------------------------ after intake

    async def on_new_complaint(self, number: str, notify: Sequence[str] | None = None) -> None:
        """Notify the owner, escalate at once when routed so, start the SLA timers.

        `notify` is the routing decision's list of people to tell at once (intake hands it over
        from its result: `IntakeResult.notify`); None — a caller without intake's result at
        hand — reads it from the complaint's last `complaint.routed` event. With nobody to tell
        at once the complaint is only read, without taking the writer's turn. An escalation at
        intake is recorded once: running this again (after a restart, or in another process)
        finds it on the complaint and neither records nor announces it again.
        """
        now = self._now()
        escalated = False
        if notify is not None and not notify:
            async with self._store.snapshot() as tx:
                complaint = await tx.complaints.get(number, with_transcript=False)
            leads: list[str] = []
        else:
            async with self._store.transaction() as tx:
                complaint = await tx.complaints.get(number, with_transcript=False, for_update=True)
                if complaint is None:
                    return
                leads = [str(person) for person in notify] if notify is not None else await _routed_notify(tx, number)
                escalated = await _escalate_at_intake(tx, complaint, leads, now)
        if complaint is None:
            return
        owner = complaint.assignee or self._config.lead_of(complaint.team)
        notices = [self._notices.make(NoticeKind.ASSIGNED, complaint, [owner], now)]
        if escalated:
            notices.append(self._notices.make(NoticeKind.ESCALATED, complaint, leads, now))
        for notice in notices:
            await self._send(notice)
        if self.watcher is not None:
            await self.watcher.track(complaint)

    # ------------------------------------------------------------------ helpers

    async def _own(self, stage: Callable[[Transaction], Awaitable[RoutingStep]]) -> Complaint:
        """Run a routing step in a transaction of the router's own, then its after-commit work."""
        async with self._store.transaction() as tx:
            step = await stage(tx)
        await step.after_commit()
        return step.complaint

    async def _step(self, tx: Transaction, number: str, actor: str, action: str, change: _Change) -> RoutingStep:
        complaint = await self._change_in(tx, number, actor, action, _in_tx(change))
        return RoutingStep(complaint, self._after(complaint, []))

    async def _change_in(self, tx: Transaction, number: str, actor: str, action: str, change: _ChangeTx) -> Complaint:
        """Apply `change` to the complaint in `tx`; save and audit it when it changed anything."""
        now = self._now()
        complaint = await _get(tx, number)
        data = await change(tx, complaint, now)
        if data is not None:
            complaint.updated_at = now
            await tx.complaints.save(complaint)
            await tx.audit.append(Event(actor, action, now, number, dict(data)))
        return complaint

    def _after(self, complaint: Complaint, notices: list[Notice]) -> AfterCommit:
        """After the commit: the timers follow the complaint's state, then the notices go out."""

        async def after_commit() -> None:
            try:
                if self.watcher is not None:
                    await self.watcher.track(complaint)
            finally:  # the notices go out even when the timers could not be moved
                for notice in notices:
                    await self._send(notice)

        return after_commit


async def _routed_notify(tx: Transaction, number: str) -> list[str]:
    """The `notify` list of the complaint's last `complaint.routed` event (empty when none)."""
    routed = [e for e in await tx.audit.for_complaint(number) if e.action == "complaint.routed"]
    return [str(person) for person in (routed[-1].data.get("notify") or [])] if routed else []


async def _escalate_at_intake(tx: Transaction, complaint: Complaint, leads: list[str], now: datetime) -> bool:
    """Record the escalation to the first of `leads` at intake in `tx`; False when there is
    nobody to tell or it was recorded already."""
    if not leads or any(entry.deadline == "intake" for entry in complaint.escalations):
        return False
    complaint.escalations.append(EscalationEntry("intake", 0, "escalate_lead", now, leads[0]))
    await tx.complaints.save(complaint)
    data = {"deadline": "intake", "target": leads[0]}
    await tx.audit.append(Event("router", "sla.escalate_lead", now, complaint.number, data))
    return True


def _in_tx(change: _Change) -> _ChangeTx:
    async def in_tx(tx: Transaction, complaint: Complaint, now: datetime) -> dict[str, object] | None:
        return change(complaint, now)

    return in_tx


async def _get(tx: Transaction, number: str) -> Complaint:
    complaint = await tx.complaints.get(number, with_transcript=False)
    if complaint is None:
        raise NotFound(f"complaint {number} does not exist", number=number)
    return complaint


async def _waiting(tx: Transaction, team: str) -> list[Complaint]:
    query = ComplaintFilter(status=tuple(OPEN_STATUSES), team=team, limit=_QUEUE_PAGE)
    waiting = [c for c in await tx.complaints.list(query) if c.assignee is None]
    return sorted(waiting, key=lambda c: (-c.priority.rank, c.received_at))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _late(due: datetime | None, now: datetime) -> bool:
    return due is not None and now > due


def _shift(due: datetime | None, met: datetime | None, by: timedelta) -> datetime | None:
    return due + by if due is not None and met is None else due
