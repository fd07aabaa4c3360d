"""Console actions are atomic: the router's part (status, SLA met times, the team queue) and
the console's part (resolution, replies in the outbox, merge record, audit) commit together.

The failure is real: the database itself refuses an insert in the middle of the action (a
trigger installed by the test), on SQLite and on PostgreSQL. Afterwards the ticket is as it
was in the router's view and in the ticket's own (status, timers, queue, outbox), and the
same action, tried again once the database accepts it, completes exactly once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, text

from intake.records import Complaint, Status
from storage.sql.console import SqlConsoleStore
from storage.sql.schema import outbox
from storage.sql.store import SqlStore
from tests.conftest import _redis_url
from tests.integration.console.conftest import USERS, Console, add_user
from tousu.bootstrap import build_runtime
from tousu.config import Settings
from tousu.routing_wiring import routing_of
from tousu.web import create_app

FAR = datetime(2100, 1, 1, tzinfo=UTC)
TEAM = "customer_service"


def _sql(console: Console) -> SqlStore:
    store = console.runtime.store
    assert isinstance(store, SqlStore)
    return store


async def _refuse(console: Console, table: str, when: str | None = None) -> None:
    """From now on the database refuses inserts into `table` (those matching `when`)."""
    async with _sql(console).engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            condition = f"WHEN {when}" if when else ""
            await connection.execute(
                text(
                    f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} {condition} "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
            return
        await connection.execute(
            text(
                "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
            )
        )
        condition = f"WHEN ({when})" if when else ""
        await connection.execute(
            text(
                f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW {condition} "
                "EXECUTE FUNCTION refuse_insert()"
            )
        )


async def _accept(console: Console, table: str) -> None:
    """The database accepts inserts into `table` again."""
    async with _sql(console).engine.begin() as connection:
        suffix = "" if connection.dialect.name == "sqlite" else f" ON {table}"
        await connection.execute(text(f"DROP TRIGGER refuse_{table}{suffix}"))


async def _ticket(console: Console, words: str = "阿姨迟到了两个小时", assignee: str | None = "zhang.min") -> str:
    number = await console.complaint(words)
    await routing_of(console.runtime).settle()  # the intake follow-up (notice, timers) is done
    await console.assign(number, TEAM, assignee)
    return number


async def _only_zhang_on_duty(console: Console) -> None:
    workflow = routing_of(console.runtime).workflow
    for agent, on in (("chen.jing", False), ("liu.yang", False), ("zhang.min", True)):
        await workflow.set_duty(agent, on, "test")


async def _get(console: Console, number: str) -> Complaint:
    async with console.runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number)
    assert complaint is not None
    return complaint


async def _actions(console: Console, number: str) -> list[str]:
    async with console.runtime.store.transaction() as tx:
        return [e.action for e in await tx.audit.for_complaint(number)]


async def _queued(console: Console, number: str) -> int:
    """How many replies to the customer of `number` the outbox holds."""
    async with _sql(console).engine.connect() as connection:
        query = select(func.count()).select_from(outbox).where(outbox.c.complaint_number == number)
        return int((await connection.execute(query)).scalar_one())


async def _timers(console: Console, number: str) -> set[str]:
    """The deadlines of `number` with a timer; takes the timers, so `_restore` puts them back."""
    keys = await console.runtime.coordination.timers.pop_due(FAR, 10_000)
    return {key.split(":")[2] for key in keys if key.startswith(f"sla:{number}:")}


async def _restore(console: Console) -> None:
    """Every open complaint's timers, from the database (what a restart does)."""
    await routing_of(console.runtime).watcher.rebuild()


async def _waiting(console: Console) -> list[str]:
    """The team queue in the router's view."""
    return [c.number for c in await routing_of(console.runtime).workflow.waiting(TEAM)]


async def test_a_resolve_that_fails_midway_changes_nothing_and_a_retry_resolves_once(routed: Console) -> None:
    await _only_zhang_on_duty(routed)
    number = await _ticket(routed)
    waiting = await _ticket(routed, "保洁没打扫干净", assignee=None)
    agent = routed.browsers["agent"]
    assert (await agent.post(f"/console/tickets/{number}/status", {"status": "in_progress"})).status == 303
    before = await _get(routed, number)
    queued, timers = await _queued(routed, number), await _timers(routed, number)
    assert timers  # the ticket is open: its report deadline at least has a timer
    await _restore(routed)
    form = {"resolution": "已退款 50 元", "compensation": "50 元"}

    await _refuse(routed, "outbox")  # the resolution message cannot be queued
    assert (await agent.post(f"/console/tickets/{number}/resolve", form)).status == 500

    after = await _get(routed, number)
    assert after.status == Status.IN_PROGRESS and after.sla == before.sla  # the router's change rolled back
    assert after.resolution is None and after.compensation is None and after.rating_requested_at is None
    assert after.transcript == before.transcript and await _queued(routed, number) == queued
    actions = await _actions(routed, number)
    assert "complaint.resolved" not in actions and "complaint.resolution_sent" not in actions
    assert await _waiting(routed) == [waiting]  # the queue was not served
    assert (await _get(routed, waiting)).assignee is None
    assert await _timers(routed, number) == timers  # the timers still run
    await _restore(routed)

    await _accept(routed, "outbox")
    assert (await agent.post(f"/console/tickets/{number}/resolve", form)).status == 303

    resolved = await _get(routed, number)
    assert resolved.status == Status.RESOLVED and resolved.sla.resolved_at is not None
    assert resolved.resolution == "已退款 50 元" and resolved.compensation == "50 元"
    sent = [e for e in resolved.transcript if e.direction == "out" and "已退款 50 元" in e.text]
    assert len(sent) == 1  # exactly one resolution message
    assert await _queued(routed, number) == queued + 2  # the resolution and the rating request
    actions = await _actions(routed, number)
    assert actions.count("complaint.resolved") == 1 and actions.count("complaint.resolution_sent") == 1
    assert await _waiting(routed) == [] and (await _get(routed, waiting)).assignee == "zhang.min"
    assert await _timers(routed, number) == set()


async def test_a_merge_that_fails_midway_changes_nothing_and_a_retry_merges_once(routed: Console) -> None:
    await _only_zhang_on_duty(routed)
    main = await _ticket(routed)
    duplicate = await _ticket(routed, "同一件事：阿姨迟到两个小时")
    waiting = await _ticket(routed, "保洁没打扫干净", assignee=None)
    before = await _get(routed, duplicate)
    timers = await _timers(routed, duplicate)
    assert timers
    await _restore(routed)
    agent = routed.browsers["agent"]

    # the router serves the queue when the duplicate closes: the database refuses that step
    await _refuse(routed, "audit_events", "NEW.action = 'complaint.assigned'")
    assert (await agent.post(f"/console/tickets/{duplicate}/merge", {"target": main})).status == 500

    after = await _get(routed, duplicate)
    assert after.status == before.status and after.resolution is None and after.sla == before.sla
    async with SqlConsoleStore(_sql(routed)).transaction() as tx:
        assert await tx.worklog.merged_into(main) == []
    assert "complaint.merged" not in await _actions(routed, duplicate)
    assert "complaint.duplicate_merged_in" not in await _actions(routed, main)
    assert await _waiting(routed) == [waiting] and (await _get(routed, waiting)).assignee is None
    assert await _timers(routed, duplicate) == timers
    await _restore(routed)

    await _accept(routed, "audit_events")
    response = await agent.post(f"/console/tickets/{duplicate}/merge", {"target": main})
    assert response.status == 303

    merged = await _get(routed, duplicate)
    assert merged.status == Status.CLOSED and merged.resolution == f"merged into {main}"
    async with SqlConsoleStore(_sql(routed)).transaction() as tx:
        assert await tx.worklog.merged_into(main) == [duplicate]
    assert (await _actions(routed, duplicate)).count("complaint.merged") == 1
    assert await _waiting(routed) == [] and (await _get(routed, waiting)).assignee == "zhang.min"
    assert await _timers(routed, duplicate) == set()


async def test_a_close_that_fails_midway_leaves_the_ticket_open(routed: Console) -> None:
    await _only_zhang_on_duty(routed)
    number = await _ticket(routed)
    waiting = await _ticket(routed, "保洁没打扫干净", assignee=None)
    agent = routed.browsers["agent"]
    close = {"status": "closed"}

    await _refuse(routed, "audit_events", "NEW.action = 'complaint.assigned'")
    assert (await agent.post(f"/console/tickets/{number}/status", close)).status == 500
    assert (await _get(routed, number)).status == Status.PENDING
    assert "complaint.status_changed" not in await _actions(routed, number)
    assert await _waiting(routed) == [waiting]

    await _accept(routed, "audit_events")
    assert (await agent.post(f"/console/tickets/{number}/status", close)).status == 303
    assert (await _get(routed, number)).status == Status.CLOSED
    assert (await _actions(routed, number)).count("complaint.status_changed") == 1
    assert await _waiting(routed) == [] and (await _get(routed, waiting)).assignee == "zhang.min"
    assert await _timers(routed, number) == set()


async def test_a_reply_whose_first_feedback_fails_is_not_sent_and_a_retry_sends_it_once(routed: Console) -> None:
    number = await _ticket(routed)
    before = await _get(routed, number)
    queued = await _queued(routed, number)
    agent = routed.browsers["agent"]
    reply = {"text": "您好，我们马上处理。"}

    await _refuse(routed, "audit_events", "NEW.action = 'sla.first_feedback'")
    assert (await agent.post(f"/console/tickets/{number}/reply", reply)).status == 500

    after = await _get(routed, number)
    assert after.status == before.status == Status.PENDING and after.sla == before.sla
    assert after.transcript == before.transcript and await _queued(routed, number) == queued
    assert "complaint.replied" not in await _actions(routed, number)

    await _accept(routed, "audit_events")
    assert (await agent.post(f"/console/tickets/{number}/reply", reply)).status == 303

    answered = await _get(routed, number)
    assert answered.status == Status.IN_PROGRESS and answered.sla.first_feedback_at is not None
    assert [e.text for e in answered.transcript if e.direction == "out"].count(reply["text"]) == 1
    assert await _queued(routed, number) == queued + 1
    assert (await _actions(routed, number)).count("sla.first_feedback") == 1


async def test_a_reassign_whose_routing_fails_keeps_the_owner(routed: Console) -> None:
    number = await _ticket(routed)
    lead = routed.browsers["lead"]
    move = {"team": TEAM, "assignee": "liu.yang"}

    await _refuse(routed, "audit_events", "NEW.action = 'complaint.reassign_routed'")
    assert (await lead.post(f"/console/tickets/{number}/reassign", move)).status == 500
    assert (await _get(routed, number)).assignee == "zhang.min"
    assert "complaint.reassigned" not in await _actions(routed, number)

    await _accept(routed, "audit_events")
    assert (await lead.post(f"/console/tickets/{number}/reassign", move)).status == 303
    assert (await _get(routed, number)).assignee == "liu.yang"
    actions = await _actions(routed, number)
    assert actions.count("complaint.reassigned") == 1 and actions.count("complaint.reassign_routed") == 1


async def test_a_timer_failure_after_the_commit_keeps_the_resolve(
    tmp_path: Path, redis_client: Any, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Timers live in Redis, outside the transaction: when Redis refuses the timer update after
    the commit, the resolve stands (stored once, the customer told once) and the failure is
    logged; the watcher's rebuild (at the next start) sets the timers from the database."""
    settings = Settings(data_dir=tmp_path / "data", redis_url=_redis_url(), redis_prefix=redis_prefix, env={})
    runtime = await build_runtime(settings)
    name, team = USERS["agent"]
    await add_user(runtime, name, "agent", team)
    server = TestServer(create_app(runtime, start_background=False))
    await server.start_server()
    console = Console(runtime, server)
    try:
        agent, response = await console.login(name)
        assert response.status == 303
        number = await _ticket(console)
        queued = await _queued(console, number)
        timers = f"{redis_prefix}timers"
        assert await redis_client.zcard(timers) > 0
        await redis_client.delete(timers)
        await redis_client.set(timers, "not a sorted set")  # every timer command now fails

        response = await agent.post(f"/console/tickets/{number}/resolve", {"resolution": "已上门返工"})
        assert response.status == 303
        assert f"routing follow-up of {number} failed" in caplog.text

        resolved = await _get(console, number)
        assert resolved.status == Status.RESOLVED and resolved.resolution == "已上门返工"
        assert await _queued(console, number) == queued + 2
        assert (await _actions(console, number)).count("complaint.resolved") == 1
        await redis_client.delete(timers)
        await routing_of(runtime).watcher.rebuild()
        assert await _timers(console, number) == set()
    finally:
        await routing_of(runtime).settle()
        for client in console.clients:
            await client.close()
        await server.close()
        await runtime.close()


async def test_an_action_builds_on_a_change_committed_while_it_waited(routed: Console) -> None:
    """Another writer has the ticket's row (here: raising its priority) when an agent acts on it:
    the action waits, reads the row again and keeps that change instead of saving an old copy."""
    import asyncio

    from sqlalchemy import update

    from intake.records import Priority
    from storage.sql.schema import complaints

    number = await _ticket(routed)
    agent = routed.browsers["agent"]
    other = await _sql(routed).engine.connect()
    transaction = await other.begin()
    await other.execute(update(complaints).where(complaints.c.number == number).values(priority=str(Priority.URGENT)))
    action = asyncio.create_task(agent.post(f"/console/tickets/{number}/status", {"status": "in_progress"}))
    await asyncio.sleep(0.5)  # the action has read the ticket and waits for the row
    await transaction.commit()
    await other.close()
    assert (await action).status == 303
    after = await _get(routed, number)
    assert (after.status, after.priority) == (Status.IN_PROGRESS, Priority.URGENT)
