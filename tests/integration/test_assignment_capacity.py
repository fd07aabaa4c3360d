"""Assignments stay within capacity when many transactions route to one team at once.

One team, one agent with room for `CAPACITY` complaints. Complaints wait in the queue while
the agent is off duty; then the agent comes on duty and, all at once, several transactions
serve the queue while new complaints are routed by the intake pipeline. On PostgreSQL
(READ COMMITTED) each transaction would count the same open load without the team hold
(`AgentDirectory.hold_team`); on SQLite the write lock serialises them. Afterwards the agent
owns exactly `CAPACITY` open complaints, each assigned once, and the rest wait in the queue.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

from intake.ports import ComplaintFilter
from intake.records import OPEN_STATUSES, ChannelName, ConversationRef, Identity, InboundMessage, MessageKind
from tests.integration.conftest import settings_for
from tousu.bootstrap import Runtime, build_runtime
from tousu.routing_wiring import routing_of

CAPACITY = 3
QUEUED = 6
ARRIVING = 6
SERVERS = 6
RULES = f"""
[settings]
default_team = "desk"
management_team = "management"

[[teams]]
code = "desk"
name = "前台"
name_en = "Desk"
lead = "solo"

[[teams.members]]
id = "solo"
name = "独行"
capacity = {CAPACITY}

[[teams]]
code = "management"
name = "管理层"
name_en = "Management"
lead = "boss"

[[teams.members]]
id = "boss"
name = "老板"

[[sla]]
first_response = "30m"
first_feedback = "24h"
report = "7wd"
"""
_ids = itertools.count()


def _complaint() -> InboundMessage:
    n = next(_ids)
    user = f"cap-{n}"
    return InboundMessage(
        channel=ChannelName.WEBCHAT,
        external_id=user,
        sender=Identity(ChannelName.WEBCHAT, user),
        conversation=ConversationRef(ChannelName.WEBCHAT, user),
        kind=MessageKind.TEXT,
        text="阿姨今天迟到了两个小时，地也没拖干净",
        received_at=datetime.now(UTC),
        phone=f"139{n:08d}",  # a customer of its own: a new complaint, not more detail for one
    )


async def _receive(runtime: Runtime, count: int) -> None:
    results = await asyncio.gather(*(runtime.intake.receive(_complaint()) for _ in range(count)))
    assert all(result.complaint is not None and result.created for result in results)


async def _assignments(runtime: Runtime, number: str) -> list[str]:
    """The agents the complaint was given to, from the audit trail (routing and queue serving)."""
    async with runtime.store.transaction() as tx:
        events = await tx.audit.for_complaint(number)
    given = [e for e in events if e.action in ("complaint.routed", "complaint.assigned")]
    return [str(e.data["agent"]) for e in given if e.data.get("agent")]


async def test_one_agent_is_never_filled_past_capacity(tmp_path: Path, database_url: str) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    runtime = await build_runtime(settings_for(tmp_path, database_url=database_url, routing_rules=rules))
    routing = routing_of(runtime)
    try:
        await routing.registry.set_on_duty("solo", False, runtime.clock.now())
        await _receive(runtime, QUEUED)
        await routing.settle()
        assert len(await routing.workflow.waiting("desk")) == QUEUED

        await routing.registry.set_on_duty("solo", True, runtime.clock.now())  # nobody served the queue yet
        await asyncio.gather(
            *(routing.workflow.serve_queue("desk") for _ in range(SERVERS)), _receive(runtime, ARRIVING)
        )
        await routing.settle()  # the intake follow-ups serve the queue too

        async with runtime.store.transaction() as tx:
            desk = await tx.complaints.list(ComplaintFilter(status=tuple(OPEN_STATUSES), team="desk", limit=100))
            load = await tx.agents.open_load("desk")
        assert len(desk) == QUEUED + ARRIVING
        assert load == {"solo": CAPACITY}
        assert sum(c.assignee is None for c in desk) == QUEUED + ARRIVING - CAPACITY
        assert len(await routing.workflow.waiting("desk")) == QUEUED + ARRIVING - CAPACITY
        given = [await _assignments(runtime, c.number) for c in desk]
        assert sorted(len(agents) for agents in given) == [0] * (QUEUED + ARRIVING - CAPACITY) + [1] * CAPACITY
    finally:
        await runtime.close()


async def test_serving_the_queue_never_undoes_a_change_committed_meanwhile(tmp_path: Path, database_url: str) -> None:
    """The queue is listed, then a waiting complaint is closed by another transaction before
    the server assigns it: the server looks again under a row lock and leaves it closed
    (saving its stale copy would reopen it, assigned)."""
    from sqlalchemy import update

    from intake.records import Status
    from storage.sql.schema import complaints
    from storage.sql.store import SqlStore

    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    runtime = await build_runtime(settings_for(tmp_path, database_url=database_url, routing_rules=rules))
    routing = routing_of(runtime)
    store = runtime.store
    assert isinstance(store, SqlStore)
    try:
        await routing.registry.set_on_duty("solo", False, runtime.clock.now())
        await _receive(runtime, 1)
        await routing.settle()
        (waiting,) = await routing.workflow.waiting("desk")
        await routing.registry.set_on_duty("solo", True, runtime.clock.now())
        closing = await store.engine.connect()
        transaction = await closing.begin()
        await closing.execute(
            update(complaints).where(complaints.c.number == waiting.number).values(status=str(Status.CLOSED))
        )
        server = asyncio.create_task(routing.workflow.serve_queue("desk"))
        await asyncio.sleep(0.5)  # let the server list the queue and wait for the row
        await transaction.commit()
        await closing.close()
        await server
        await routing.settle()
        async with runtime.store.transaction() as tx:
            after = await tx.complaints.get(waiting.number, with_transcript=False)
        assert after is not None
        assert (after.status, after.assignee) == (Status.CLOSED, None)
    finally:
        await runtime.close()
