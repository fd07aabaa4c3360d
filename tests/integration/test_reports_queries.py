"""The report queries on SQLite and PostgreSQL, over complaints made by the real pipeline.

Complaints come in through `IntakeService.receive` (real classifier, router, scripts)
at times set by a test clock; agent work (first response, resolution, worker link) is
written on the stored record as the console does. Expected figures are worked out by
hand for what the test controls, and in Python from the stored complaints otherwise.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intake.ports import ComplaintFilter
from intake.records import (
    ChannelName,
    Complaint,
    ConversationRef,
    Identity,
    InboundMessage,
    MessageKind,
    Status,
    Tier,
)
from intake.report_ports import Breakdown, ReportFilter, SlaStage, SlaState
from intake.risk import RiskReasonCode, rank
from storage.sql.reports import SqlReports
from tests.integration.conftest import settings_for
from tousu.bootstrap import Runtime, build_runtime

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
ZONE = "Asia/Shanghai"
_ids = itertools.count()


@dataclass
class FixedClock:
    at: datetime = T0

    def now(self) -> datetime:
        return self.at


@dataclass
class World:
    runtime: Runtime
    reports: SqlReports
    clock: FixedClock
    numbers: dict[str, str] = field(default_factory=dict)

    async def complain(
        self, key: str, user: str, text: str, at: datetime, channel: ChannelName, **extra: object
    ) -> str:
        self.clock.at = at
        message = InboundMessage(
            channel=channel,
            external_id=f"m-{next(_ids)}",
            sender=Identity(channel, user),
            conversation=ConversationRef(channel, user),
            kind=MessageKind.TEXT,
            text=text,
            received_at=at,
            **extra,  # type: ignore[arg-type]
        )
        result = await self.runtime.intake.receive(message, force_new=True)
        assert result.complaint is not None
        self.numbers[key] = result.complaint.number
        return result.complaint.number

    async def edit(self, key: str, **changes: object) -> Complaint:
        async with self.runtime.store.transaction() as tx:
            complaint = await tx.complaints.get(self.numbers[key], with_transcript=False)
            assert complaint is not None
            sla_changes = {k: v for k, v in changes.items() if k.endswith("_at") and k != "rating_requested_at"}
            other = {k: v for k, v in changes.items() if k not in sla_changes}
            complaint.sla = replace(complaint.sla, **sla_changes)  # type: ignore[arg-type]
            for name, value in other.items():
                setattr(complaint, name, value)
            await tx.complaints.save(complaint)
            return complaint

    async def all(self) -> list[Complaint]:
        async with self.runtime.store.transaction() as tx:
            return await tx.complaints.list(ComplaintFilter(limit=1000))


@pytest.fixture
async def world(tmp_path: Path, database_url: str) -> AsyncIterator[World]:
    clock = FixedClock()
    runtime = await build_runtime(settings_for(tmp_path, database_url=database_url), clock=clock)
    reports = SqlReports(database_url, runtime.cipher)
    try:
        yield World(runtime, reports, clock)
    finally:
        await reports.close()
        await runtime.close()


async def populate(w: World) -> datetime:
    """Six complaints over four local days; returns the `now` the reports are asked at."""
    await w.complain(
        "late", "alice", "阿姨今天又迟到了一个小时", T0, ChannelName.WEBCHAT, phone="13800138000", name="张丽"
    )
    await w.complain("broken", "bob", "保洁员打碎了我家的花瓶", T0 + timedelta(hours=2), ChannelName.TELEGRAM)
    # 23:30 UTC on Nov 2 is 07:30 on Nov 3 in Shanghai: a different local day.
    await w.complain(
        "dirty", "carol", "阿姨打扫不干净，厨房全是油", T0 + timedelta(hours=22, minutes=30), ChannelName.WECHAT
    )
    await w.complain("again", "alice", "阿姨又没来，第二次了", T0 + timedelta(days=3), ChannelName.WEBCHAT)
    await w.complain("rude", "dave", "阿姨态度很差还骂人", T0 + timedelta(days=2, hours=22), ChannelName.MANUAL)
    now = T0 + timedelta(days=3, hours=1, minutes=5)
    await w.complain("fresh", "erin", "钟点工没带工具", now - timedelta(minutes=1), ChannelName.WEBCHAT)

    received = {k: c.received_at for k, c in {c.number: c for c in await w.all()}.items()}
    at = {key: received[number] for key, number in w.numbers.items()}
    # Agent work: responses 10, 45 and 20 minutes after receipt; "late" resolved after 2 h, "broken" after 6 h.
    await w.edit(
        "late",
        first_response_at=at["late"] + timedelta(minutes=10),
        resolved_at=at["late"] + timedelta(hours=2),
        status=Status.RESOLVED,
        rating_requested_at=at["late"] + timedelta(hours=2),
        worker_ref="王阿姨",
    )
    await w.edit(
        "broken",
        first_response_at=at["broken"] + timedelta(minutes=45),
        resolved_at=at["broken"] + timedelta(hours=6),
        status=Status.RESOLVED,
        rating_requested_at=at["broken"] + timedelta(hours=6),
        worker_ref="王阿姨",
    )
    await w.edit(
        "dirty",
        first_response_at=at["dirty"] + timedelta(minutes=20),
        first_feedback_at=at["dirty"] + timedelta(hours=3),
        status=Status.IN_PROGRESS,
    )
    await w.edit("again", worker_ref="李阿姨")
    # The customers rate through the pipeline: alice 5 (closes), bob 1 (reopens).
    for user, rating in (("alice", "5"), ("bob", "1")):
        w.clock.at = now
        message = InboundMessage(
            channel=ChannelName.TELEGRAM if user == "bob" else ChannelName.WEBCHAT,
            external_id=f"m-{next(_ids)}",
            sender=Identity(ChannelName.TELEGRAM if user == "bob" else ChannelName.WEBCHAT, user),
            conversation=ConversationRef(ChannelName.TELEGRAM if user == "bob" else ChannelName.WEBCHAT, user),
            kind=MessageKind.TEXT,
            text=rating,
            received_at=now,
        )
        rated = await w.runtime.intake.receive(message)
        assert rated.complaint is not None and rated.complaint.satisfaction == int(rating)
    # Dave is a VIP whose first service was 100 days before his complaint; carol's was 10 days before.
    async with w.runtime.store.transaction() as tx:
        for key, tier, before in (("rude", Tier.VIP, 100), ("dirty", Tier.REGULAR, 10)):
            complaint = await tx.complaints.get(w.numbers[key], with_transcript=False)
            assert complaint is not None
            customer = await tx.customers.get(complaint.customer_id)
            assert customer is not None
            customer.tier, customer.first_service_at = tier, at[key] - timedelta(days=before)
            await tx.customers.update(customer)
    return now


async def test_dashboard_figures(world: World) -> None:
    now = await populate(world)
    stored = await world.all()
    board = await world.reports.dashboard(ReportFilter(), now, ZONE)

    assert board.total == 6
    assert board.open == sum(1 for c in stored if c.is_open)
    by_number = {c.number: c for c in stored}
    late, broken = by_number[world.numbers["late"]], by_number[world.numbers["broken"]]
    assert late.status == Status.CLOSED and broken.status == Status.REOPENED

    # Per local day: Nov 2 (late, broken), Nov 3 (dirty), Nov 5 (again, rude, fresh).
    for kind in Breakdown:
        series = board.per_day[kind]
        assert sum(d.count for d in series) == 6
        days = Counter[date]()
        for point in series:
            days[point.day] += point.count
        assert days == {date(2026, 11, 2): 2, date(2026, 11, 3): 1, date(2026, 11, 5): 3}
        expected = Counter(
            (c.received_at.astimezone(ZoneInfo(ZONE)).date(), str(getattr(c, str(kind)))) for c in stored
        )
        assert {(d.day, d.key): d.count for d in series} == dict(expected)
    channels = Counter[str]()
    for point in board.per_day[Breakdown.CHANNEL]:
        channels[point.key] += point.count
    assert channels == {"webchat": 3, "telegram": 1, "wechat": 1, "manual": 1}

    # First response: late met (10 min), broken missed (45 min > 30), dirty met (20 min);
    # again and rude are open with no response, days past the due; fresh is not due yet.
    sla = {s.stage: s for s in board.sla}
    first = sla[SlaStage.FIRST_RESPONSE]
    assert all(c.sla.first_response_due is not None for c in stored)
    assert (first.met, first.missed, first.pending, first.no_deadline) == (2, 3, 1, 0)
    assert first.rate == pytest.approx(2 / 5)
    resolution = sla[SlaStage.RESOLUTION]
    expected_met = sum(
        1 for c in stored if c.sla.report_due and c.sla.resolved_at and c.sla.resolved_at <= c.sla.report_due
    )
    assert resolution.met == expected_met == 2
    for stage in sla.values():
        assert stage.met + stage.missed + stage.pending + stage.no_deadline == 6

    durations = {d.stage: d for d in board.durations}
    response = durations[SlaStage.FIRST_RESPONSE]
    assert response.count == 3
    assert response.median_seconds == pytest.approx(20 * 60, abs=1)
    assert response.p90_seconds == pytest.approx(20 * 60 + 0.8 * 25 * 60, abs=1)
    resolved = durations[SlaStage.RESOLUTION]
    assert resolved.count == 2
    assert resolved.median_seconds == pytest.approx(4 * 3600, abs=1)
    assert resolved.p90_seconds == pytest.approx(2 * 3600 + 0.9 * 4 * 3600, abs=1)

    assert board.satisfaction.counts == {1: 1, 2: 0, 3: 0, 4: 0, 5: 1}
    assert board.satisfaction.average == pytest.approx(3.0)

    assert sum(t.total for t in board.teams) == 6
    assert {t.key: t.total for t in board.teams} == dict(Counter(c.team for c in stored))
    assert sum(a.total for a in board.agents) == 6
    workers = {w.key: w for w in board.workers}
    assert set(workers) == {"王阿姨", "李阿姨"}
    wang = workers["王阿姨"]
    assert (wang.total, wang.first_response_met, wang.first_response_missed) == (2, 1, 1)
    assert wang.average_satisfaction == pytest.approx(3.0)
    assert wang.average_resolution_seconds == pytest.approx(4 * 3600, abs=1)
    assert workers["李阿姨"].overdue == 1

    # dave (100 days) → 90+, carol (10 days) → 8-30, the rest made their first contact with the complaint.
    assert {t.key: t.count for t in board.tenure} == {"0-7": 4, "8-30": 1, "31-90": 0, "90+": 1}


async def test_filters_narrow_every_figure(world: World) -> None:
    now = await populate(world)
    stored = await world.all()
    team = stored[0].team
    assert team is not None
    board = await world.reports.dashboard(ReportFilter(team=team), now, ZONE)
    assert board.total == sum(1 for c in stored if c.team == team)
    assert {t.key for t in board.teams} == {team}

    window = ReportFilter(received_from=T0 + timedelta(days=1), received_to=T0 + timedelta(days=4))
    assert (await world.reports.dashboard(window, now, ZONE)).total == 3
    web = await world.reports.dashboard(ReportFilter(channel=ChannelName.WEBCHAT), now, ZONE)
    assert web.total == 3
    nothing = await world.reports.dashboard(ReportFilter(status=()), now, ZONE)
    assert nothing.total == 0 and nothing.satisfaction.average is None
    assert all(d.median_seconds is None for d in nothing.durations)


async def test_ledger_pages_filters_and_download_rows(world: World) -> None:
    now = await populate(world)
    reports = world.reports
    assert await reports.ledger_count(ReportFilter(), now) == 6
    page = await reports.ledger(ReportFilter(), now, limit=4)
    newest_first = [c.number for c in sorted(await world.all(), key=lambda c: c.received_at, reverse=True)]
    assert [r.complaint.number for r in page] == newest_first[:4]
    second = await reports.ledger(ReportFilter(), now, limit=4, offset=4)
    assert len(second) == 2
    assert not {r.complaint.number for r in page} & {r.complaint.number for r in second}

    overdue = await reports.ledger(ReportFilter(sla_state=SlaState.OVERDUE), now, limit=50)
    assert {r.complaint.number for r in overdue} == {world.numbers[k] for k in ("broken", "again", "rude")}
    assert all(r.overdue for r in overdue)
    # fresh is due in 29 minutes; dirty has only its 7-day report pending; late was resolved and closed.
    expected = {
        SlaState.DUE_SOON: {"fresh"},
        SlaState.ON_TRACK: {"dirty"},
        SlaState.MET: {"late"},
        SlaState.NONE: set(),
    }
    for state, keys in expected.items():
        found = await reports.ledger(ReportFilter(sla_state=state), now, limit=50)
        assert {r.complaint.number for r in found} == {world.numbers[k] for k in keys}, state
        assert all(r.sla_state is state for r in found)
        assert await reports.ledger_count(ReportFilter(sla_state=state), now) == len(keys)

    alice = next(r for r in page + second if r.complaint.number == world.numbers["late"])
    assert (alice.customer_name, alice.customer_phone) == ("张丽", "13800138000")
    assert alice.complaint.content == "阿姨今天又迟到了一个小时"

    streamed = [r.complaint.number async for r in reports.ledger_rows(ReportFilter(), now, batch=2)]
    assert streamed == [r.complaint.number for r in page + second]
    open_only = ReportFilter(status=(Status.PENDING, Status.IN_PROGRESS, Status.REOPENED))
    streamed_open = [r.complaint.number async for r in reports.ledger_rows(open_only, now, batch=1)]
    assert len(streamed_open) == await reports.ledger_count(open_only, now) == 5


async def test_risk_facts_and_ranking(world: World) -> None:
    now = await populate(world)
    facts = await world.reports.risk_facts(ReportFilter(), now)
    stored = {c.number: c for c in await world.all()}
    owners = {key: stored[number].customer_id for key, number in world.numbers.items()}
    by_customer = {f.customer_id: f for f in facts}
    # alice: two complaints in 3 days; bob: rated 1 and overdue; dave: VIP, open, overdue. Carol and erin: nothing.
    assert set(by_customer) == {owners["late"], owners["broken"], owners["rude"]}
    assert by_customer[owners["late"]].name == "张丽"
    assert len(by_customer[owners["late"]].complaints) == 2

    ranked = rank(facts)
    reasons = {e.customer_id: {r.code for r in e.reasons} for e in ranked}
    assert RiskReasonCode.REPEAT in reasons[owners["late"]]
    assert reasons[owners["broken"]] == {RiskReasonCode.LOW_RATING, RiskReasonCode.OVERDUE}
    assert reasons[owners["rude"]] == {RiskReasonCode.VIP_OPEN, RiskReasonCode.OVERDUE}
    assert [e.score for e in ranked] == sorted((e.score for e in ranked), reverse=True)
    dave = next(e for e in ranked if e.customer_id == owners["rude"])
    assert dave.act_on == world.numbers["rude"] and dave.tier == Tier.VIP

    recent = await world.reports.risk_facts(ReportFilter(received_from=T0 + timedelta(days=2)), now)
    assert owners["broken"] not in {f.customer_id for f in recent}


async def test_local_days_across_a_summer_time_change(world: World) -> None:
    # Berlin leaves summer time on 2026-10-25: 22:30 UTC on Oct 24 is 00:30 on Oct 25 (UTC+2),
    # 23:30 UTC on Oct 26 is 00:30 on Oct 27 (UTC+1). Shanghai has one offset all year.
    first = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    second = datetime(2026, 10, 26, 23, 30, tzinfo=UTC)
    await world.complain("a", "anna", "阿姨迟到了", first, ChannelName.WEBCHAT)
    await world.complain("b", "bert", "阿姨没来", second, ChannelName.WEBCHAT)
    for zone, expected in (
        ("Europe/Berlin", {date(2026, 10, 25): 1, date(2026, 10, 27): 1}),
        ("Asia/Shanghai", {date(2026, 10, 25): 1, date(2026, 10, 27): 1}),
        ("America/New_York", {date(2026, 10, 24): 1, date(2026, 10, 26): 1}),
    ):
        board = await world.reports.dashboard(ReportFilter(), second, zone)
        days = Counter[date]()
        for point in board.per_day[Breakdown.CHANNEL]:
            days[point.day] += point.count
        assert days == expected, zone
