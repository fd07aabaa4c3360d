"""A real routing stack on a migrated SQL store, with a clock the test moves and notices collected."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from intake.ports import Notice, PastComplaint, RoutingRequest, Timers
from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Customer,
    Event,
    Severity,
    Status,
    Tier,
)
from router import load_rules, load_scripts, parse_rules
from router.config import RoutingConfig
from router.engine import RulesRouter
from router.notices import NoticeMaker
from router.watcher import SlaWatcher
from router.workflow import RoutingWorkflow
from storage.memory import MemoryTimers
from storage.migrate import upgrade
from storage.sql.routing import SqlAgentRegistry
from storage.sql.store import SqlStore
from tests.unit.router.helpers import MONDAY_11, FixedClock

_customers = itertools.count()
OLD = PastComplaint(
    "TS-20250101-000001", Status.CLOSED, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC)
)


@dataclass
class Collected:
    """A notice sender that keeps what it was given."""

    notices: list[Notice] = field(default_factory=list)

    async def __call__(self, notice: Notice) -> None:
        self.notices.append(notice)

    def kinds(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(str(n.kind), n.recipients) for n in self.notices]


@dataclass
class Stack:
    store: SqlStore
    config: RoutingConfig
    router: RulesRouter
    clock: FixedClock
    timers: Timers
    watcher: SlaWatcher
    workflow: RoutingWorkflow
    sent: Collected
    registry: SqlAgentRegistry

    async def complaint(
        self,
        category: Category = Category.QUALITY,
        severity: Severity = Severity.NORMAL,
        tier: Tier = Tier.REGULAR,
        customer: str | None = None,
        channel: ChannelName = ChannelName.WEBCHAT,
        history: tuple[PastComplaint, ...] = (OLD,),
    ) -> Complaint:
        """A complaint taken in now, routed by the real router and stored, then handed to the workflow.

        By default the customer had one complaint long ago (so the first-complaint rule stays out).
        """
        now = self.clock.now()
        async with self.store.transaction() as tx:
            customer_id = customer or f"c-{next(_customers)}-{uuid.uuid4().hex[:6]}"
            if await tx.customers.get(customer_id) is None:
                await tx.customers.add(Customer(customer_id, tier=tier, created_at=now))
            number = await tx.complaints.next_number(now.date())
            request = RoutingRequest(number, category, severity, channel, now, customer_id, tier, history)
            assignment = await self.router.route(request, tx.agents)
            complaint = Complaint(
                number=number,
                customer_id=customer_id,
                channel=channel,
                conversation=ConversationRef(channel, customer_id),
                received_at=now,
                content="test",
                category=category,
                severity=severity,
                priority=assignment.priority,
                confidence=1.0,
                team=assignment.team,
                assignee=assignment.agent,
                sla=assignment.sla,
                routing_reasons=assignment.reasons,
                updated_at=now,
            )
            await tx.complaints.add(complaint)
            data = {"team": assignment.team, "agent": assignment.agent, "notify": list(assignment.notify)}
            await tx.audit.append(Event("intake", "complaint.routed", now, number, data))
        await self.workflow.on_new_complaint(number)
        return await self.get(number)

    async def get(self, number: str) -> Complaint:
        async with self.store.transaction() as tx:
            found = await tx.complaints.get(number, with_transcript=False)
            assert found is not None
            return found

    async def audit(self, number: str) -> list[str]:
        async with self.store.transaction() as tx:
            return [event.action for event in await tx.audit.for_complaint(number)]

    async def run(self) -> int:
        """Fire every due timer (as the watcher loop would)."""
        return await self.watcher.run_due(self.clock.now())


async def build_stack(
    url: str, cipher: Any, rules: str | None = None, timers: Timers | None = None, at: datetime = MONDAY_11
) -> Stack:
    await upgrade(url)
    store = SqlStore(url, cipher)
    config = parse_rules(rules, "test.toml") if rules else load_rules()
    clock = FixedClock(at)
    router = RulesRouter(config, clock=clock)
    scripts = load_scripts(config=config)
    notices = NoticeMaker(scripts, config)
    sent = Collected()
    timers = timers or MemoryTimers()
    watcher = SlaWatcher(store, timers, router, notices, sent, clock=clock)
    registry = SqlAgentRegistry(store.engine)
    await registry.seed(config.agent_records(), at)
    workflow = RoutingWorkflow(store, router, notices, sent, registry=registry, watcher=watcher)
    return Stack(store, config, router, clock, timers, watcher, workflow, sent, registry)


async def closing(stack: Stack) -> AsyncIterator[Stack]:
    try:
        yield stack
    finally:
        await stack.store.close()
