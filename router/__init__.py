"""Routing: rules router, SLA policy and business calendar, escalation ladder, reply scripts (话术).

The shell calls the factories `load_router(...)` and `load_scripts(...)` (then
`await scripts.reload()` once when a repository is given).
"""

from __future__ import annotations

from pathlib import Path

from intake.errors import ConfigError
from intake.ports import Clock
from intake.routing_ports import DutyRoster, ScriptRepository, ScriptVersion
from router.config import RoutingConfig
from router.engine import RulesRouter
from router.loader import load_rules, parse_rules
from router.scripts import Directory, ScriptBook, ScriptKey, default_scripts, parse_script_file
from router.scripts.book import make_environment
from router.scripts.validate import validate_script


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
    scripts_path: Path | None = None,
) -> ScriptBook:
    """A `ScriptBook` (implements `intake.ports.ReplyScripts`) with the shipped scripts.

    Team and agent names and the time zone come from the routing rules (`config`, or
    loaded from `rules_path`). With a `repository`, call `await book.reload()` once at
    start (and after another process saved a script) to use the operators' versions.
    `company` is the company name per locale, e.g. {"zh": "好帮手家政", "en": "Helper Home"}.
    `scripts_path` is an operator's TOML file of scripts (same format as the shipped ones)
    that replaces the shipped script of each key it names; it is validated on load.
    """
    rules = config or load_rules(rules_path)
    directory = Directory(
        teams={code: {"zh": team.name, "en": team.name_en} for code, team in rules.teams.items()},
        agents=rules.agent_names(),
        tz=rules.tz,
        company=dict(company or {}),
    )
    defaults = default_scripts()
    if scripts_path is not None:
        defaults |= {version.key: version for version in _operator_scripts(scripts_path, directory)}
    return ScriptBook(defaults, directory=directory, repository=repository, clock=clock)


def _operator_scripts(path: Path, directory: Directory) -> list[ScriptVersion]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read reply scripts {path}: {error}", detail=f"{path}: {error}") from error
    versions = parse_script_file(text, str(path))
    env = make_environment()
    problems = [
        f"{path}: {problem}"
        for version in versions
        for problem in validate_script(env, ScriptKey.parse(version.key), version.body, directory)
    ]
    if problems:
        lines = "\n  ".join(problems)
        raise ConfigError(f"{path}: {len(problems)} problem(s) in reply scripts:\n  {lines}", problems=problems)
    return versions


__all__ = ["RulesRouter", "ScriptBook", "load_router", "load_rules", "load_scripts", "parse_rules"]
