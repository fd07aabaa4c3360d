"""Customers at risk of leaving (流失预警): a pure score over each customer's complaints.

Four signals, each a reason with points (weights in `WEIGHTS`):

- repeat complaint: two or more complaints within the repeat window, or one the router
  marked as a repeat (`repeat_of`); more complaints add more points, up to a cap;
- low rating: a satisfaction rating of 2 or less, per rating up to a cap;
- open complaint past its SLA: per overdue open complaint, up to a cap;
- VIP with any open complaint.

The list is sorted by score (highest first), then by the newest complaint. Each entry
names the complaint to act on first: the oldest overdue open one, else the newest open
one, else the lowest rated, else the newest.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from intake.messages import register, text
from intake.records import Tier
from intake.report_ports import RiskComplaint, RiskFacts

LOW_RATING = 2
"""A satisfaction rating at or below this is a low rating."""


class RiskReasonCode(StrEnum):
    """Why a customer is on the list."""

    REPEAT = "repeat"
    LOW_RATING = "low_rating"
    OVERDUE = "overdue"
    VIP_OPEN = "vip_open"


@dataclass(frozen=True, slots=True)
class Weights:
    """Points per signal and the caps that keep one signal from drowning the others."""

    repeat_base: int = 30
    repeat_extra: int = 10
    repeat_extra_cap: int = 3
    low_rating: int = 25
    low_rating_cap: int = 2
    overdue: int = 20
    overdue_cap: int = 3
    vip_open: int = 25


WEIGHTS = Weights()

MESSAGES = {
    "zh": {
        "risk.repeat": "重复投诉：{count} 张投诉单（{numbers}）",
        "risk.low_rating": "满意度低：评分 {ratings}（{numbers}）",
        "risk.overdue": "超时未处理：{count} 张投诉单已过 SLA 时限（{numbers}）",
        "risk.vip_open": "VIP 客户有未结投诉（{numbers}）",
    },
    "en": {
        "risk.repeat": "Repeat complaints: {count} complaints ({numbers})",
        "risk.low_rating": "Low satisfaction: rated {ratings} ({numbers})",
        "risk.overdue": "Past SLA: {count} open complaints overdue ({numbers})",
        "risk.vip_open": "VIP customer with open complaints ({numbers})",
    },
}
for _locale, _entries in MESSAGES.items():
    register(_locale, _entries)


@dataclass(frozen=True, slots=True)
class RiskReason:
    """One signal that put a customer on the list."""

    code: RiskReasonCode
    points: int
    numbers: tuple[str, ...]
    ratings: tuple[int, ...] = ()

    def text(self, locale: str | None = None) -> str:
        """The reason in words, from the catalogue."""
        return text(
            f"risk.{self.code}",
            locale,
            count=len(self.numbers),
            numbers=", ".join(self.numbers),
            ratings=", ".join(str(r) for r in self.ratings),
        )


@dataclass(frozen=True, slots=True)
class RiskEntry:
    """A scored customer: total score, reasons and the complaint to act on."""

    customer_id: str
    name: str | None
    tier: Tier
    score: int
    reasons: tuple[RiskReason, ...]
    act_on: str | None
    latest_at: datetime | None
    complaint_count: int


def score_customer(facts: RiskFacts, repeat_window: timedelta = timedelta(days=30)) -> RiskEntry | None:
    """The risk entry of one customer, or None when no signal applies."""
    complaints = sorted(facts.complaints, key=lambda c: (c.received_at, c.number))
    reasons = [
        reason
        for reason in (
            _repeat(complaints, repeat_window),
            _low_rating(complaints),
            _overdue(complaints),
            _vip_open(facts.tier, complaints),
        )
        if reason is not None
    ]
    if not reasons:
        return None
    return RiskEntry(
        customer_id=facts.customer_id,
        name=facts.name,
        tier=facts.tier,
        score=sum(r.points for r in reasons),
        reasons=tuple(reasons),
        act_on=_act_on(complaints),
        latest_at=complaints[-1].received_at if complaints else None,
        complaint_count=len(complaints),
    )


def rank(customers: Iterable[RiskFacts], repeat_window: timedelta = timedelta(days=30)) -> list[RiskEntry]:
    """Every customer with at least one signal, highest score first."""
    entries = [e for e in (score_customer(f, repeat_window) for f in customers) if e is not None]
    entries.sort(key=lambda e: e.customer_id)
    entries.sort(key=lambda e: e.latest_at.timestamp() if e.latest_at else 0.0, reverse=True)
    entries.sort(key=lambda e: e.score, reverse=True)
    return entries


def _repeat(complaints: list[RiskComplaint], window: timedelta) -> RiskReason | None:
    involved: set[str] = {c.number for c in complaints if c.repeat_of}
    for earlier, later in itertools.pairwise(complaints):
        if later.received_at - earlier.received_at <= window:
            involved.update((earlier.number, later.number))
    if not involved:
        return None
    numbers = tuple(c.number for c in complaints if c.number in involved)
    extra = min(max(len(numbers) - 2, 0), WEIGHTS.repeat_extra_cap)
    return RiskReason(RiskReasonCode.REPEAT, WEIGHTS.repeat_base + extra * WEIGHTS.repeat_extra, numbers)


def _low_rating(complaints: list[RiskComplaint]) -> RiskReason | None:
    low = [c for c in complaints if c.satisfaction is not None and c.satisfaction <= LOW_RATING]
    if not low:
        return None
    points = min(len(low), WEIGHTS.low_rating_cap) * WEIGHTS.low_rating
    return RiskReason(
        RiskReasonCode.LOW_RATING,
        points,
        tuple(c.number for c in low),
        tuple(c.satisfaction for c in low if c.satisfaction is not None),
    )


def _overdue(complaints: list[RiskComplaint]) -> RiskReason | None:
    late = [c for c in complaints if c.is_open and c.overdue]
    if not late:
        return None
    points = min(len(late), WEIGHTS.overdue_cap) * WEIGHTS.overdue
    return RiskReason(RiskReasonCode.OVERDUE, points, tuple(c.number for c in late))


def _vip_open(tier: Tier, complaints: list[RiskComplaint]) -> RiskReason | None:
    open_ones = [c for c in complaints if c.is_open]
    if tier is not Tier.VIP or not open_ones:
        return None
    return RiskReason(RiskReasonCode.VIP_OPEN, WEIGHTS.vip_open, tuple(c.number for c in open_ones))


def _act_on(complaints: list[RiskComplaint]) -> str | None:
    """Oldest overdue open → newest open → lowest rated (newest of them) → newest."""
    if not complaints:
        return None
    overdue = [c for c in complaints if c.is_open and c.overdue]
    if overdue:
        return overdue[0].number
    open_ones = [c for c in complaints if c.is_open]
    if open_ones:
        return open_ones[-1].number
    rated = [c for c in complaints if c.satisfaction is not None]
    if rated:
        lowest = min(c.satisfaction for c in rated if c.satisfaction is not None)
        return [c for c in rated if c.satisfaction == lowest][-1].number
    return complaints[-1].number
