"""Routing: rules router, SLA policy and business calendar, escalation ladder, reply scripts (话术).

The shell calls the factories `load_router(...)` and `load_scripts(...)` (then
`await scripts.reload()` once when a repository is given).
"""

from __future__ import annotations

from pathlib import Path

from intake.ports import Clock
from intake.routing_ports import DutyRoster, ScriptRepository
from router.config import RoutingConfig
from router.engine import RulesRouter
from router.loader import load_rules, parse_rules
from router.scripts import Directory, ScriptBook


def load_router(
    rules_path: Path | None = None, *, roster: DutyRoster | None = None, clock: Clock | None = None
) -> RulesRouter:
    """A `RulesRouter` (implements `intake.ports.Router`) from a rules TOML file.

    `rules_path` None uses the rules shipped in the package (router/rules.toml). `roster`
    gives the manual on/off-duty switches (without it the shifts decide). Raises
    `intake.errors.ConfigError` naming every mistake in the file.
    """
    return RulesRouter(load_rules(rules_path), roster=roster, clock=clock)


def load_scripts(
    repository: ScriptRepository | None = None,
    *,
    rules_path: Path | None = None,
    config: RoutingConfig | None = None,
    company: dict[str, str] | None = None,
    clock: Clock | None = None,
) -> ScriptBook:
    """A `ScriptBook` (implements `intake.ports.ReplyScripts`) with the shipped scripts.

    Team and agent names and the time zone come from the routing rules (`config`, or
    loaded from `rules_path`). With a `repository`, call `await book.reload()` once at
    start (and after another process saved a script) to use the operators' versions.
    `company` is the company name per locale, e.g. {"zh": "好帮手家政", "en": "Helper Home"}.
    """
    rules = config or load_rules(rules_path)
    directory = Directory(
        teams={code: {"zh": team.name, "en": team.name_en} for code, team in rules.teams.items()},
        agents=rules.agent_names(),
        tz=rules.tz,
        company=dict(company or {}),
    )
    return ScriptBook(directory=directory, repository=repository, clock=clock)


__all__ = ["RulesRouter", "ScriptBook", "load_router", "load_rules", "load_scripts", "parse_rules"]
