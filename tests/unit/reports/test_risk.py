"""Customers at risk: the score of every signal, their combinations, caps, order and the act-on ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.records import Severity, Status, Tier
from intake.report_ports import RiskComplaint, RiskFacts
from intake.risk import WEIGHTS, RiskReasonCode, rank, score_customer

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
R = RiskReasonCode


def c(
    n: int,
    days: float = 0,
    status: Status = Status.CLOSED,
    rating: int | None = None,
    overdue: bool = False,
    repeat_of: str | None = None,
) -> RiskComplaint:
    return RiskComplaint(
        number=f"TS-{n:03d}",
        status=status,
        severity=Severity.NORMAL,
        received_at=T0 + timedelta(days=days),
        satisfaction=rating,
        repeat_of=repeat_of,
        overdue=overdue,
    )


def facts(*complaints: RiskComplaint, tier: Tier = Tier.REGULAR, who: str = "cust") -> RiskFacts:
    return RiskFacts(who, f"{who} name", tier, complaints)


OPEN = Status.IN_PROGRESS
W = WEIGHTS

CASES = [
    # (case, facts, expected reasons, expected score, act on)
    ("one calm complaint", facts(c(1, rating=4)), set(), 0, None),
    ("two complaints 40 days apart", facts(c(1), c(2, days=40)), set(), 0, None),
    ("two complaints within 30 days", facts(c(1), c(2, days=29)), {R.REPEAT}, W.repeat_base, "TS-002"),
    ("marked repeat by the router", facts(c(1, repeat_of="TS-000")), {R.REPEAT}, W.repeat_base, "TS-001"),
    (
        "five complaints in a month: extra points, capped",
        facts(*(c(i, days=i) for i in range(1, 7))),
        {R.REPEAT},
        W.repeat_base + W.repeat_extra_cap * W.repeat_extra,
        "TS-006",
    ),
    ("rated 2", facts(c(1, rating=2)), {R.LOW_RATING}, W.low_rating, "TS-001"),
    ("rated 3 is not low", facts(c(1, rating=3)), set(), 0, None),
    (
        "three low ratings capped at two",
        facts(c(1, rating=1), c(2, days=50, rating=2), c(3, days=100, rating=1)),
        {R.LOW_RATING},
        W.low_rating_cap * W.low_rating,
        "TS-003",
    ),
    ("open and overdue", facts(c(1, status=OPEN, overdue=True)), {R.OVERDUE}, W.overdue, "TS-001"),
    ("closed late is not overdue now", facts(c(1, status=Status.CLOSED, overdue=True)), set(), 0, None),
    (
        "four overdue capped at three",
        facts(*(c(i, days=40 * i, status=Status.PENDING, overdue=True) for i in range(1, 5))),
        {R.OVERDUE},
        W.overdue_cap * W.overdue,
        "TS-001",
    ),
    (
        "VIP with an open complaint",
        facts(c(1, status=Status.PENDING), tier=Tier.VIP),
        {R.VIP_OPEN},
        W.vip_open,
        "TS-001",
    ),
    ("VIP with only closed ones", facts(c(1), tier=Tier.VIP), set(), 0, None),
    ("regular with an open one", facts(c(1, status=Status.PENDING)), set(), 0, None),
    (
        "everything at once",
        facts(
            c(1, rating=1, status=Status.REOPENED, overdue=True),
            c(2, days=3, status=Status.PENDING),
            tier=Tier.VIP,
        ),
        {R.REPEAT, R.LOW_RATING, R.OVERDUE, R.VIP_OPEN},
        W.repeat_base + W.low_rating + W.overdue + W.vip_open,
        "TS-001",
    ),
]


@pytest.mark.parametrize(("case", "given", "reasons", "score", "act_on"), CASES, ids=[x[0] for x in CASES])
def test_signals(case: str, given: RiskFacts, reasons: set[RiskReasonCode], score: int, act_on: str | None) -> None:
    entry = score_customer(given)
    if not reasons:
        assert entry is None
        return
    assert entry is not None
    assert {r.code for r in entry.reasons} == reasons
    assert entry.score == score == sum(r.points for r in entry.reasons)
    assert entry.act_on == act_on
    assert entry.complaint_count == len(given.complaints)


def test_act_on_prefers_the_oldest_overdue_then_the_newest_open() -> None:
    entry = score_customer(
        facts(c(1, status=OPEN), c(2, days=1, status=OPEN, overdue=True), c(3, days=2, status=OPEN, overdue=True))
    )
    assert entry is not None and entry.act_on == "TS-002"
    entry = score_customer(facts(c(1, status=OPEN), c(2, days=1, status=OPEN), c(3, days=2)))
    assert entry is not None and entry.act_on == "TS-002"


def test_reasons_read_from_the_catalogue_in_both_languages() -> None:
    entry = score_customer(facts(c(1, rating=1), c(2, days=2, status=OPEN, overdue=True), tier=Tier.VIP))
    assert entry is not None
    zh = {r.code: r.text() for r in entry.reasons}
    en = {r.code: r.text("en") for r in entry.reasons}
    assert zh[R.REPEAT] == "重复投诉：2 张投诉单（TS-001, TS-002）"
    assert zh[R.LOW_RATING] == "满意度低：评分 1（TS-001）"
    assert "TS-002" in zh[R.OVERDUE] and "SLA" in zh[R.OVERDUE]
    assert zh[R.VIP_OPEN] == "VIP 客户有未结投诉（TS-002）"
    assert en[R.REPEAT] == "Repeat complaints: 2 complaints (TS-001, TS-002)"
    assert all("{" not in value for value in [*zh.values(), *en.values()])


def test_rank_orders_by_score_then_newest() -> None:
    ranked = rank(
        [
            facts(c(1, rating=1), who="low"),  # 25
            facts(c(2, status=OPEN, overdue=True), c(3, days=1, status=OPEN, overdue=True), who="late"),  # 30 + 40
            facts(c(4, days=5, rating=2), who="low-newer"),  # 25, newer
            facts(c(5), who="calm"),
        ]
    )
    assert [e.customer_id for e in ranked] == ["late", "low-newer", "low"]
    assert [e.score for e in ranked] == [W.repeat_base + 2 * W.overdue, W.low_rating, W.low_rating]


def test_custom_repeat_window() -> None:
    given = facts(c(1), c(2, days=10))
    assert score_customer(given, repeat_window=timedelta(days=7)) is None
    assert score_customer(given, repeat_window=timedelta(days=10)) is not None
