"""The console's repositories on SQL, sharing the connection of a `SqlTransaction`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, false, func, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.console_ports import Correction, FollowUp, Note, QueueKey, QueuePage, QueueQuery, Session, StoredUser
from intake.errors import InvalidInput
from intake.permissions import ConsoleUser
from intake.ports import Clock
from intake.records import OPEN_STATUSES, Category, NoteKind, Priority, Severity, Status
from intake.report_ports import SlaState
from intake.workflow import SLA_STATES
from storage.crypto import FieldCipher
from storage.sql.complaint_rows import complaint_from_row
from storage.sql.engine import reading, writing
from storage.sql.reports import SLA_STAGES, sla_state_conditions
from storage.sql.schema import complaints
from storage.sql.schema_console import (
    classification_corrections,
    complaint_followups,
    complaint_merges,
    complaint_notes,
    console_sessions,
    console_users,
)
from storage.sql.store import SqlStore, SqlTransaction
from storage.sql.types import UtcDateTime, as_utc


class SqlUserDirectory:
    """Console accounts."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, username: str, role: str, password_hash: str, at: datetime, team: str | None = None) -> int:
        statement = console_users.insert().values(
            username=username,
            role=role,
            team=team,
            password_hash=password_hash,
            created_at=at,
            failed_logins=0,
            disabled=False,
        )
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(statement.returning(console_users.c.id))
        except IntegrityError as error:
            raise InvalidInput(f"user {username} already exists", field="username") from error
        return int(result.scalar_one())

    async def by_name(self, username: str) -> StoredUser | None:
        row = (await self._conn.execute(select(console_users).where(console_users.c.username == username))).first()
        return None if row is None else _stored(row._mapping)

    async def by_id(self, user_id: int) -> StoredUser | None:
        row = (await self._conn.execute(select(console_users).where(console_users.c.id == user_id))).first()
        return None if row is None else _stored(row._mapping)

    async def list(self) -> list[ConsoleUser]:
        rows = await self._conn.execute(select(console_users).order_by(console_users.c.username))
        return [_stored(row._mapping).user for row in rows]

    async def record_login(self, user_id: int, *, failed: int, locked_until: datetime | None) -> None:
        await self._conn.execute(
            update(console_users)
            .where(console_users.c.id == user_id)
            .values(failed_logins=failed, locked_until=locked_until)
        )

    async def update(
        self,
        user_id: int,
        *,
        role: str | None = None,
        team: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        if role is not None:
            values["role"] = role
        if team is not None:
            values["team"] = team or None
        if disabled is not None:
            values["disabled"] = disabled
        if password_hash is not None:
            values["password_hash"] = password_hash
        if values:
            await self._conn.execute(update(console_users).where(console_users.c.id == user_id).values(**values))


def _stored(row: Any) -> StoredUser:
    user = ConsoleUser(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        team=row["team"],
        display_name=row["display_name"],
        disabled=bool(row["disabled"]),
    )
    return StoredUser(user, row["password_hash"], row["failed_logins"] or 0, row["locked_until"])


class SqlSessionStore:
    """Sessions by the hash of their cookie secret."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, session: Session) -> None:
        await self._conn.execute(
            console_sessions.insert().values(
                id=session.id,
                user_id=session.user_id,
                csrf=session.csrf,
                created_at=session.created_at,
                expires_at=session.expires_at,
            )
        )

    async def get(self, session_id: str, now: datetime) -> Session | None:
        query = select(console_sessions).where(console_sessions.c.id == session_id, console_sessions.c.expires_at > now)
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        return Session(m["id"], m["user_id"], m["csrf"], m["created_at"], m["expires_at"])

    async def delete(self, session_id: str) -> None:
        await self._conn.execute(delete(console_sessions).where(console_sessions.c.id == session_id))

    async def delete_for_user(self, user_id: int) -> None:
        await self._conn.execute(delete(console_sessions).where(console_sessions.c.user_id == user_id))

    async def delete_expired(self, now: datetime) -> int:
        sessions = console_sessions.c
        statement = delete(console_sessions).where(sessions.expires_at <= now).returning(sessions.id)
        return len((await self._conn.execute(statement)).all())


class SqlWorklog:
    """Notes, follow-ups, corrections, merges and the queue query."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher, clock: Clock) -> None:
        self._conn = connection
        self._cipher = cipher
        self._clock = clock

    async def add_note(self, number: str, kind: NoteKind, text: str, author: str, at: datetime) -> int:
        statement = complaint_notes.insert().values(
            complaint_number=number, kind=str(kind), text_enc=self._cipher.encrypt(text), author=author, at=at
        )
        return int((await self._conn.execute(statement.returning(complaint_notes.c.id))).scalar_one())

    async def notes(self, number: str) -> list[Note]:
        query = (
            select(complaint_notes)
            .where(complaint_notes.c.complaint_number == number)
            .order_by(complaint_notes.c.at, complaint_notes.c.id)
        )
        return [
            Note(r.id, r.complaint_number, NoteKind(r.kind), self._cipher.decrypt(r.text_enc), r.author, r.at)
            for r in await self._conn.execute(query)
        ]

    async def add_followup(self, number: str, text: str, owner: str, due_at: datetime | None, at: datetime) -> int:
        statement = complaint_followups.insert().values(
            complaint_number=number, text_enc=self._cipher.encrypt(text), owner=owner, due_at=due_at, created_at=at
        )
        return int((await self._conn.execute(statement.returning(complaint_followups.c.id))).scalar_one())

    async def complete_followup(self, number: str, step_id: int, by: str, at: datetime) -> bool:
        statement = (
            update(complaint_followups)
            .where(
                complaint_followups.c.id == step_id,
                complaint_followups.c.complaint_number == number,
                complaint_followups.c.done_at.is_(None),
            )
            .values(done_at=at, done_by=by)
            .returning(complaint_followups.c.id)
        )
        return len((await self._conn.execute(statement)).all()) > 0

    async def followups(self, number: str) -> list[FollowUp]:
        query = (
            select(complaint_followups)
            .where(complaint_followups.c.complaint_number == number)
            .order_by(complaint_followups.c.created_at, complaint_followups.c.id)
        )
        return [
            FollowUp(
                r.id,
                r.complaint_number,
                self._cipher.decrypt(r.text_enc),
                r.owner,
                r.due_at,
                r.created_at,
                r.done_at,
                r.done_by,
            )
            for r in await self._conn.execute(query)
        ]

    async def add_correction(self, correction: Correction) -> None:
        await self._conn.execute(
            classification_corrections.insert().values(
                complaint_number=correction.complaint_number,
                text_enc=self._cipher.encrypt(correction.text),
                original_category=str(correction.original_category),
                original_severity=str(correction.original_severity),
                category=str(correction.category),
                severity=str(correction.severity),
                actor=correction.actor,
                at=correction.at,
            )
        )

    async def corrections(self) -> list[Correction]:
        query = select(classification_corrections).order_by(
            classification_corrections.c.at, classification_corrections.c.id
        )
        return [
            Correction(
                r.complaint_number,
                self._cipher.decrypt(r.text_enc),
                Category(r.original_category),
                Severity(r.original_severity),
                Category(r.category),
                Severity(r.severity),
                r.actor,
                r.at,
            )
            for r in await self._conn.execute(query)
        ]

    async def add_merge(self, source: str, target: str, actor: str, at: datetime) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    complaint_merges.insert().values(source_number=source, target_number=target, actor=actor, at=at)
                )
        except IntegrityError as error:
            raise InvalidInput(f"{source} was already merged", field="target") from error

    async def merged_into(self, target: str) -> list[str]:
        query = (
            select(complaint_merges.c.source_number)
            .where(complaint_merges.c.target_number == target)
            .order_by(complaint_merges.c.at)
        )
        return [row.source_number for row in await self._conn.execute(query)]

    async def queue(self, query: QueueQuery) -> QueuePage:
        order = _QueueOrder(query.at or self._clock.now())
        scope = _scope_conditions(query)
        chosen = _chosen_conditions(query, order)
        limit = max(query.limit, 1)
        if query.before is not None:
            earlier = [*scope, *chosen, order.beyond(query.before, False)]
            rows = list(reversed(await self._queue_rows(order, earlier, limit, False)))
            if len(rows) < limit:  # fewer ahead of the key than a page: the first page
                rows = await self._queue_rows(order, [*scope, *chosen], limit, True)
        else:
            beyond = [order.beyond(query.after, True)] if query.after is not None else []
            rows = await self._queue_rows(order, [*scope, *chosen, *beyond], limit, True)
        keys = [key for _, key in rows]
        if keys:
            ahead = order.beyond(keys[0], False)
        elif query.after is not None:
            ahead = ~order.beyond(query.after, True)
        else:
            ahead = false()
        matching = and_(true(), *chosen)
        counting = (
            select(c.status, func.count(), _count(matching), _count(and_(matching, ahead)))
            .where(*scope)
            .group_by(c.status)
        )
        by_status = {status: 0 for status in Status}
        total = before = 0
        for status, everything, matched, earlier in (await self._conn.execute(counting)).all():
            by_status[Status(status)] = int(everything)
            total += int(matched or 0)
            before += int(earlier or 0)
        return QueuePage([row for row, _ in rows], keys, total, before, by_status)

    async def _queue_rows(
        self, order: _QueueOrder, where: list[ColumnElement[bool]], limit: int, forward: bool
    ) -> list[tuple[Any, QueueKey]]:
        statement = select(complaints, *order.labelled()).where(*where).order_by(*order.sort(forward)).limit(limit)
        found = []
        for row in await self._conn.execute(statement):
            m = row._mapping
            key = QueueKey(int(m["q_rank"]), m["q_due"], int(m["q_priority"]), m["received_at"], m["number"])
            found.append((complaint_from_row(m, self._cipher), key))
        return found


c = complaints.c
_OPEN = [str(s) for s in OPEN_STATUSES]
_RANK = {state: SLA_STATES.index(str(state)) for state in SlaState}


class _QueueOrder:
    """The queue's order at one instant as SQL (see `QueueKey`): the SLA state rank of the
    reports' own state conditions, the next unmet deadline of an open ticket, the priority
    rank; then received time and number."""

    def __init__(self, at: datetime) -> None:
        states = sla_state_conditions(at)
        self.rank: Any = case(*((condition, _RANK[state]) for state, condition in states.items()), else_=4)
        self.due: Any = case((c.status.in_(_OPEN), _earliest(_pending_deadlines())), else_=None)
        self.priority: Any = case(*((c.priority == str(p), p.rank) for p in Priority), else_=0)

    def labelled(self) -> list[Any]:
        """The key's computed parts as result columns."""
        return [self.rank.label("q_rank"), self.due.label("q_due"), self.priority.label("q_priority")]

    def sort(self, forward: bool) -> list[Any]:
        """ORDER BY for the queue's order (`forward`) or its reverse."""
        if forward:
            return [self.rank, self.due, self.priority.desc(), c.received_at, c.number]
        return [self.rank.desc(), self.due.desc(), self.priority.asc(), c.received_at.desc(), c.number.desc()]

    def beyond(self, key: QueueKey, forward: bool) -> ColumnElement[bool]:
        """The rows after `key` in the queue's order (`forward`), else the rows before it.

        Within one rank the deadline is either always set (ranks 0–2) or never (3, 4), so
        a key without a deadline compares on the parts after it.
        """

        def past(column: Any, value: Any) -> ColumnElement[bool]:
            return column > value if forward else column < value

        received = literal(as_utc(key.received_at), UtcDateTime())
        tail: ColumnElement[bool] = past(c.number, key.number)
        tail = or_(past(c.received_at, received), and_(c.received_at == received, tail))
        lower = self.priority < key.priority if forward else self.priority > key.priority  # higher first
        tail = or_(lower, and_(self.priority == key.priority, tail))
        if key.due is not None:
            due = literal(as_utc(key.due), UtcDateTime())
            tail = or_(past(self.due, due), and_(self.due == due, tail))
        return or_(past(self.rank, key.rank), and_(self.rank == key.rank, tail))


def _pending_deadlines() -> list[Any]:
    return [case((done.is_(None), due), else_=None) for due, done in SLA_STAGES.values()]


def _earliest(values: list[Any]) -> Any:
    """The smallest non-NULL value (NULL when all are): SQLite's min() and PostgreSQL's
    least() disagree about NULL, a CASE does not."""
    first, *rest = values
    for value in rest:
        first = case((first.is_(None), value), (value.is_(None), first), (first <= value, first), else_=value)
    return first


def _scope_conditions(query: QueueQuery) -> list[ColumnElement[bool]]:
    """The role's scope (teams OR assignee) and the category, severity and channel filter."""
    conditions: list[ColumnElement[bool]] = [
        c[name] == str(value)
        for name, value in (("category", query.category), ("severity", query.severity), ("channel", query.channel))
        if value is not None
    ]
    scope: list[Any] = []
    if query.teams is not None:
        scope.append(c.team.in_(list(query.teams)))
    if query.assignee is not None:
        scope.append(c.assignee == query.assignee)
    if scope:
        conditions.append(or_(*scope))
    return conditions


def _chosen_conditions(query: QueueQuery, order: _QueueOrder) -> list[ColumnElement[bool]]:
    """The status and SLA state filter (what the status counts do not narrow)."""
    conditions: list[ColumnElement[bool]] = []
    if query.status is not None:
        conditions.append(c.status.in_([str(s) for s in query.status]))
    if query.sla is not None:
        conditions.append(order.rank == SLA_STATES.index(query.sla))
    return conditions


def _count(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


class SqlConsoleTransaction(SqlTransaction):
    """A `SqlTransaction` with the console's repositories (implements `ConsoleTransaction`)."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher, clock: Clock) -> None:
        super().__init__(connection, cipher, clock)
        self.users = SqlUserDirectory(connection)
        self.sessions = SqlSessionStore(connection)
        self.worklog = SqlWorklog(connection, cipher, clock)


class SqlConsoleStore:
    """Console units of work on the engine of a `SqlStore` (implements `ConsoleStore`).

    They take the same writer turn as the store's own transactions (on SQLite, console
    actions queue with intake's writes instead of meeting them in the busy timeout). The
    console does not tell reads from writes, so every unit of work takes it.
    """

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlConsoleTransaction]:
        """Commit when the block ends normally, roll back when it raises."""
        async with writing(self._store.engine) as connection:
            yield SqlConsoleTransaction(connection, self._store.cipher, self._store.clock)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqlConsoleTransaction]:
        """A unit of work for reads only: it never waits for a writer (`storage.sql.engine.reading`)."""
        async with reading(self._store.engine) as connection:
            yield SqlConsoleTransaction(connection, self._store.cipher, self._store.clock)
