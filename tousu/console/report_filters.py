"""Reading the filters of the dashboard, risk and ledger pages from a query string, with
the role's scope applied: a manager sees every team, a lead only their own.

Dates are local days (`from`, `to` inclusive, YYYY-MM-DD) in the deployment's zone.
Bad values raise `InvalidInput` (a 400 page naming the field), never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from intake.errors import Forbidden, InvalidInput
from intake.permissions import ConsoleUser
from intake.records import Category, ChannelName, Severity, Status
from intake.report_ports import ReportFilter, SlaState
from storage.sql.reports import SqlReports
from storage.sql.store import SqlStore
from tousu.console.pages import ctx

MAX_DAYS = 366
DEFAULT_DAYS = 30
FIELDS = ("from", "to", "team", "status", "category", "severity", "channel", "sla", "customer")


@dataclass(frozen=True, slots=True)
class Filters:
    """The parsed filter, the local days it spans and the raw values for the form."""

    query: ReportFilter
    first_day: date | None
    last_day: date | None
    form: dict[str, str]
    team_locked: bool

    def query_string(self, **changes: str) -> str:
        """The filter as a query string (for links: pages, downloads)."""
        from urllib.parse import urlencode

        values = {k: v for k, v in (self.form | changes).items() if v}
        return urlencode(values)


def scoped_team(user: ConsoleUser, wanted: str | None) -> tuple[str | None, bool]:
    """(team to filter on, whether the user may not change it)."""
    if user.role == "manager":
        return wanted, False
    if user.role == "lead":
        if not user.team:
            raise Forbidden("a lead without a team sees no team figures", action="stats:view")
        return user.team, True
    raise Forbidden(f"{user.role} may not see reports", action="stats:view")


def parse_filters(
    request: web.Request, *, zone: ZoneInfo, today: date, default_days: int | None = DEFAULT_DAYS
) -> Filters:
    """The filters of `request` (see the module docstring)."""
    user = ctx(request).user
    form = {name: (request.query.get(name) or "").strip() for name in FIELDS}
    first = _day(form["from"], "from")
    last = _day(form["to"], "to")
    if first is None and last is None and default_days is not None:
        last, first = today, today - timedelta(days=default_days - 1)
        form["from"], form["to"] = first.isoformat(), last.isoformat()
    if first is not None and last is not None:
        if last < first:
            raise InvalidInput("to: before from", field="to")
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidInput(f"from/to: at most {MAX_DAYS} days", field="to")
    team, locked = scoped_team(user, form["team"] or None)
    form["team"] = team or ""
    status = _choice(form["status"], "status", Status)
    query = ReportFilter(
        received_from=_start(first, zone),
        received_to=_start(last + timedelta(days=1), zone) if last is not None else None,
        team=team,
        status=(status,) if status is not None else None,
        category=_choice(form["category"], "category", Category),
        severity=_choice(form["severity"], "severity", Severity),
        channel=_choice(form["channel"], "channel", ChannelName),
        sla_state=_choice(form["sla"], "sla", SlaState),
        customer_id=form["customer"] or None,
    )
    return Filters(query, first, last, form, locked)


def reports_of(request: web.Request) -> SqlReports:
    """The console's `SqlReports`, made on first use over the runtime's SQL store."""
    console = ctx(request).console
    found = console.services.get("reports")
    if found is None:
        store = console.runtime.store
        if not isinstance(store, SqlStore):
            raise TypeError("reports need the SQL store")
        found = console.services["reports"] = SqlReports.for_store(store)
    assert isinstance(found, SqlReports)
    return found


def routing_config(request: web.Request) -> Any:
    """The rules router's configuration when the runtime has one (team and agent names), else None."""
    return getattr(ctx(request).runtime.router, "config", None)


def team_names(request: web.Request) -> dict[str, str]:
    """Team code → display name in the request's locale (empty without a rules router)."""
    config = routing_config(request)
    return dict(config.team_names(ctx(request).locale)) if config is not None else {}


def agent_names(request: web.Request) -> dict[str, str]:
    """Agent id → display name (empty without a rules router)."""
    config = routing_config(request)
    return dict(config.agent_names()) if config is not None else {}


def repeat_window(request: web.Request, default: timedelta = timedelta(days=30)) -> timedelta:
    """The router's repeat window (same customer within it = repeat complaint)."""
    config = routing_config(request)
    window = getattr(getattr(config, "settings", None), "repeat_window", None)
    return window if isinstance(window, timedelta) else default


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput(f"{name}: not a date (YYYY-MM-DD)", field=name) from error


def _start(day: date | None, zone: ZoneInfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=zone)


def _choice(value: str, name: str, kind: Any) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError as error:
        raise InvalidInput(f"{name}: unknown value", field=name) from error
