"""The report port: statistics of the dashboard, the ledger (台账) and the facts behind
the customers-at-risk list (流失预警).

`Reports` is implemented on SQL in `storage.sql.reports` (SQLite and PostgreSQL,
aggregating in the database). The records here are plain values; the console draws
them (charts, tables, downloads) and `intake.risk` scores the risk facts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from intake.records import Category, ChannelName, Complaint, Severity, Status, Tier


class SlaState(StrEnum):
    """Where a complaint stands against its deadlines (the queue's states, same codes).

    A deadline is pending while its step is not done. overdue: open with a pending
    deadline passed; due_soon: open with one due within `DUE_SOON`; on_track: open with
    pending deadlines further away; met: finished, resolved in time or nothing left
    pending; none: open with no deadline pending, or finished unresolved with one.
    """

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    MET = "met"
    NONE = "none"


DUE_SOON = timedelta(hours=1)
"""A deadline this close counts as due soon."""


class Breakdown(StrEnum):
    """What the complaints-per-day series are split by."""

    CATEGORY = "category"
    SEVERITY = "severity"
    CHANNEL = "channel"


class SlaStage(StrEnum):
    """The promises an SLA makes, each with a deadline column and a met-at column."""

    FIRST_RESPONSE = "first_response"
    FIRST_FEEDBACK = "first_feedback"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which complaints a report covers; None means any. `received_to` is exclusive."""

    received_from: datetime | None = None
    received_to: datetime | None = None
    team: str | None = None
    assignee: str | None = None
    status: tuple[Status, ...] | None = None
    category: Category | None = None
    severity: Severity | None = None
    channel: ChannelName | None = None
    sla_state: SlaState | None = None
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class DailyCount:
    """Complaints received on one local day with one value of the breakdown."""

    day: date
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class SlaCompliance:
    """Met versus missed for one SLA stage.

    met: done by the deadline; missed: done late, or still not done past it; pending:
    not done and not yet due; no_deadline: the router set none (or the stage does not
    apply, e.g. no feedback deadline for a complaint escalated at once).
    """

    stage: SlaStage
    met: int = 0
    missed: int = 0
    pending: int = 0
    no_deadline: int = 0

    @property
    def rate(self) -> float | None:
        """Share of met among decided (met + missed); None when nothing is decided yet."""
        decided = self.met + self.missed
        return None if decided == 0 else self.met / decided


@dataclass(frozen=True, slots=True)
class DurationStats:
    """How long a step took, in seconds: median and 90th percentile (linear interpolation)."""

    stage: SlaStage
    count: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True, slots=True)
class SatisfactionStats:
    """Ratings 1–5: how many of each and the average."""

    counts: dict[int, int]
    average: float | None

    @property
    def rated(self) -> int:
        """How many complaints were rated."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Figures of one team, agent or worker (key None: not assigned / not named)."""

    key: str | None
    total: int
    open: int
    overdue: int
    serious: int
    first_response_met: int
    first_response_missed: int
    average_satisfaction: float | None
    average_resolution_seconds: float | None

    @property
    def first_response_rate(self) -> float | None:
        """Share of first responses on time among decided ones."""
        decided = self.first_response_met + self.first_response_missed
        return None if decided == 0 else self.first_response_met / decided


TENURE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("90+", 91, None),
)
"""Days since the customer's first service: (key, first day, last day or None)."""


@dataclass(frozen=True, slots=True)
class TenureCount:
    """Complaints made `lower`–`upper` whole days after the customer's first service."""

    key: str
    lower: int
    upper: int | None
    count: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard page draws, for one filter."""

    total: int
    open: int
    per_day: dict[Breakdown, tuple[DailyCount, ...]]
    sla: tuple[SlaCompliance, ...]
    durations: tuple[DurationStats, ...]
    satisfaction: SatisfactionStats
    teams: tuple[GroupStats, ...]
    agents: tuple[GroupStats, ...]
    workers: tuple[GroupStats, ...]
    tenure: tuple[TenureCount, ...]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One line of the ledger: the complaint and who made it (personal data decrypted)."""

    complaint: Complaint
    customer_name: str | None
    customer_phone: str | None
    customer_tier: Tier
    sla_state: SlaState

    @property
    def overdue(self) -> bool:
        """True when an open deadline passed unmet."""
        return self.sla_state is SlaState.OVERDUE


@dataclass(frozen=True, slots=True)
class RiskComplaint:
    """What the risk score looks at in one complaint."""

    number: str
    status: Status
    severity: Severity
    received_at: datetime
    satisfaction: int | None = None
    repeat_of: str | None = None
    overdue: bool = False

    @property
    def is_open(self) -> bool:
        """True while the complaint still needs work."""
        return self.status in (Status.PENDING, Status.IN_PROGRESS, Status.REOPENED)


@dataclass(frozen=True, slots=True)
class RiskFacts:
    """A customer who may be about to leave, with the complaints that say so."""

    customer_id: str
    name: str | None
    tier: Tier
    complaints: tuple[RiskComplaint, ...] = field(default_factory=tuple)


class Reports(Protocol):
    """Read-only statistics over complaints; every method honours the filter.

    `now` decides what is overdue; `timezone` (IANA name) decides which local day a
    complaint belongs to. Figures are computed by the store, not from pages of rows.
    """

    async def dashboard(self, query: ReportFilter, now: datetime, timezone: str) -> Dashboard:
        """All the dashboard figures."""
        ...

    async def ledger(self, query: ReportFilter, now: datetime, limit: int, offset: int = 0) -> list[LedgerRow]:
        """One page of the ledger, newest first."""
        ...

    async def ledger_count(self, query: ReportFilter, now: datetime) -> int:
        """How many complaints the ledger holds for `query`."""
        ...

    def ledger_rows(self, query: ReportFilter, now: datetime, batch: int = 500) -> AsyncIterator[LedgerRow]:
        """Every ledger row for `query`, newest first, fetched `batch` at a time (for downloads)."""
        ...

    async def risk_facts(self, query: ReportFilter, now: datetime) -> list[RiskFacts]:
        """Candidates for the risk list: customers with two or more complaints or one marked
        `repeat_of`, a rating of 2 or less, an open complaint past its SLA, or VIP with an
        open complaint; each with their complaints inside `query` (`intake.risk` scores
        them and applies the repeat window)."""
        ...
