"""The routing configuration as plain values: teams, rules, SLA policies, escalation ladder.

`router.loader` builds these from a TOML file and validates them; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from intake.records import Category, ChannelName, Priority, Severity, Tier
from intake.routing_ports import AgentRecord
from router.calendar import BusinessCalendar
from router.durations import Duration


@dataclass(frozen=True, slots=True)
class Shift:
    """Working hours of a shift; `days` None means every day, "workdays" the business calendar."""

    name: str
    start: time
    end: time
    days: frozenset[int] | None = None
    workdays_only: bool = False

    def covers(self, moment: datetime, calendar: BusinessCalendar) -> bool:
        """True when `moment` falls inside this shift (shifts may run past midnight)."""
        local = calendar.local(moment)
        for day in (local.date() - timedelta(days=1), local.date()):
            if not self._works_on(day, calendar):
                continue
            opens = datetime.combine(day, self.start, calendar.tz)
            close_day = day + timedelta(days=1) if self.end <= self.start else day
            if opens <= local < datetime.combine(close_day, self.end, calendar.tz):
                return True
        return False

    def _works_on(self, day: date, calendar: BusinessCalendar) -> bool:
        if self.workdays_only:
            return calendar.is_workday(day)
        return self.days is None or day.isoweekday() in self.days


@dataclass(frozen=True, slots=True)
class Agent:
    """A member of a team; `capacity` is how many open complaints they can hold."""

    id: str
    name: str
    team: str
    capacity: int
    shift: str | None = None


@dataclass(frozen=True, slots=True)
class Team:
    """A team with its members (in round-robin order), its lead and its shifts."""

    code: str
    name: str
    name_en: str
    lead: str | None
    members: tuple[Agent, ...]
    shifts: dict[str, Shift] = field(default_factory=dict)

    def member(self, agent_id: str) -> Agent | None:
        """The member with this id, or None."""
        return next((agent for agent in self.members if agent.id == agent_id), None)


@dataclass(frozen=True, slots=True)
class Condition:
    """When a rule applies; None means "any"."""

    categories: frozenset[Category] | None = None
    severities: frozenset[Severity] | None = None
    tiers: frozenset[Tier] | None = None
    channels: frozenset[ChannelName] | None = None
    repeat: bool | None = None
    first: bool | None = None
    reopened_min: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One routing rule: when it matches, it may set the team, the priority and notify the lead.

    `label` names the rule in the reasons ("VIP", "重复投诉 {repeat_of}"). The first matching rule
    that names a team decides the team; later matches still raise the priority and add notices,
    unless a matched rule has `stop`.
    """

    name: str
    label: str
    when: Condition
    team: str | None = None
    priority: Priority | None = None
    raise_by: int = 0
    notify_lead: bool = False
    stop: bool = False


class Action(StrEnum):
    """What the SLA watcher does at a step of the escalation ladder."""

    REMIND = "remind"
    ESCALATE_LEAD = "escalate_lead"
    ESCALATE_MANAGEMENT = "escalate_management"
    REASSIGN = "reassign"


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """A step of the ladder, `after` the missed deadline."""

    after: Duration
    action: Action
    when_not_started: bool = False


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Deadlines for complaints of a severity and/or tier (None matches any)."""

    severity: Severity | None
    tier: Tier | None
    first_response: Duration
    first_feedback: Duration
    report: Duration
    escalate_immediately: bool = False

    @property
    def specificity(self) -> int:
        """2 for severity, 1 for tier: the most specific matching policy wins."""
        return (2 if self.severity else 0) + (1 if self.tier else 0)


@dataclass(frozen=True, slots=True)
class Settings:
    """Global routing settings."""

    default_team: str
    management_team: str
    repeat_window: timedelta
    base_priority: dict[Severity, Priority]


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Everything the rules router needs, validated."""

    settings: Settings
    calendar: BusinessCalendar
    teams: dict[str, Team]
    rules: tuple[Rule, ...]
    sla: tuple[SlaPolicy, ...]
    escalation: tuple[EscalationStep, ...]
    source: str = "<memory>"

    @property
    def tz(self) -> ZoneInfo:
        """The time zone of the business calendar."""
        return self.calendar.tz

    def agent(self, agent_id: str) -> Agent | None:
        """The agent with this id in any team."""
        for team in self.teams.values():
            found = team.member(agent_id)
            if found is not None:
                return found
        return None

    def team_names(self, locale: str = "zh") -> dict[str, str]:
        """Team code → display name."""
        return {code: (team.name_en if locale == "en" else team.name) for code, team in self.teams.items()}

    def agent_records(self) -> list[AgentRecord]:
        """Every member of every team, as stored in the agent registry (seed data)."""
        return [
            AgentRecord(agent.id, agent.name, team.code, agent.capacity, agent.shift, agent.id == team.lead)
            for team in self.teams.values()
            for agent in team.members
        ]

    def lead_of(self, team: str | None) -> str | None:
        """The lead of a team (None when unknown)."""
        found = self.teams.get(team or "")
        return found.lead if found is not None else None

    def agent_names(self) -> dict[str, str]:
        """Agent id → display name."""
        return {agent.id: agent.name for team in self.teams.values() for agent in team.members}
