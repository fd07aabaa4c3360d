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
    Status,
)
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
        team_or_mine = await tx.worklog.queue(QueueQuery(teams=("customer_service",), assignee="zhang.min"))
        assert sorted(c.number for c in team_or_mine) == ["TS-20261201-000001", "TS-20261201-000003"]
        only_team = await tx.worklog.queue(QueueQuery(teams=("dispatch",), status=(Status.PENDING,)))
        assert sorted(c.number for c in only_team) == ["TS-20261201-000002", "TS-20261201-000003"]
        nothing = await tx.worklog.queue(QueueQuery(teams=(), assignee="nobody"))
        assert nothing == []
        assert len(await tx.worklog.queue(QueueQuery())) == 3
