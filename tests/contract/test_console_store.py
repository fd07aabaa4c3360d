"""The console's SQL repositories on SQLite and PostgreSQL: users, sessions, work log, queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.console_ports import Correction, QueueQuery, Session
from intake.errors import InvalidInput
from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Customer,
    NoteKind,
    Priority,
    Severity,
    SlaDeadlines,
    Status,
)
from intake.workflow import SLA_STATES, sla_state, urgency_key
from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def _complaint(store: SqlStore, number: str, team: str, assignee: str | None) -> None:
    async with store.transaction() as tx:
        customer = await tx.customers.add(Customer(id=f"c-{number}", created_at=NOW))
        await tx.complaints.add(
            Complaint(
                number=number,
                customer_id=customer.id,
                channel=ChannelName.WEBCHAT,
                conversation=ConversationRef(ChannelName.WEBCHAT, number),
                received_at=NOW,
                content="阿姨迟到",
                category=Category.PUNCTUALITY,
                severity=Severity.NORMAL,
                priority=Priority.NORMAL,
                confidence=0.9,
                team=team,
                assignee=assignee,
            )
        )


async def test_users_and_sessions(store: SqlStore) -> None:
    console = SqlConsoleStore(store)
    async with console.transaction() as tx:
        user_id = await tx.users.add("zhang.min", "agent", "hash", NOW, team="customer_service")
        with pytest.raises(InvalidInput):
            await tx.users.add("zhang.min", "lead", "hash", NOW)
        await tx.sessions.add(Session("s1", user_id, "csrf", NOW, NOW + timedelta(hours=1)))
        await tx.users.record_login(user_id, failed=3, locked_until=NOW + timedelta(minutes=5))
    async with console.transaction() as tx:
        stored = await tx.users.by_name("zhang.min")
        assert stored is not None and stored.failed_logins == 3 and stored.locked_until == NOW + timedelta(minutes=5)
        assert stored.user.team == "customer_service" and stored.user.role == "agent"
        assert await tx.sessions.get("s1", NOW) is not None
        assert await tx.sessions.get("s1", NOW + timedelta(hours=2)) is None
        await tx.sessions.add(Session("old", user_id, "csrf", NOW - timedelta(hours=2), NOW - timedelta(hours=1)))
        assert await tx.sessions.delete_expired(NOW) == 1
        await tx.users.update(user_id, role="lead", disabled=True)
        await tx.sessions.delete_for_user(user_id)
    async with console.transaction() as tx:
        again = await tx.users.by_id(user_id)
        assert again is not None and again.user.role == "lead" and again.user.disabled
        assert await tx.sessions.get("s1", NOW) is None
        assert [u.username for u in await tx.users.list()] == ["zhang.min"]


async def test_worklog_and_queue(store: SqlStore) -> None:
    await _complaint(store, "TS-20261201-000001", "customer_service", "zhang.min")
    await _complaint(store, "TS-20261201-000002", "dispatch", "wu.lei")
    await _complaint(store, "TS-20261201-000003", "dispatch", "zhang.min")
    console = SqlConsoleStore(store)
    async with console.transaction() as tx:
        await tx.worklog.add_note("TS-20261201-000001", NoteKind.OPINION, "客户很生气", "user:a", NOW)
        step = await tx.worklog.add_followup("TS-20261201-000001", "回访", "zhang.min", NOW, NOW)
        assert await tx.worklog.complete_followup("TS-20261201-000001", step, "user:a", NOW)
        assert not await tx.worklog.complete_followup("TS-20261201-000001", step, "user:a", NOW)
        await tx.worklog.add_correction(
            Correction(
                "TS-20261201-000001",
                "阿姨迟到",
                Category.QUALITY,
                Severity.NORMAL,
                Category.PUNCTUALITY,
                Severity.SERIOUS,
                "user:a",
                NOW,
            )
        )
        await tx.worklog.add_merge("TS-20261201-000002", "TS-20261201-000001", "user:a", NOW)
        with pytest.raises(InvalidInput):
            await tx.worklog.add_merge("TS-20261201-000002", "TS-20261201-000003", "user:a", NOW)
    async with console.transaction() as tx:
        notes = await tx.worklog.notes("TS-20261201-000001")
        assert [(n.kind, n.text) for n in notes] == [(NoteKind.OPINION, "客户很生气")]
        steps = await tx.worklog.followups("TS-20261201-000001")
        assert steps[0].done_by == "user:a"
        assert (await tx.worklog.corrections())[0].severity == Severity.SERIOUS
        assert await tx.worklog.merged_into("TS-20261201-000001") == ["TS-20261201-000002"]
        team_or_mine = (await tx.worklog.queue(QueueQuery(teams=("customer_service",), assignee="zhang.min"))).rows
        assert sorted(c.number for c in team_or_mine) == ["TS-20261201-000001", "TS-20261201-000003"]
        only_team = (await tx.worklog.queue(QueueQuery(teams=("dispatch",), status=(Status.PENDING,)))).rows
        assert sorted(c.number for c in only_team) == ["TS-20261201-000002", "TS-20261201-000003"]
        nothing = await tx.worklog.queue(QueueQuery(teams=(), assignee="nobody"))
        assert nothing.rows == [] and nothing.total == 0
        assert (await tx.worklog.queue(QueueQuery())).total == 3


# Deadlines relative to NOW: (status, response due in minutes or None, response met, paused, priority)
_SHAPES = [
    (Status.PENDING, -90, False, False, Priority.NORMAL),  # overdue
    (Status.PENDING, -90, False, False, Priority.URGENT),  # overdue, same deadline, higher priority
    (Status.IN_PROGRESS, -10, False, True, Priority.HIGH),  # past due but paused: on track
    (Status.PENDING, 20, False, False, Priority.LOW),  # due soon
    (Status.PENDING, 50, False, False, Priority.NORMAL),  # due soon
    (Status.PENDING, 200, False, False, Priority.NORMAL),  # on track
    (Status.PENDING, 200, False, False, Priority.NORMAL),  # on track, same key but the number
    (Status.REOPENED, 400, False, True, Priority.HIGH),  # paused, on track
    (Status.IN_PROGRESS, -30, True, False, Priority.NORMAL),  # every deadline met: none
    (Status.RESOLVED, -30, True, False, Priority.NORMAL),  # resolved: met
    (Status.RESOLVED, 30, False, False, Priority.URGENT),  # resolved: met
    (Status.CLOSED, None, False, False, Priority.NORMAL),  # no deadline: met
    (Status.PENDING, None, False, False, Priority.LOW),  # no deadline: none
]


async def _shaped(store: SqlStore, index: int, shape: tuple[object, ...]) -> str:
    status, due_in, met, paused, priority = shape
    number = f"TS-20261201-{index:06d}"
    await _complaint(store, number, "customer_service", None)
    async with store.transaction() as tx:
        complaint = await tx.complaints.get(number, with_transcript=False)
        assert complaint is not None
        due = None if due_in is None else NOW + timedelta(minutes=int(due_in))  # type: ignore[call-overload]
        complaint.status, complaint.priority = status, priority  # type: ignore[assignment]
        complaint.received_at = NOW - timedelta(minutes=index % 5)
        complaint.sla = SlaDeadlines(
            first_response_due=due,
            report_due=None if due is None else due + timedelta(days=7),
            first_response_at=NOW if met else None,
            resolved_at=NOW if status == Status.RESOLVED else None,
            paused_at=NOW if paused else None,
        )
        await tx.complaints.save(complaint)
    return number


async def test_the_queue_is_in_urgency_order_and_pages_by_key(store: SqlStore) -> None:
    made = [await _shaped(store, index, shape) for index, shape in enumerate(_SHAPES, start=1)]
    console = SqlConsoleStore(store)
    async with console.snapshot() as tx:
        everything = await tx.worklog.queue(QueueQuery(at=NOW, limit=100))
    expected = sorted(everything.rows, key=lambda c: (*urgency_key(c, NOW), c.number))
    assert [c.number for c in everything.rows] == [c.number for c in expected]
    assert sorted(c.number for c in everything.rows) == sorted(made) and everything.total == len(made)
    states = [sla_state(c, NOW).state for c in everything.rows]
    assert states == sorted(states, key=SLA_STATES.index) and set(states) == set(SLA_STATES)
    assert [k.number for k in everything.keys] == [c.number for c in everything.rows]

    pages, after = [], None
    async with console.snapshot() as tx:
        while True:
            page = await tx.worklog.queue(QueueQuery(at=NOW, limit=4, after=after))
            assert page.ahead == sum(len(p.rows) for p in pages) and page.total == len(made)
            pages.append(page)
            if not page.has_next:
                break
            after = page.keys[-1]
        assert [c.number for p in pages for c in p.rows] == [c.number for c in everything.rows]
        back = await tx.worklog.queue(QueueQuery(at=NOW, limit=4, before=pages[2].keys[0]))
        assert [c.number for c in back.rows] == [c.number for c in pages[1].rows] and back.ahead == 4
        numbers = [c.number for c in everything.rows]
        shifted = await tx.worklog.queue(QueueQuery(at=NOW, limit=4, before=pages[1].keys[1]))
        assert [c.number for c in shifted.rows] == numbers[1:5] and shifted.ahead == 1
        start = await tx.worklog.queue(QueueQuery(at=NOW, limit=4, before=pages[0].keys[2]))
        assert [c.number for c in start.rows] == numbers[:4] and not start.has_previous
        overdue = await tx.worklog.queue(QueueQuery(at=NOW, sla="overdue", status=(Status.PENDING,)))
        assert [c.number for c in overdue.rows] == [made[1], made[0]] and overdue.total == 2
        assert overdue.by_status[Status.CLOSED] == 1 and sum(overdue.by_status.values()) == len(made)
