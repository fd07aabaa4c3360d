"""The rules router: team, priority, agent, SLA deadlines and the reasons, from TOML rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from intake.ports import AgentDirectory, Clock, RoutingRequest
from intake.records import Assignment, Priority
from intake.routing_ports import DutyRoster
from router import labels
from router.choice import AgentChooser, Choice
from router.config import Condition, RoutingConfig, Rule, Team
from router.repeat import RepeatFacts, detect_repeat
from router.sla import SlaBook


@dataclass(slots=True)
class _Decision:
    team: str | None = None
    priority: Priority = Priority.NORMAL
    notify_lead: bool = False
    reasons: list[str] = field(default_factory=list)


class _SafeFormat(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RulesRouter:
    """Implements `intake.ports.Router` from a validated `RoutingConfig`.

    Unknown teams cannot occur (the loader checks them); a category no rule covers goes to
    the default team. When nobody in the team is on duty with capacity the assignment has
    no agent: the complaint waits in the team queue (see `router.waiting`).
    """

    def __init__(self, config: RoutingConfig, roster: DutyRoster | None = None, clock: Clock | None = None) -> None:
        self.config = config
        self.sla = SlaBook(config.sla, config.calendar)
        self.chooser = AgentChooser(config.calendar, roster)
        self.clock: Clock = clock or _SystemClock()
        self._roster = roster

    def replace_config(self, config: RoutingConfig) -> None:
        """Route by `config` from the next complaint on (the console's rules save).

        Rebuilds the SLA book and the agent chooser from it (the round robin starts afresh);
        `config` must come from the loader, which already checked every team it names.
        """
        self.sla = SlaBook(config.sla, config.calendar)
        self.chooser = AgentChooser(config.calendar, self._roster)
        self.config = config

    async def route(self, request: RoutingRequest, agents: AgentDirectory) -> Assignment:
        """Route one complaint (see `intake.ports.Router`)."""
        facts = detect_repeat(request.number, request.history, request.received_at, self.config.settings.repeat_window)
        decision = self.decide(request, facts)
        team = self.config.teams[decision.team or self.config.settings.default_team]
        if decision.team is None:
            decision.reasons.append(f"{labels.label(labels.CATEGORY, request.category)} → {team.name}")
        policy = self.sla.policy(request.severity, request.tier)
        notify = self._notify(team, decision.notify_lead or policy.escalate_immediately)
        choice = await self.pick(team.code, agents)
        decision.reasons.append(self.agent_reason(team, choice))
        return Assignment(
            team=team.code,
            priority=decision.priority,
            sla=self.sla.deadlines(request.severity, request.tier, request.received_at),
            agent=choice.agent.id if choice.agent else None,
            reasons=tuple(decision.reasons),
            repeat_of=facts.repeat_of,
            notify=notify,
        )

    async def pick(self, team_code: str, agents: AgentDirectory, exclude: tuple[str, ...] = ()) -> Choice:
        """The agent of `team_code` to take the next complaint (see `AgentChooser.choose`).

        When `agents` also keeps the manual duty switches (a `DutyRoster`, as the SQL
        directory does) they are read there, in the caller's transaction. The team is held
        first (`AgentDirectory.hold_team`): until the caller's transaction ends, no other
        one assigns in it, so two at once cannot both fill the same agent's last place.
        """
        team = self.config.teams[team_code]
        roster = agents if isinstance(agents, DutyRoster) else None
        await agents.hold_team(team.code)
        load = await agents.open_load(team.code)
        return await self.chooser.choose(team, load, self.clock.now(), exclude, roster=roster)

    def decide(self, request: RoutingRequest, facts: RepeatFacts) -> _Decision:
        """Apply the rules in order: team from the first match that names one, priorities and notices."""
        decision = _Decision(priority=self.config.settings.base_priority[request.severity])
        values = self._label_values(request, facts)
        for rule in self.config.rules:
            if not _matches(rule.when, request, facts):
                continue
            self._apply(rule, decision, rule.label.format_map(values))
            if rule.stop:
                break
        return decision

    def _apply(self, rule: Rule, decision: _Decision, label: str) -> None:
        if rule.team is not None and decision.team is None:
            decision.team = rule.team
            decision.reasons.append(f"{label} → {self.config.teams[rule.team].name}")
        raised = decision.priority
        if rule.priority is not None and rule.priority.rank > raised.rank:
            raised = rule.priority
        raised = raised.raised(rule.raise_by) if rule.raise_by else raised
        if raised is not decision.priority:
            decision.priority = raised
            decision.reasons.append(f"{label} → 优先级{labels.label(labels.PRIORITY, raised)}")
        if rule.notify_lead and not decision.notify_lead:
            decision.notify_lead = True
            decision.reasons.append(f"{label} → 立即通知组长")

    def _notify(self, team: Team, notify_lead: bool) -> tuple[str, ...]:
        return (team.lead,) if notify_lead and team.lead else ()

    def agent_reason(self, team: Team, choice: Choice) -> str:
        """The reason line for the agent choice ("马俊在岗且负载最低（1/8） → 指派马俊")."""
        if choice.agent is None:
            if choice.on_duty == 0:
                return f"{team.name}暂无在岗客服 → 进入等待队列"
            return f"{team.name}在岗客服已满负荷 → 进入等待队列"
        agent = choice.agent
        return f"{agent.name}在岗且负载最低（{choice.load}/{agent.capacity}） → 指派{agent.name}"

    def _label_values(self, request: RoutingRequest, facts: RepeatFacts) -> _SafeFormat:
        return _SafeFormat(
            repeat_of=facts.repeat_of or "",
            reopen_count=str(facts.reopen_count),
            category_label=labels.label(labels.CATEGORY, request.category),
            severity_label=labels.label(labels.SEVERITY, request.severity),
            tier_label=labels.label(labels.TIER, request.tier),
            channel=str(request.channel),
        )


def _matches(when: Condition, request: RoutingRequest, facts: RepeatFacts) -> bool:
    checks = (
        when.categories is None or request.category in when.categories,
        when.severities is None or request.severity in when.severities,
        when.tiers is None or request.tier in when.tiers,
        when.channels is None or request.channel in when.channels,
        when.repeat is None or when.repeat == facts.repeat,
        when.first is None or when.first == facts.first,
        when.reopened_min is None or facts.reopen_count >= when.reopened_min,
    )
    return all(checks)
