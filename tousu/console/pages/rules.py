"""派单规则 Routing rules: the rules TOML in use, an editor that validates with the real
loader (problems next to their line or key), a preview of the team / priority / deadlines a
complaint of a chosen category, severity, tier and channel would get, and a save into the
data directory that the live router uses at once and that reaches the other processes
(`Routing.rules_saved`, see `tousu.tuning`)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from intake.errors import ConfigError, InvalidInput
from intake.messages import entry
from intake.messages import text as text_of
from intake.ports import RoutingRequest
from intake.records import Category, ChannelName, Event, Priority, Severity, SlaDeadlines, Tier
from router import parse_rules
from router.config import RoutingConfig
from router.engine import RulesRouter
from router.loader import DEFAULT_RULES
from router.repeat import detect_repeat
from tousu.console import tuning_text
from tousu.console.pages import Page, action, ctx, redirect, render
from tousu.routing_wiring import routing_of
from tousu.tuning import (
    MAX_BYTES,
    RULES_FILE,
    Problem,
    announcement,
    problems_of,
    rules_path,
    save_file,
)

tuning_text.register_catalogue()

CHOICES = {
    "category": [c.value for c in Category],
    "severity": [s.value for s in Severity],
    "tier": [t.value for t in Tier],
    "channel": [c.value for c in ChannelName],
}
DEFAULTS = {"category": Category.PUNCTUALITY.value, "severity": Severity.NORMAL.value, "tier": Tier.REGULAR.value}


@dataclass(frozen=True, slots=True)
class Preview:
    """Where a complaint would go under the edited rules (before an agent is chosen)."""

    team: str
    team_name: str
    priority: Priority
    deadlines: SlaDeadlines
    notify_lead: bool
    reasons: tuple[str, ...]


def _in_use(request: web.Request) -> Path | None:
    return rules_path(ctx(request).runtime.settings)


def _current_text(request: web.Request) -> str:
    path = _in_use(request)
    try:
        if path is None:
            return resources.files("router").joinpath(DEFAULT_RULES).read_text(encoding="utf-8")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read routing rules {path}: {error}") from error


def check(text: str, locale: str | None = None) -> tuple[RoutingConfig | None, list[Problem]]:
    """The rules `text` compiles to with the real loader, or its problems (in `locale`, default Chinese)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        return None, [Problem(text_of("tuning.too_large", locale, limit=MAX_BYTES // 1024))]
    try:
        return parse_rules(text, "<edited>"), []
    except ConfigError as error:
        return None, problems_of(error, text, locale)


def preview(config: RoutingConfig, request: RoutingRequest) -> Preview:
    """Team, priority, deadlines and reasons of `request` under `config` (the router's own rules)."""
    router = RulesRouter(config)
    facts = detect_repeat(request.number, (), request.received_at, config.settings.repeat_window)
    decision = router.decide(request, facts)
    team = config.teams[decision.team or config.settings.default_team]
    policy = router.sla.policy(request.severity, request.tier)
    return Preview(
        team=team.code,
        team_name=team.name,
        priority=decision.priority,
        deadlines=router.sla.deadlines(request.severity, request.tier, request.received_at),
        notify_lead=decision.notify_lead or policy.escalate_immediately,
        reasons=tuple(decision.reasons),
    )


def _choice(form: Any, name: str, default: str) -> str:
    value = str(form.get(name) or default)
    if value not in CHOICES[name]:
        raise InvalidInput(f"{name}: one of {', '.join(CHOICES[name])}", field=name)
    return value


def _page(
    request: web.Request,
    body: str,
    problems: list[Problem],
    *,
    checked: bool = False,
    result: Preview | None = None,
    chosen: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    settings = ctx(request).runtime.settings
    by_line: dict[int, list[str]] = {}
    for problem in problems:
        if problem.line is not None:
            by_line.setdefault(problem.line, []).append(problem.message)
    lines = body.splitlines() or [""]
    return render(
        request,
        "tuning.html",
        status=status,
        kind="rules",
        title_key="tuning.rules.title",
        edit_permission="rules:edit",
        source=str(_in_use(request) or "") or None,
        target=str(settings.data_dir / RULES_FILE),
        override=settings.routing_rules is not None,
        body=body,
        problems=problems,
        numbered=[{"n": i, "text": line, "problems": by_line.get(i, [])} for i, line in enumerate(lines, start=1)],
        checked=checked,
        sample="",
        result=None,
        preview=result,
        choices=CHOICES,
        chosen=chosen or {**DEFAULTS, "channel": ChannelName.WEBCHAT.value},
    )


@action("rules:view")
async def rules(request: web.Request) -> web.StreamResponse:
    """The rules in use, in the editor."""
    return _page(request, _current_text(request), [])


@action("rules:view")
async def validate(request: web.Request) -> web.StreamResponse:
    """Validate the edited rules and preview where the chosen complaint would go."""
    context = ctx(request)
    form = await request.post()
    body = str(form.get("body") or "").replace("\r\n", "\n")
    chosen = {
        "category": _choice(form, "category", DEFAULTS["category"]),
        "severity": _choice(form, "severity", DEFAULTS["severity"]),
        "tier": _choice(form, "tier", DEFAULTS["tier"]),
        "channel": _choice(form, "channel", ChannelName.WEBCHAT.value),
    }
    config, problems = check(body, ctx(request).locale)
    result = None
    if config is not None:
        request_ = RoutingRequest(
            number="PREVIEW",
            category=Category(chosen["category"]),
            severity=Severity(chosen["severity"]),
            channel=ChannelName(chosen["channel"]),
            received_at=context.now(),
            customer_id="preview",
            tier=Tier(chosen["tier"]),
        )
        result = preview(config, request_)
    return _page(request, body, problems, checked=True, result=result, chosen=chosen, status=422 if problems else 200)


@action("rules:edit")
async def save(request: web.Request) -> web.StreamResponse:
    """Validate, write `<data_dir>/routing.toml` (previous kept as a backup), swap the live
    router, audit, then announce the save to the other processes."""
    context = ctx(request)
    form = await request.post()
    body = str(form.get("body") or "").replace("\r\n", "\n")
    if not body.strip():
        raise InvalidInput(entry("tuning.rules_empty"), field="body")
    config, problems = check(body, ctx(request).locale)
    if config is None:
        return _page(request, body, problems, checked=True, status=422)
    routing = routing_of(context.runtime)
    target = context.runtime.settings.data_dir / RULES_FILE
    backup = save_file(target, body, context.now())
    previous = routing.config.source
    await routing.reload_rules(parse_rules(body, str(target)), context.now())
    saved = announcement(body, context.user.actor, context.now())  # what the other processes are told
    details: dict[str, Any] = {
        "file": str(target),
        "bytes": saved["bytes"],
        "sha256": saved["sha256"],
        "backup": str(backup) if backup else None,
        "previous": previous,
    }
    async with context.store.transaction() as tx:
        await tx.audit.append(Event(context.user.actor, "rules.saved", context.now(), None, details))
    await routing.rules_saved(saved)
    redirect(request, "/rules", "rules_saved")


PAGE = Page(
    key="rules",
    title="console.nav.rules",
    path="/rules",
    permission="rules:view",
    order=64,
    routes=[
        web.get("/rules", rules),
        web.post("/rules/check", validate),
        web.post("/rules/save", save),
    ],
)
