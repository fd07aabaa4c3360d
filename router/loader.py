"""Load and validate the routing rules TOML; every mistake is named in one `ConfigError`.

The error message lists each problem on its own line with the path of the setting
(`teams[2].members[0].capacity: must be a whole number ≥ 0`), so an operator can fix
them all in one pass. `ConfigError.details["problems"]` holds the same list.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from intake.errors import ConfigError
from intake.messages import Message, entry
from intake.records import Category, ChannelName, Priority, Severity, Tier
from router import messages as _messages  # noqa: F401 - registers the catalogue entries
from router.calendar import BusinessCalendar, ServiceWindow
from router.config import (
    Action,
    Agent,
    Condition,
    EscalationStep,
    RoutingConfig,
    Rule,
    Settings,
    Shift,
    SlaPolicy,
    Team,
)
from router.durations import Duration, parse_duration

E = TypeVar("E", Category, ChannelName, Priority, Severity, Tier, Action)

DEFAULT_RULES = "rules.toml"
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_LABEL_FIELDS = {"repeat_of", "reopen_count", "category_label", "severity_label", "tier_label", "channel"}
_CONDITION_KEYS = {"category", "severity", "tier", "channel", "repeat", "first", "reopened_min"}
_RULE_KEYS = {"name", "label", "when", "team", "priority", "raise", "notify_lead", "stop"}


class _Problems:
    """Collects problems while the whole file is checked."""

    def __init__(self) -> None:
        self.items: list[str] = []  # in English (the `problems` detail)
        self.messages: list[Message] = []  # the same, for any locale (the `messages` detail)

    def add(self, where: str, problem: Message) -> None:
        self._append(entry("router.rules.problem", where=where, problem=problem))

    def _append(self, message: Message) -> None:
        self.items.append(str(message))
        self.messages.append(message)

    def duration(self, value: object, where: str) -> Duration | None:
        try:
            return parse_duration(value, where)
        except ConfigError as error:
            self._append(error.entry or entry("router.rules.problem", where=where, problem=str(error)))
            return None

    def enum(self, kind: type[E], value: object, where: str) -> E | None:
        try:
            return kind(str(value))
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.add(where, entry("router.rules.unknown_value", value=repr(value), allowed=allowed))
            return None

    def enums(self, kind: type[E], value: object, where: str) -> frozenset[E] | None:
        values = value if isinstance(value, list) else [value]
        parsed = [self.enum(kind, item, where) for item in values]
        return frozenset(item for item in parsed if item is not None)


def load_rules(path: Path | None = None) -> RoutingConfig:
    """Read and validate a rules file; None reads the rules shipped in the package."""
    if path is None:
        text = resources.files("router").joinpath(DEFAULT_RULES).read_text(encoding="utf-8")
        source = f"router/{DEFAULT_RULES}"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            problem = entry("router.rules.cannot_read", path=str(path), error=error.strerror)
            raise ConfigError(problem, path=str(path)) from error
        source = str(path)
    return parse_rules(text, source)


def parse_rules(text: str, source: str = "<text>") -> RoutingConfig:
    """Validate rules given as TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(entry("router.rules.bad_toml", source=source, error=str(error)), source=source) from error
    problems = _Problems()
    config = _build(data, problems, source)
    if problems.items or config is None:
        summary = entry("router.rules.problems", source=source, count=len(problems.items), lines=problems.messages)
        raise ConfigError(summary, problems=problems.items, messages=problems.messages)
    return config


def _build(data: dict[str, Any], problems: _Problems, source: str) -> RoutingConfig | None:
    _unknown_keys(data, {"settings", "calendar", "priority", "teams", "rules", "sla", "escalation"}, "", problems)
    calendar = _calendar(_table(data, "calendar", problems), problems)
    teams = _teams(data.get("teams", []), calendar, problems)
    settings = _settings(_table(data, "settings", problems), _table(data, "priority", problems), teams, problems)
    rules = tuple(_rules(data.get("rules", []), teams, problems))
    sla = _sla(data.get("sla", []), problems)
    escalation = _escalation(data.get("escalation", []), problems)
    if settings is None or problems.items:
        return None
    return RoutingConfig(settings, calendar, teams, rules, sla, escalation, source)


def _table(data: dict[str, Any], key: str, problems: _Problems) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.add(key, entry("router.rules.not_table"))
        return {}
    return value


def _unknown_keys(data: dict[str, Any], allowed: set[str], where: str, problems: _Problems) -> None:
    for key in sorted(set(data) - allowed):
        allowed_keys = ", ".join(sorted(allowed))
        problems.add(f"{where}{key}" if where else key, entry("router.rules.unknown_setting", allowed=allowed_keys))


def _time(value: object, where: str, problems: _Problems) -> time | None:
    if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}", value):
        hours, minutes = int(value[:2]), int(value[3:])
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    problems.add(where, entry("router.rules.bad_time", value=repr(value)))
    return None


def _hours(value: object, where: str, problems: _Problems) -> tuple[time, time] | None:
    match = _HOURS.match(value) if isinstance(value, str) else None
    if match is None:
        problems.add(where, entry("router.rules.bad_hours", value=repr(value)))
        return None
    start = _time(f"{match[1]}:{match[2]}", where, problems)
    end = _time("00:00" if f"{match[3]}:{match[4]}" == "24:00" else f"{match[3]}:{match[4]}", where, problems)
    if start is None or end is None:
        return None
    if start == end and f"{match[3]}:{match[4]}" != "24:00":
        problems.add(where, entry("router.rules.empty_span", value=repr(value)))
        return None
    return start, end


def _dates(value: object, where: str, problems: _Problems) -> frozenset[date]:
    if not isinstance(value, list):
        problems.add(where, entry("router.rules.not_date_list"))
        return frozenset()
    days: set[date] = set()
    for index, item in enumerate(value):
        if isinstance(item, date):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            problems.add(f"{where}[{index}]", entry("router.rules.bad_date", value=repr(item)))
    return frozenset(days)


def _calendar(data: dict[str, Any], problems: _Problems) -> BusinessCalendar:
    allowed = {"timezone", "service_hours", "service_days", "workday_end", "extra_holidays", "extra_workdays"}
    _unknown_keys(data, allowed, "calendar.", problems)
    try:
        tz = ZoneInfo(str(data.get("timezone", "Asia/Shanghai")))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("calendar.timezone", entry("router.rules.bad_zone", value=repr(data.get("timezone"))))
        tz = ZoneInfo("Asia/Shanghai")
    service = None
    if "service_hours" in data:
        span = _hours(data["service_hours"], "calendar.service_hours", problems)
        days = data.get("service_days", "daily")
        if days not in ("daily", "workdays"):
            problems.add("calendar.service_days", entry("router.rules.bad_service_days", value=repr(days)))
        if span is not None:
            service = ServiceWindow(span[0], span[1], every_day=days != "workdays")
    workday_end = _time(data.get("workday_end", "18:00"), "calendar.workday_end", problems) or time(18, 0)
    holidays = _dates(data.get("extra_holidays", []), "calendar.extra_holidays", problems)
    workdays = _dates(data.get("extra_workdays", []), "calendar.extra_workdays", problems)
    for day in sorted(holidays & workdays):
        problems.add("calendar", entry("router.rules.holiday_and_workday", day=str(day)))
    return BusinessCalendar(tz, service, workday_end, holidays, workdays)


def _shift(name: str, value: object, where: str, problems: _Problems) -> Shift | None:
    spec = {"hours": value} if isinstance(value, str) else value
    if not isinstance(spec, dict):
        problems.add(where, entry("router.rules.bad_shift"))
        return None
    _unknown_keys(spec, {"hours", "days"}, f"{where}.", problems)
    span = _hours(spec.get("hours"), f"{where}.hours", problems)
    days_spec = spec.get("days", "daily")
    days: frozenset[int] | None = None
    workdays_only = False
    if days_spec == "workdays":
        workdays_only = True
    elif days_spec != "daily":
        days = _weekdays(days_spec, f"{where}.days", problems)
    if span is None:
        return None
    return Shift(name, span[0], span[1], days, workdays_only)


def _weekdays(value: object, where: str, problems: _Problems) -> frozenset[int] | None:
    items = value if isinstance(value, list) else [value]
    result: set[int] = set()
    for item in items:
        if isinstance(item, int) and 1 <= item <= 7:
            result.add(item)
        elif isinstance(item, str) and "-" in item and all(part in _WEEKDAYS for part in item.split("-")):
            first, last = (_WEEKDAYS[part] for part in item.split("-"))
            result.update(range(first, last + 1) if first <= last else [*range(first, 8), *range(1, last + 1)])
        elif isinstance(item, str) and item in _WEEKDAYS:
            result.add(_WEEKDAYS[item])
        else:
            problems.add(where, entry("router.rules.bad_weekday", value=repr(item)))
    return frozenset(result) if result else None


def _teams(value: object, calendar: BusinessCalendar, problems: _Problems) -> dict[str, Team]:
    if not isinstance(value, list) or not value:
        problems.add("teams", entry("router.rules.no_teams"))
        return {}
    teams: dict[str, Team] = {}
    seen_agents: dict[str, str] = {}
    for index, data in enumerate(value):
        team = _team(data, f"teams[{index}]", problems, seen_agents)
        if team is None:
            continue
        if team.code in teams:
            problems.add(f"teams[{index}].code", entry("router.rules.team_twice", team=repr(team.code)))
        teams[team.code] = team
    return teams


def _team(data: object, where: str, problems: _Problems, seen_agents: dict[str, str]) -> Team | None:
    if not isinstance(data, dict):
        problems.add(where, entry("router.rules.not_table"))
        return None
    _unknown_keys(data, {"code", "name", "name_en", "lead", "capacity", "shifts", "members"}, f"{where}.", problems)
    code = data.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", code):
        problems.add(f"{where}.code", entry("router.rules.bad_team_code", value=repr(code)))
        return None
    name = str(data.get("name") or code)
    default_capacity = _capacity(data.get("capacity", 8), f"{where}.capacity", problems)
    shifts_data = data.get("shifts", {})
    shifts: dict[str, Shift] = {}
    if isinstance(shifts_data, dict):
        for shift_name, spec in shifts_data.items():
            shift = _shift(shift_name, spec, f"{where}.shifts.{shift_name}", problems)
            if shift is not None:
                shifts[shift_name] = shift
    else:
        problems.add(f"{where}.shifts", entry("router.rules.not_shift_table"))
    members = _members(data.get("members", []), code, default_capacity, shifts, where, problems, seen_agents)
    lead = data.get("lead")
    if lead is not None and not any(agent.id == lead for agent in members):
        problems.add(f"{where}.lead", entry("router.rules.lead_not_member", lead=repr(lead), team=repr(code)))
    if not members:
        problems.add(f"{where}.members", entry("router.rules.no_members", team=repr(code)))
    return Team(code, name, str(data.get("name_en") or name), lead, tuple(members), shifts)


def _capacity(value: object, where: str, problems: _Problems) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(where, entry("router.rules.bad_capacity", value=repr(value)))
        return 0
    return value


def _members(
    value: object,
    team: str,
    default_capacity: int,
    shifts: dict[str, Shift],
    where: str,
    problems: _Problems,
    seen_agents: dict[str, str],
) -> list[Agent]:
    if not isinstance(value, list):
        problems.add(f"{where}.members", entry("router.rules.not_member_list"))
        return []
    members: list[Agent] = []
    for index, data in enumerate(value):
        here = f"{where}.members[{index}]"
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            problems.add(here, entry("router.rules.member_no_id"))
            continue
        _unknown_keys(data, {"id", "name", "capacity", "shift"}, f"{here}.", problems)
        agent_id = data["id"]
        if agent_id in seen_agents:
            owner = repr(seen_agents[agent_id])
            problems.add(f"{here}.id", entry("router.rules.agent_twice", agent=repr(agent_id), team=owner))
            continue
        seen_agents[agent_id] = team
        shift = data.get("shift")
        if shift is not None and shift not in shifts:
            known: str | Message = str(sorted(shifts)) if shifts else entry("router.none")
            problem = entry("router.rules.unknown_shift", shift=repr(shift), team=repr(team), shifts=known)
            problems.add(f"{here}.shift", problem)
        capacity = _capacity(data.get("capacity", default_capacity), f"{here}.capacity", problems)
        members.append(Agent(agent_id, str(data.get("name") or agent_id), team, capacity, shift))
    return members


def _settings(
    data: dict[str, Any], priority: dict[str, Any], teams: dict[str, Team], problems: _Problems
) -> Settings | None:
    _unknown_keys(data, {"default_team", "management_team", "repeat_window_days"}, "settings.", problems)
    default_team = data.get("default_team")
    management = data.get("management_team")
    for key, team in (("default_team", default_team), ("management_team", management)):
        if team not in teams and teams:
            problems.add(
                f"settings.{key}", entry("router.rules.not_team", team=repr(team), teams=", ".join(sorted(teams)))
            )
    window = data.get("repeat_window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        problems.add("settings.repeat_window_days", entry("router.rules.bad_days", value=repr(window)))
        window = 30
    base: dict[Severity, Priority] = {
        Severity.NORMAL: Priority.NORMAL,
        Severity.SERIOUS: Priority.HIGH,
        Severity.CRITICAL: Priority.URGENT,
    }
    for key, value in priority.items():
        severity = problems.enum(Severity, key, f"priority.{key}")
        level = problems.enum(Priority, value, f"priority.{key}")
        if severity is not None and level is not None:
            base[severity] = level
    if not isinstance(default_team, str) or not isinstance(management, str):
        return None
    return Settings(default_team, management, timedelta(days=window), base)


def _rules(value: object, teams: dict[str, Team], problems: _Problems) -> list[Rule]:
    if not isinstance(value, list):
        problems.add("rules", entry("router.rules.not_rule_list"))
        return []
    rules: list[Rule] = []
    names: set[str] = set()
    for index, data in enumerate(value):
        rule = _rule(data, f"rules[{index}]", teams, problems)
        if rule is None:
            continue
        if rule.name in names:
            problems.add(f"rules[{index}].name", entry("router.rules.rule_twice", name=repr(rule.name)))
        names.add(rule.name)
        rules.append(rule)
    return rules


def _rule(data: object, where: str, teams: dict[str, Team], problems: _Problems) -> Rule | None:
    if not isinstance(data, dict):
        problems.add(where, entry("router.rules.not_table"))
        return None
    _unknown_keys(data, _RULE_KEYS, f"{where}.", problems)
    name = str(data.get("name") or where)
    label = data.get("label")
    if not isinstance(label, str) or not label:
        problems.add(f"{where}.label", entry("router.rules.no_label"))
        label = name
    for field_name in re.findall(r"{(\w*)}", label):
        if field_name not in _LABEL_FIELDS:
            fields = str(sorted(_LABEL_FIELDS))
            problems.add(f"{where}.label", entry("router.rules.bad_placeholder", field=field_name, fields=fields))
    when = _condition(data.get("when", {}), f"{where}.when", problems)
    team = data.get("team")
    if team is not None and team not in teams:
        problems.add(f"{where}.team", entry("router.rules.not_team", team=repr(team), teams=", ".join(sorted(teams))))
    priority = problems.enum(Priority, data["priority"], f"{where}.priority") if "priority" in data else None
    raise_by = data.get("raise", 0)
    if isinstance(raise_by, bool) or not isinstance(raise_by, int) or not 0 <= raise_by <= 3:
        problems.add(f"{where}.raise", entry("router.rules.bad_raise", value=repr(raise_by)))
        raise_by = 0
    flags = {key: data.get(key, False) for key in ("notify_lead", "stop")}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            problems.add(f"{where}.{key}", entry("router.rules.not_bool", value=repr(flag)))
    if team is None and priority is None and not raise_by and not flags["notify_lead"]:
        problems.add(where, entry("router.rules.does_nothing"))
    return Rule(name, label, when, team, priority, raise_by, flags["notify_lead"] is True, flags["stop"] is True)


def _condition(data: object, where: str, problems: _Problems) -> Condition:
    if not isinstance(data, dict):
        problems.add(where, entry("router.rules.bad_condition"))
        return Condition()
    _unknown_keys(data, _CONDITION_KEYS, f"{where}.", problems)
    flags: dict[str, bool | None] = {}
    for key in ("repeat", "first"):
        flag = data.get(key)
        if flag is not None and not isinstance(flag, bool):
            problems.add(f"{where}.{key}", entry("router.rules.not_bool", value=repr(flag)))
            flag = None
        flags[key] = flag
    reopened = data.get("reopened_min")
    if reopened is not None and (isinstance(reopened, bool) or not isinstance(reopened, int) or reopened < 1):
        problems.add(f"{where}.reopened_min", entry("router.rules.bad_reopened", value=repr(reopened)))
        reopened = None
    return Condition(
        categories=problems.enums(Category, data["category"], f"{where}.category") if "category" in data else None,
        severities=problems.enums(Severity, data["severity"], f"{where}.severity") if "severity" in data else None,
        tiers=problems.enums(Tier, data["tier"], f"{where}.tier") if "tier" in data else None,
        channels=problems.enums(ChannelName, data["channel"], f"{where}.channel") if "channel" in data else None,
        repeat=flags["repeat"],
        first=flags["first"],
        reopened_min=reopened,
    )


def _sla(value: object, problems: _Problems) -> tuple[SlaPolicy, ...]:
    if not isinstance(value, list) or not value:
        problems.add("sla", entry("router.rules.no_sla"))
        return ()
    generic = next((data for data in value if isinstance(data, dict) and not {"severity", "tier"} & set(data)), None)
    if generic is None:
        problems.add("sla", entry("router.rules.no_generic_sla"))
        return ()
    policies: list[SlaPolicy] = []
    seen: set[tuple[Severity | None, Tier | None]] = set()
    for index, data in enumerate(value):
        policy = _policy(data, generic, f"sla[{index}]", problems)
        if policy is None:
            continue
        if (policy.severity, policy.tier) in seen:
            problems.add(f"sla[{index}]", entry("router.rules.sla_twice"))
        seen.add((policy.severity, policy.tier))
        policies.append(policy)
    return tuple(policies)


def _policy(data: object, generic: dict[str, Any], where: str, problems: _Problems) -> SlaPolicy | None:
    if not isinstance(data, dict):
        problems.add(where, entry("router.rules.not_table"))
        return None
    allowed = {"severity", "tier", "first_response", "first_feedback", "report", "escalate_immediately"}
    _unknown_keys(data, allowed, f"{where}.", problems)
    severity = problems.enum(Severity, data["severity"], f"{where}.severity") if "severity" in data else None
    tier = problems.enum(Tier, data["tier"], f"{where}.tier") if "tier" in data else None
    spans: dict[str, Duration | None] = {}
    for key in ("first_response", "first_feedback", "report"):
        if key in data:
            spans[key] = problems.duration(data[key], f"{where}.{key}")
        elif key in generic:  # inherited: a mistake there is reported once, where it is written
            spans[key] = _quiet_duration(generic[key])
        else:
            problems.add(f"{where}.{key}", entry("router.rules.sla_missing"))
            spans[key] = None
    immediate = data.get("escalate_immediately", False)
    if not isinstance(immediate, bool):
        problems.add(f"{where}.escalate_immediately", entry("router.rules.not_bool", value=repr(immediate)))
    first_response, first_feedback, report = spans["first_response"], spans["first_feedback"], spans["report"]
    if first_response is None or first_feedback is None or report is None:
        return None
    return SlaPolicy(severity, tier, first_response, first_feedback, report, immediate is True)


def _quiet_duration(value: object) -> Duration | None:
    try:
        return parse_duration(value, "")
    except ConfigError:
        return None


def _escalation(value: object, problems: _Problems) -> tuple[EscalationStep, ...]:
    if not isinstance(value, list):
        problems.add("escalation", entry("router.rules.not_escalation_list"))
        return ()
    steps: list[EscalationStep] = []
    for index, data in enumerate(value):
        where = f"escalation[{index}]"
        if not isinstance(data, dict):
            problems.add(where, entry("router.rules.not_table"))
            continue
        _unknown_keys(data, {"after", "before", "action", "when_not_started"}, f"{where}.", problems)
        before = "before" in data
        if before == ("after" in data):
            problems.add(where, entry("router.rules.after_or_before"))
            continue
        key = "before" if before else "after"
        after = problems.duration(data.get(key), f"{where}.{key}")
        action = problems.enum(Action, data.get("action"), f"{where}.action")
        if after is not None and after.clock.value == "workdays":
            problems.add(f"{where}.{key}", entry("router.rules.step_workdays"))
            continue
        if after is not None and before and after.clock.value == "service":
            problems.add(f"{where}.before", entry("router.rules.warn_service"))
            continue
        if action is not None and before != (action is Action.WARN):
            problems.add(f"{where}.action", entry("router.rules.warn_before"))
            continue
        if after is None or action is None:
            continue
        step = EscalationStep(after, action, data.get("when_not_started", False) is True, before)
        if steps and step.offset < steps[-1].offset:
            order = entry("router.rules.step_order", after=str(after), previous=str(steps[-1].after))
            problems.add(f"{where}.{key}", order)
        steps.append(step)
    return tuple(steps)
