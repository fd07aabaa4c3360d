"""`Reports` on SQL: dashboard figures, the ledger and the risk facts (SQLite and PostgreSQL).

Counts, sums, averages and groupings run in the database. What SQLite cannot do is
finished in Python on small results: SQLite groups per UTC hour and the hours are
folded into local days here (exact for zones with whole-hour offsets, as all of
China); SQLite has no percentile function, so the durations (one number per complaint)
are fetched sorted and the median and p90 computed here, the same linear interpolation
PostgreSQL's `percentile_cont` uses.

SLA deadlines and the times they were met are the columns of `complaints` as of
0001_initial (`first_response_due/at`, `first_feedback_due/at`, `report_due` with
`resolved_at`), and `sla_paused_at` of 0002_routing: while a complaint waits on the
customer its clock is stopped, so it is neither overdue nor missed (the router moves the
deadlines on resume). `SLA_STAGES` is the one table to extend when stages are added.

Reads run on an engine of their own: on SQLite it opens plain (deferred) read
transactions with `query_only`, so a long report or download never holds the write
lock the intake pipeline needs; downloads fetch one keyset page per transaction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from intake.records import OPEN_STATUSES, Severity, Status, Tier
from intake.report_ports import (
    DUE_SOON,
    TENURE_BUCKETS,
    Breakdown,
    DailyCount,
    Dashboard,
    DurationStats,
    GroupStats,
    LedgerRow,
    ReportFilter,
    RiskComplaint,
    RiskFacts,
    SatisfactionStats,
    SlaCompliance,
    SlaStage,
    SlaState,
    TenureCount,
)
from storage.crypto import FieldCipher
from storage.sql.complaint_rows import complaint_from_row
from storage.sql.complaints import filter_conditions
from storage.sql.engine import SQLITE_BUSY_TIMEOUT_MS, normalize_url
from storage.sql.schema import complaints, customers
from storage.sql.store import SqlStore
from storage.sql.types import UtcDateTime, as_utc

c = complaints.c

SLA_STAGES: dict[SlaStage, tuple[Any, Any]] = {
    SlaStage.FIRST_RESPONSE: (c.first_response_due, c.first_response_at),
    SlaStage.FIRST_FEEDBACK: (c.first_feedback_due, c.first_feedback_at),
    SlaStage.RESOLUTION: (c.report_due, c.resolved_at),
}
"""Each SLA stage: (deadline column, the column of when it was actually done)."""

_OPEN = [str(s) for s in OPEN_STATUSES]
_SERIOUS = [str(Severity.SERIOUS), str(Severity.CRITICAL)]
GROUP_LIMIT = 50
"""At most this many agents and workers are listed (the busiest first)."""
_IN_CHUNK = 500


class SqlReports:
    """`intake.report_ports.Reports` on the database at `url`.

    Built from a URL it owns its engine (`close()` releases it); `for_store` shares the
    store's engine on PostgreSQL and, on SQLite, opens a pool-less reader of the same file.
    """

    def __init__(self, url: str, cipher: FieldCipher, *, engine: AsyncEngine | None = None, **options: Any) -> None:
        self._owns_engine = engine is None
        self.engine = engine if engine is not None else _reader_engine(url, **options)
        self._cipher = cipher

    @classmethod
    def for_store(cls, store: SqlStore) -> SqlReports:
        """Reports over the database of `store`; nothing to close (see the class docstring)."""
        url = store.engine.url
        if url.get_backend_name() == "sqlite":
            return cls(url.render_as_string(hide_password=False), store.cipher, poolclass=NullPool)
        return cls(url.render_as_string(hide_password=False), store.cipher, engine=store.engine)

    async def close(self) -> None:
        """Release connections of an engine of our own."""
        if self._owns_engine:
            await self.engine.dispose()

    # ------------------------------------------------------------------ dashboard

    async def dashboard(self, query: ReportFilter, now: datetime, timezone: str) -> Dashboard:
        zone = ZoneInfo(timezone)
        where = conditions(query, now)
        async with self.engine.connect() as conn:
            totals = (
                await conn.execute(
                    select(func.count(), _sum(c.status.in_(_OPEN))).select_from(complaints).where(*where)
                )
            ).one()
            per_day = {kind: await _per_day(conn, where, kind, zone) for kind in Breakdown}
            sla = await _sla(conn, where, now)
            durations = (
                await _durations(conn, where, SlaStage.FIRST_RESPONSE, c.first_response_at),
                await _durations(conn, where, SlaStage.RESOLUTION, c.resolved_at),
            )
            satisfaction = await _satisfaction(conn, where)
            teams = await _groups(conn, where, now, c.team, limit=None)
            agents = await _groups(conn, where, now, c.assignee, limit=GROUP_LIMIT)
            workers = await _groups(conn, [*where, c.worker_ref.is_not(None)], now, c.worker_ref, limit=GROUP_LIMIT)
            tenure = await _tenure(conn, where)
        return Dashboard(
            total=int(totals[0]),
            open=int(totals[1] or 0),
            per_day=per_day,
            sla=sla,
            durations=durations,
            satisfaction=satisfaction,
            teams=teams,
            agents=agents,
            workers=workers,
            tenure=tenure,
        )

    # ------------------------------------------------------------------ ledger

    async def ledger(self, query: ReportFilter, now: datetime, limit: int, offset: int = 0) -> list[LedgerRow]:
        statement = _ledger_select(query, now).limit(max(limit, 0)).offset(max(offset, 0))
        async with self.engine.connect() as conn:
            return [self._ledger_row(r._mapping) for r in await conn.execute(statement)]

    async def ledger_count(self, query: ReportFilter, now: datetime) -> int:
        statement = select(func.count()).select_from(complaints).where(*conditions(query, now))
        async with self.engine.connect() as conn:
            return int((await conn.execute(statement)).scalar_one())

    async def ledger_rows(self, query: ReportFilter, now: datetime, batch: int = 500) -> AsyncIterator[LedgerRow]:
        after: tuple[datetime, str] | None = None
        while True:
            statement = _ledger_select(query, now)
            if after is not None:
                at, number = after
                statement = statement.where(or_(c.received_at < at, and_(c.received_at == at, c.number < number)))
            async with self.engine.connect() as conn:
                rows = [self._ledger_row(r._mapping) for r in await conn.execute(statement.limit(max(batch, 1)))]
            for row in rows:
                yield row
            if len(rows) < max(batch, 1):
                return
            last = rows[-1].complaint
            after = (last.received_at, last.number)

    def _ledger_row(self, row: Any) -> LedgerRow:
        return LedgerRow(
            complaint=complaint_from_row(row, self._cipher),
            customer_name=self._cipher.decrypt_optional(row["customer_name_enc"]),
            customer_phone=self._cipher.decrypt_optional(row["customer_phone_enc"]),
            customer_tier=Tier(row["customer_tier"]),
            sla_state=SlaState(row["sla_state"]),
        )

    # ------------------------------------------------------------------ risk

    async def risk_facts(self, query: ReportFilter, now: datetime) -> list[RiskFacts]:
        where = conditions(query, now)
        is_open = c.status.in_(_OPEN)
        candidates = (
            select(c.customer_id)
            .select_from(complaints.join(customers, customers.c.id == c.customer_id))
            .where(*where)
            .group_by(c.customer_id, customers.c.tier)
            .having(
                or_(
                    func.count() >= 2,
                    _sum(c.repeat_of.is_not(None)) > 0,
                    _sum(c.satisfaction <= 2) > 0,
                    _sum(and_(is_open, overdue_condition(now))) > 0,
                    and_(customers.c.tier == str(Tier.VIP), _sum(is_open) > 0),
                )
            )
        )
        async with self.engine.connect() as conn:
            ids = [r[0] for r in await conn.execute(candidates)]
            people: dict[str, tuple[str | None, Tier]] = {}
            found: dict[str, list[RiskComplaint]] = defaultdict(list)
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                who = select(customers.c.id, customers.c.name_enc, customers.c.tier).where(customers.c.id.in_(chunk))
                for r in await conn.execute(who):
                    people[r.id] = (self._cipher.decrypt_optional(r.name_enc), Tier(r.tier))
                facts = select(
                    c.customer_id,
                    c.number,
                    c.status,
                    c.severity,
                    c.received_at,
                    c.satisfaction,
                    c.repeat_of,
                    overdue_condition(now).label("is_overdue"),
                ).where(*where, c.customer_id.in_(chunk))
                for r in await conn.execute(facts):
                    found[r.customer_id].append(
                        RiskComplaint(
                            number=r.number,
                            status=Status(r.status),
                            severity=Severity(r.severity),
                            received_at=r.received_at,
                            satisfaction=r.satisfaction,
                            repeat_of=r.repeat_of,
                            overdue=bool(r.is_overdue),
                        )
                    )
        return [
            RiskFacts(customer_id, people[customer_id][0], people[customer_id][1], tuple(found[customer_id]))
            for customer_id in ids
            if customer_id in people
        ]


# ---------------------------------------------------------------------- conditions


def _pending(due: Any, done: Any) -> ColumnElement[bool]:
    return and_(due.is_not(None), done.is_(None))


def running() -> ColumnElement[bool]:
    """The SLA clock runs: not paused while waiting on the customer (0002_routing's `sla_paused_at`)."""
    return c.sla_paused_at.is_(None)


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Open, clock running, and a deadline passed (or due this instant) with its step not done."""
    at = literal(as_utc(now), UtcDateTime())
    late = [and_(_pending(due, done), due <= at) for due, done in SLA_STAGES.values()]
    return and_(c.status.in_(_OPEN), running(), or_(*late))


def sla_state_conditions(now: datetime) -> dict[SlaState, ColumnElement[bool]]:
    """One condition per SLA state; exactly one holds for every complaint."""
    soon = literal(as_utc(now + DUE_SOON), UtcDateTime())
    is_open = c.status.in_(_OPEN)
    overdue = overdue_condition(now)
    soon_due = or_(*(and_(_pending(d, m), d <= soon) for d, m in SLA_STAGES.values()))
    due_soon = and_(is_open, running(), ~overdue, soon_due)
    any_pending = or_(*(_pending(d, m) for d, m in SLA_STAGES.values()))
    return {
        SlaState.OVERDUE: overdue,
        SlaState.DUE_SOON: due_soon,
        SlaState.ON_TRACK: and_(is_open, any_pending, ~overdue, ~due_soon),
        SlaState.MET: and_(~is_open, or_(c.resolved_at.is_not(None), ~any_pending)),
        SlaState.NONE: or_(and_(is_open, ~any_pending), and_(~is_open, any_pending, c.resolved_at.is_(None))),
    }


def sla_state_case(now: datetime) -> Any:
    """The SLA state of each row as a SQL CASE (state codes as text)."""
    states = sla_state_conditions(now)
    return case(*((condition, str(state)) for state, condition in states.items()), else_=str(SlaState.NONE))


def conditions(query: ReportFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE clauses of `query` on `complaints`."""
    where = filter_conditions(query)
    if query.sla_state is not None:
        where.append(sla_state_conditions(now)[query.sla_state])
    return where


def met(due: Any, done: Any) -> ColumnElement[bool]:
    """The step was done by its deadline."""
    return and_(due.is_not(None), done.is_not(None), done <= due)


def missed(due: Any, done: Any, at: Any) -> ColumnElement[bool]:
    """The step was done late, or is still not done on an open complaint past its deadline
    while its clock runs."""
    return and_(
        due.is_not(None),
        or_(and_(done.is_not(None), done > due), and_(done.is_(None), c.status.in_(_OPEN), running(), due <= at)),
    )


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def seconds_between(conn: AsyncConnection, later: Any, earlier: Any) -> Any:
    """`later - earlier` in seconds, as SQL of the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


# ---------------------------------------------------------------------- dashboard parts


async def _per_day(
    conn: AsyncConnection, where: list[ColumnElement[bool]], kind: Breakdown, zone: ZoneInfo
) -> tuple[DailyCount, ...]:
    key = c[str(kind)]
    counts: dict[tuple[date, str], int] = defaultdict(int)
    if conn.dialect.name == "postgresql":
        local_day = cast(func.timezone(zone.key, c.received_at), Date)
        statement = select(local_day, key, func.count()).where(*where).group_by(local_day, key)
        for found_day, value, count in await conn.execute(statement):
            counts[(found_day, value)] += int(count)
    else:
        offset = await _fixed_offset(conn, where, zone)
        if offset is not None:
            # One offset over the whole range: let SQLite group by the local day itself.
            day = func.date(c.received_at, f"{offset:+d} seconds")
            statement = select(day, key, func.count()).where(*where).group_by(day, key)
            for found_day, value, count in await conn.execute(statement):
                counts[(date.fromisoformat(found_day), value)] += int(count)
        else:
            # The offset changes (summer time): group per UTC hour, fold hours into local days here.
            hour = func.strftime("%Y-%m-%d %H", c.received_at)
            statement = select(hour, key, func.count()).where(*where).group_by(hour, key)
            for found_hour, value, count in await conn.execute(statement):
                utc_hour = datetime.strptime(found_hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
                counts[(utc_hour.astimezone(zone).date(), value)] += int(count)
    return tuple(DailyCount(d, k, n) for (d, k), n in sorted(counts.items()))


async def _fixed_offset(conn: AsyncConnection, where: list[ColumnElement[bool]], zone: ZoneInfo) -> int | None:
    """The zone's UTC offset in seconds when it is the same on every day of the data, else None."""
    first, last = (await conn.execute(select(func.min(c.received_at), func.max(c.received_at)).where(*where))).one()
    if first is None or last is None:
        return 0
    start, end = as_utc(_as_datetime(first)), as_utc(_as_datetime(last))
    offsets = {zone.utcoffset(start.replace(tzinfo=None)), zone.utcoffset(end.replace(tzinfo=None))}
    moment = start
    while moment < end and len(offsets) == 1:
        moment += timedelta(days=1)
        offsets.add(zone.utcoffset(moment.replace(tzinfo=None)))
    found = offsets.pop()
    return None if offsets or found is None else int(found.total_seconds())


def _as_datetime(value: Any) -> datetime:
    """MIN/MAX of a SQLite timestamp come back as text, not through the column type."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def _sla(conn: AsyncConnection, where: list[ColumnElement[bool]], now: datetime) -> tuple[SlaCompliance, ...]:
    at = literal(as_utc(now), UtcDateTime())
    is_open = c.status.in_(_OPEN)
    columns: list[Any] = []
    for due, done in SLA_STAGES.values():
        columns += [
            _sum(met(due, done)),
            _sum(missed(due, done, at)),
            _sum(and_(due.is_not(None), done.is_(None), is_open, or_(due > at, ~running()))),
            _sum(or_(due.is_(None), and_(done.is_(None), ~is_open))),
        ]
    row = (await conn.execute(select(*columns).where(*where))).one()
    return tuple(
        SlaCompliance(stage, *(int(row[4 * i + j] or 0) for j in range(4))) for i, stage in enumerate(SLA_STAGES)
    )


async def _durations(
    conn: AsyncConnection, where: list[ColumnElement[bool]], stage: SlaStage, done: Any
) -> DurationStats:
    seconds = seconds_between(conn, done, c.received_at)
    conditions_ = [*where, done.is_not(None)]
    if conn.dialect.name == "postgresql":
        statement = select(
            func.count(),
            func.percentile_cont(0.5).within_group(seconds),
            func.percentile_cont(0.9).within_group(seconds),
        ).where(*conditions_)
        count, median, p90 = (await conn.execute(statement)).one()
        return DurationStats(stage, int(count), _float(median), _float(p90))
    # SQLite: count, then number the sorted values once and read the two around each position.
    count = int((await conn.execute(select(func.count()).where(*conditions_))).scalar_one())
    if count == 0:
        return DurationStats(stage, 0, None, None)
    positions = {fraction: fraction * (count - 1) for fraction in (0.5, 0.9)}
    wanted = {i + 1 for p in positions.values() for i in (math.floor(p), min(math.floor(p) + 1, count - 1))}
    numbered = select(seconds.label("v"), func.row_number().over(order_by=seconds).label("n")).where(*conditions_)
    inner = numbered.subquery()
    found = {int(n): float(v) for v, n in await conn.execute(select(inner.c.v, inner.c.n).where(inner.c.n.in_(wanted)))}
    results = []
    for position in positions.values():
        low = math.floor(position)
        lower, upper = found[low + 1], found[min(low + 1, count - 1) + 1]
        results.append(lower + (upper - lower) * (position - low))
    return DurationStats(stage, count, results[0], results[1])


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile of sorted values, interpolated like `percentile_cont`."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def _satisfaction(conn: AsyncConnection, where: list[ColumnElement[bool]]) -> SatisfactionStats:
    statement = select(c.satisfaction, func.count()).where(*where, c.satisfaction.is_not(None)).group_by(c.satisfaction)
    counts = {int(rating): int(n) for rating, n in await conn.execute(statement)}
    rated = sum(counts.values())
    average = sum(r * n for r, n in counts.items()) / rated if rated else None
    return SatisfactionStats({r: counts.get(r, 0) for r in range(1, 6)} | counts, average)


async def _groups(
    conn: AsyncConnection, where: list[ColumnElement[bool]], now: datetime, key: Any, limit: int | None
) -> tuple[GroupStats, ...]:
    is_open = c.status.in_(_OPEN)
    due, done = SLA_STAGES[SlaStage.FIRST_RESPONSE]
    at = literal(as_utc(now), UtcDateTime())
    total = func.count()
    statement: Select[Any] = (
        select(
            key,
            total,
            _sum(is_open),
            _sum(overdue_condition(now)),
            _sum(c.severity.in_(_SERIOUS)),
            _sum(met(due, done)),
            _sum(missed(due, done, at)),
            func.avg(c.satisfaction),
            func.avg(seconds_between(conn, c.resolved_at, c.received_at)),
        )
        .where(*where)
        .group_by(key)
        .order_by(total.desc(), key)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return tuple(
        GroupStats(
            key=r[0],
            total=int(r[1]),
            open=int(r[2] or 0),
            overdue=int(r[3] or 0),
            serious=int(r[4] or 0),
            first_response_met=int(r[5] or 0),
            first_response_missed=int(r[6] or 0),
            average_satisfaction=_float(r[7]),
            average_resolution_seconds=_float(r[8]),
        )
        for r in await conn.execute(statement)
    )


async def _tenure(conn: AsyncConnection, where: list[ColumnElement[bool]]) -> tuple[TenureCount, ...]:
    first = func.coalesce(customers.c.first_service_at, customers.c.created_at)
    days = seconds_between(conn, c.received_at, first) / 86400.0
    whens = [(days < upper + 1, key) for key, _lower, upper in TENURE_BUCKETS if upper is not None]
    bucket = case(*whens, else_=TENURE_BUCKETS[-1][0])
    statement = (
        select(bucket, func.count())
        .select_from(complaints.join(customers, customers.c.id == c.customer_id))
        .where(*where)
        .group_by(bucket)
    )
    counts = {str(k): int(n) for k, n in await conn.execute(statement)}
    return tuple(TenureCount(key, lower, upper, counts.get(key, 0)) for key, lower, upper in TENURE_BUCKETS)


# ---------------------------------------------------------------------- ledger parts


def _ledger_select(query: ReportFilter, now: datetime) -> Select[Any]:
    return (
        select(
            complaints,
            customers.c.name_enc.label("customer_name_enc"),
            customers.c.phone_enc.label("customer_phone_enc"),
            customers.c.tier.label("customer_tier"),
            sla_state_case(now).label("sla_state"),
        )
        .select_from(complaints.join(customers, customers.c.id == c.customer_id))
        .where(*conditions(query, now))
        .order_by(c.received_at.desc(), c.number.desc())
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------------- engine


def _reader_engine(url: str, **options: Any) -> AsyncEngine:
    """An engine for reads: on SQLite without BEGIN IMMEDIATE and refusing writes."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        options.setdefault("pool_pre_ping", True)
        return create_async_engine(parsed, **options)
    engine = create_async_engine(parsed, **options)

    @sa_event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


__all__ = ["GROUP_LIMIT", "SLA_STAGES", "SqlReports", "conditions", "overdue_condition", "percentile"]
