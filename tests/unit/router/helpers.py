"""Small real implementations of the ports the router reads, for the router's tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from intake.ports import PastComplaint, RoutingRequest
from intake.records import Category, ChannelName, Severity, Status, Tier

# Monday 2026-11-23 11:00 in Beijing: every day shift is on.
MONDAY_11 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@dataclass
class FixedClock:
    """A clock the test moves by hand."""

    at: datetime = MONDAY_11

    def now(self) -> datetime:
        return self.at


@dataclass
class Loads:
    """An AgentDirectory over a dict of open complaints per agent."""

    per_agent: dict[str, int] = field(default_factory=dict)

    async def hold_team(self, team: str) -> None:
        """Nothing to hold: the loads are one test's own dict."""

    async def open_load(self, team: str) -> dict[str, int]:
        return dict(self.per_agent)


@dataclass
class Roster:
    """A DutyRoster held in a dict."""

    settings: dict[str, bool] = field(default_factory=dict)

    async def overrides(self) -> dict[str, bool]:
        return dict(self.settings)

    async def set_on_duty(self, agent: str, on_duty: bool | None, at: datetime) -> None:
        if on_duty is None:
            self.settings.pop(agent, None)
        else:
            self.settings[agent] = on_duty


def request(
    category: Category = Category.QUALITY,
    severity: Severity = Severity.NORMAL,
    tier: Tier = Tier.REGULAR,
    history: tuple[PastComplaint, ...] | None = None,
    channel: ChannelName = ChannelName.WEBCHAT,
    received_at: datetime = MONDAY_11,
    number: str = "TS-20261123-000100",
) -> RoutingRequest:
    """A routing request; by default from a returning customer with an old, closed complaint."""
    if history is None:
        old = PastComplaint(
            "TS-20250101-000001", Status.CLOSED, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC)
        )
        history = (old,)
    return RoutingRequest(number, category, severity, channel, received_at, "cust-1", tier, history)
