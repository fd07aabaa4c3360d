"""The SLA watcher: fires at each missed deadline, to the second, and climbs the escalation ladder.

Each open complaint has at most one timer per deadline (`sla:NUMBER:DEADLINE`) in the
`Timers` port (a Redis sorted set shared by every process, or memory). The timer stands
for the next rung of the ladder; the rungs already climbed are kept on the complaint
(`Complaint.escalations`), written in the same transaction as the step itself, so a
restart, a replayed timer or a second worker never repeats a step. After a restart,
`rebuild()` schedules the next rung of every open complaint from the database.

On a missed deadline, in the order of `[[escalation]]` in the rules: remind the owner,
escalate to the team lead, reassign when nobody started, escalate to management. Every
step is audited (`sla.remind`, `sla.escalate_lead`, `sla.reassign`,
`sla.escalate_management`) and notified.

The loop also calls `on_tick` about once a minute (the shell serves the team queues
there, for agents whose shift has just begun).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from intake.ports import Clock, ComplaintFilter, Notice, NoticeKind, Store, Timers, Transaction
from intake.records import OPEN_STATUSES, Complaint, EscalationEntry, Event, Priority, Status
from router.config import Action, EscalationStep, RoutingConfig
from router.engine import RulesRouter
from router.notices import NoticeMaker, NoticeSender

log = logging.getLogger(__name__)

ACTOR = "sla-watcher"
DEADLINES = ("first_response", "first_feedback", "report")
_DUE = {"first_response": "first_response_due", "first_feedback": "first_feedback_due", "report": "report_due"}
_MET = {"first_response": "first_response_at", "first_feedback": "first_feedback_at", "report": "resolved_at"}
_PAGE = 500


def timer_key(number: str, deadline: str) -> str:
    """The timer of one deadline of one complaint."""
    return f"sla:{number}:{deadline}"


def parse_key(key: str) -> tuple[str, str] | None:
    """(number, deadline) of a timer key, or None for a key that is not the watcher's."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != "sla" or parts[2] not in DEADLINES:
        return None
    return parts[1], parts[2]


def started(complaint: Complaint) -> bool:
    """True once somebody began working on the complaint."""
    return complaint.sla.first_response_at is not None or complaint.status != Status.PENDING


@dataclass(frozen=True, slots=True)
class Rung:
    """The next step of the ladder for one deadline: its index, the step and when it fires."""

    index: int
    step: EscalationStep
    at: datetime


class SlaWatcher:
    """Schedules and carries out the escalation ladder (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        timers: Timers,
        router: RulesRouter,
        notices: NoticeMaker,
        send: NoticeSender,
        *,
        clock: Clock | None = None,
        max_sleep: float = 5.0,
        on_tick: Callable[[], Awaitable[object]] | None = None,
        tick_seconds: float = 60.0,
    ) -> None:
        self._store = store
        self._timers = timers
        self._router = router
        self._notices = notices
        self._send = send
        self._clock: Clock = clock or router.clock
        self._max_sleep = max_sleep
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self.on_tick = on_tick
        self._tick_seconds = tick_seconds
        self._last_tick = 0.0

    @property
    def _config(self) -> RoutingConfig:
        """The router's rules: read each time, so a console save (`RulesRouter.replace_config`) applies."""
        return self._router.config

    def _now(self) -> datetime:
        return self._clock.now()

    # ------------------------------------------------------------------ schedule

    def next_rung(self, complaint: Complaint, deadline: str) -> Rung | None:
        """The next step for `deadline`, or None (met, paused, closed, no deadline, ladder done)."""
        due: datetime | None = getattr(complaint.sla, _DUE[deadline])
        met = getattr(complaint.sla, _MET[deadline])
        if due is None or met is not None or complaint.status not in OPEN_STATUSES or complaint.sla.paused_at:
            return None
        # Steps of this deadline fire at or after its earliest warning; earlier entries belong
        # to a deadline that was moved since (a reopen or a pause), whose ladder starts again.
        ladder = self._config.escalation
        earliest = due + min((step.offset for step in ladder), default=timedelta(0))
        done = [entry.step for entry in complaint.escalations if entry.deadline == deadline and entry.at >= earliest]
        index = max(done) + 1 if done else 0
        while index < len(ladder) and ladder[index].when_not_started and started(complaint):
            index += 1
        if index >= len(ladder):
            return None
        step = ladder[index]
        at = due - step.after.delta if step.before else self._config.calendar.add(due, step.after)
        return Rung(index, step, at)

    async def track(self, complaint: Complaint) -> None:
        """Schedule (or cancel) the timers of every deadline of `complaint`."""
        for deadline in DEADLINES:
            rung = self.next_rung(complaint, deadline)
            key = timer_key(complaint.number, deadline)
            if rung is None:
                await self._timers.cancel(key)
            else:
                await self._timers.schedule(key, rung.at)
        self._wake.set()

    async def rebuild(self) -> int:
        """Schedule the timers of every open complaint from the database; returns how many."""
        count, offset = 0, 0
        while True:
            query = ComplaintFilter(status=tuple(OPEN_STATUSES), limit=_PAGE, offset=offset)
            async with self._store.transaction() as tx:
                page = await tx.complaints.list(query)
            for complaint in page:
                await self.track(complaint)
            count += len(page)
            if len(page) < _PAGE:
                return count
            offset += _PAGE

    # ------------------------------------------------------------------ firing

    async def run_due(self, now: datetime | None = None) -> int:
        """Carry out every timer due at `now`; returns how many steps were taken."""
        now = now or self._now()
        taken = 0
        while True:
            keys = await self._timers.pop_due(now, 100)
            for key in keys:
                try:
                    taken += await self._fire(key, now)
                except Exception:  # one broken complaint must not stop the watcher
                    log.exception("SLA step for %s failed", key)
            if not keys:
                return taken

    async def _fire(self, key: str, now: datetime) -> int:
        parsed = parse_key(key)
        if parsed is None:
            return 0
        number, deadline = parsed
        notices: list[Notice] = []
        async with self._store.transaction() as tx:
            complaint = await tx.complaints.get(number, with_transcript=False)
            if complaint is None:
                return 0
            rung = self.next_rung(complaint, deadline)
            if rung is None:
                return 0
            if rung.at > now:
                await self._timers.schedule(key, rung.at)
                return 0
            due: datetime = getattr(complaint.sla, _DUE[deadline])
            entry = await self._take(tx, complaint, deadline, rung, due, now, notices)
            complaint.escalations.append(entry)
            complaint.updated_at = now
            await tx.complaints.save(complaint)
            data = {"deadline": deadline, "step": rung.index, "target": entry.target, "due": due.isoformat()}
            if entry.note:
                data["note"] = entry.note
            await tx.audit.append(Event(ACTOR, f"sla.{entry.action}", now, number, data))
        for notice in notices:
            await self._send(notice)
        await self.track(complaint)
        return 1

    async def _take(
        self,
        tx: Transaction,
        complaint: Complaint,
        deadline: str,
        rung: Rung,
        due: datetime,
        now: datetime,
        notices: list[Notice],
    ) -> EscalationEntry:
        action = rung.step.action
        make = self._notices.make
        if action in (Action.WARN, Action.REMIND):
            owner = complaint.assignee or self._config.lead_of(complaint.team)
            notices.append(make(NoticeKind.SLA_WARNING, complaint, [owner], now, deadline=deadline, due=due))
            return EscalationEntry(deadline, rung.index, action.value, now, owner)
        if action is Action.ESCALATE_LEAD:
            lead = self._config.lead_of(complaint.team)
            notices.append(make(NoticeKind.ESCALATED, complaint, [lead], now, deadline=deadline, due=due))
            return EscalationEntry(deadline, rung.index, action.value, now, lead, None if lead else "no lead")
        if action is Action.ESCALATE_MANAGEMENT:
            management = self._config.settings.management_team
            head = self._config.lead_of(management)
            if complaint.priority is not Priority.URGENT:
                complaint.priority = Priority.URGENT
            notices.append(make(NoticeKind.ESCALATED, complaint, [head], now, deadline=deadline, due=due))
            return EscalationEntry(deadline, rung.index, action.value, now, head, management)
        return await self._reassign(tx, complaint, deadline, rung, now, notices)

    async def _reassign(
        self,
        tx: Transaction,
        complaint: Complaint,
        deadline: str,
        rung: Rung,
        now: datetime,
        notices: list[Notice],
    ) -> EscalationEntry:
        team = complaint.team if complaint.team in self._config.teams else self._config.settings.default_team
        previous = complaint.assignee
        choice = await self._router.pick(team, tx.agents, exclude=(previous,) if previous else ())
        if choice.agent is None:
            return EscalationEntry(deadline, rung.index, Action.REASSIGN.value, now, None, "nobody free")
        complaint.team, complaint.assignee = team, choice.agent.id
        reason = f"未按时开始处理 → 改派{choice.agent.name}"
        complaint.routing_reasons = (*complaint.routing_reasons, reason)
        notices.append(
            self._notices.make(
                NoticeKind.REASSIGNED, complaint, [choice.agent.id, previous], now, previous_agent=previous
            )
        )
        return EscalationEntry(deadline, rung.index, Action.REASSIGN.value, now, choice.agent.id, previous)

    # ------------------------------------------------------------------ running

    async def start(self) -> None:
        """Rebuild the timers from the database and start the loop."""
        if self._task is not None:
            return
        self._stopping = False
        await self.rebuild()
        self._task = asyncio.create_task(self._loop(), name="sla-watcher")

    async def stop(self) -> None:
        """Stop the loop (timers stay where they are)."""
        task, self._task = self._task, None
        self._stopping = True
        self._wake.set()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        # A stop flag as well as the cancellation: on Python 3.11 `asyncio.wait_for` can swallow
        # a cancel that arrives just as the awaited event is set.
        while not self._stopping:
            try:
                await self.run_due()
                await self._tick()
                wait = await self._sleep_for()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SLA watcher round failed")
                wait = self._max_sleep
            if self._stopping:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def _tick(self) -> None:
        """Run `on_tick` (serving the team queues) at most every `tick_seconds`."""
        moment = asyncio.get_running_loop().time()
        if self.on_tick is None or moment - self._last_tick < self._tick_seconds:
            return
        self._last_tick = moment
        await self.on_tick()

    async def _sleep_for(self) -> float:
        upcoming = await self._timers.next_due()
        if upcoming is None:
            return self._max_sleep
        return min(self._max_sleep, max(0.0, (upcoming - self._now()).total_seconds()))
