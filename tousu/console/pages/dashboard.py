"""Dashboard (统计看板): complaints per day, SLA compliance, durations, satisfaction, per
team / agent / worker, days since first service — SVG charts drawn on the server."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from aiohttp import web
from markupsafe import Markup

from intake.messages import label, text
from intake.records import Category, ChannelName, Severity
from intake.report_ports import Breakdown, DailyCount, Dashboard, GroupStats
from tousu.console import reports_text
from tousu.console.charts import (
    Series,
    bar_chart,
    format_number,
    horizontal_bar_chart,
    stacked_bar_chart,
)
from tousu.console.pages import Page, action, ctx, render
from tousu.console.report_filters import agent_names, parse_filters, reports_of, team_names

reports_text.register_catalogue()

_ORDER: dict[Breakdown, Sequence[str]] = {
    Breakdown.CATEGORY: [str(c) for c in Category],
    Breakdown.SEVERITY: [str(s) for s in Severity],
    Breakdown.CHANNEL: [str(c) for c in ChannelName],
}
_SEVERITY_COLORS = ("#2f6fde", "#f08c00", "#c92a2a")


@action("stats:view")
async def dashboard(request: web.Request) -> web.StreamResponse:
    """The dashboard page."""
    context = ctx(request)
    zone = context.console.zone
    now = context.now()
    filters = parse_filters(request, zone=zone, today=now.astimezone(zone).date())
    board = await reports_of(request).dashboard(filters.query, now, zone.key)
    locale = context.locale
    days = _days(filters.first_day, filters.last_day, board)
    teams, agents = team_names(request), agent_names(request)
    return render(
        request,
        "dashboard.html",
        filters=filters,
        board=board,
        kpis=_kpis(board, locale),
        charts=_charts(board, days, locale),
        durations=[_duration_row(d, locale) for d in board.durations],
        tables=[
            ("dashboard.teams.title", [_group_row(g, locale, teams) for g in board.teams]),
            ("dashboard.agents.title", [_group_row(g, locale, agents) for g in board.agents]),
            ("dashboard.workers.title", [_group_row(g, locale, {}) for g in board.workers]),
        ],
        team_names=teams,
    )


def _days(first: date | None, last: date | None, board: Dashboard) -> list[date]:
    seen = sorted({d.day for series in board.per_day.values() for d in series})
    start = first or (seen[0] if seen else None)
    end = last or (seen[-1] if seen else None)
    if start is None or end is None:
        return []
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _kpis(board: Dashboard, locale: str) -> list[tuple[str, str]]:
    first = board.sla[0]
    rate = "—" if first.rate is None else f"{first.rate * 100:.0f}%"
    average = board.satisfaction.average
    return [
        (text("dashboard.kpi.total", locale), str(board.total)),
        (text("dashboard.kpi.open", locale), str(board.open)),
        (text("dashboard.kpi.first_response_rate", locale), rate),
        (text("dashboard.kpi.satisfaction", locale), "—" if average is None else f"{average:.2f}"),
    ]


def _charts(board: Dashboard, days: list[date], locale: str) -> list[Markup]:
    empty = text("reports.empty", locale)
    labels = [f"{d:%m-%d}" for d in days]
    charts = [_per_day(kind, board.per_day[kind], days, labels, locale) for kind in Breakdown]
    stages = [text(f"dashboard.stage.{s.stage}", locale) for s in board.sla]
    charts.append(
        _svg(
            stacked_bar_chart(
                text("dashboard.sla.title", locale),
                stages,
                [
                    Series(text("dashboard.sla.met", locale), [s.met for s in board.sla]),
                    Series(text("dashboard.sla.missed", locale), [s.missed for s in board.sla]),
                    Series(text("dashboard.sla.pending", locale), [s.pending for s in board.sla]),
                ],
                description=text("dashboard.sla.desc", locale),
                empty_text=empty,
                colors=("#2b9348", "#c92a2a", "#adb5bd"),
            )
        )
    )
    ratings = board.satisfaction.counts
    average = board.satisfaction.average
    charts.append(
        _svg(
            bar_chart(
                text("dashboard.satisfaction.title", locale),
                [text("dashboard.satisfaction.stars", locale, value=r) for r in range(1, 6)],
                [ratings.get(r, 0) for r in range(1, 6)],
                description=text(
                    "dashboard.satisfaction.desc", locale, average="—" if average is None else f"{average:.2f}"
                ),
                empty_text=empty,
                color="#f08c00",
            )
        )
    )
    charts.append(
        _svg(
            bar_chart(
                text("dashboard.tenure.title", locale),
                [text(f"dashboard.tenure.{t.key}", locale) for t in board.tenure],
                [t.count for t in board.tenure],
                description=text("dashboard.tenure.desc", locale),
                empty_text=empty,
                color="#7048e8",
            )
        )
    )
    workers = board.workers[:15]
    charts.append(
        _svg(
            horizontal_bar_chart(
                text("dashboard.workers.title", locale),
                [w.key or "—" for w in workers],
                [w.total for w in workers],
                description=text("dashboard.workers.desc", locale),
                empty_text=empty,
                color="#d6336c",
            )
        )
    )
    return charts


def _per_day(kind: Breakdown, points: Sequence[DailyCount], days: list[date], labels: list[str], locale: str) -> Markup:
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for point in points:
        counts[point.key][point.day] = point.count
    keys = [k for k in _ORDER[kind] if k in counts] + sorted(k for k in counts if k not in _ORDER[kind])
    series = [Series(label(str(kind), k, locale), [counts[k].get(d, 0) for d in days]) for k in keys]
    options: dict[str, Any] = {"colors": _SEVERITY_COLORS} if kind is Breakdown.SEVERITY else {}
    first = days[0].isoformat() if days else "—"
    last = days[-1].isoformat() if days else "—"
    return _svg(
        stacked_bar_chart(
            text(f"dashboard.per_day.{kind}", locale),
            labels,
            series,
            description=text(
                "dashboard.per_day.desc", locale, first=first, last=last, by=text(f"dashboard.by.{kind}", locale)
            ),
            empty_text=text("reports.empty", locale),
            **options,
        )
    )


def _svg(svg: str) -> Markup:
    """A chart as template markup: `tousu.console.charts` escapes every text it draws."""
    return Markup(svg)  # noqa: S704 - built by tousu.console.charts, which escapes all data


def human_seconds(seconds: float | None, locale: str) -> str:
    """'12 分钟' under two hours, '3.5 小时' above; '—' for nothing."""
    if seconds is None:
        return "—"
    if seconds < 7200:
        return text("reports.minutes", locale, value=format_number(round(seconds / 60, 1)))
    return text("reports.hours", locale, value=format_number(round(seconds / 3600, 1)))


def _duration_row(stats: Any, locale: str) -> dict[str, str]:
    return {
        "stage": text(f"dashboard.durations.stage.{stats.stage}", locale),
        "count": str(stats.count),
        "median": human_seconds(stats.median_seconds, locale),
        "p90": human_seconds(stats.p90_seconds, locale),
    }


def _group_row(group: GroupStats, locale: str, names: dict[str, str]) -> dict[str, str]:
    rate = group.first_response_rate
    name = names.get(group.key or "", "")
    shown = f"{name}（{group.key}）" if name and name != group.key else group.key
    return {
        "key": shown or text("reports.unassigned", locale),
        "total": str(group.total),
        "open": str(group.open),
        "overdue": str(group.overdue),
        "serious": str(group.serious),
        "rate": "—" if rate is None else f"{rate * 100:.0f}%",
        "satisfaction": "—" if group.average_satisfaction is None else f"{group.average_satisfaction:.2f}",
        "resolution": human_seconds(group.average_resolution_seconds, locale),
    }


PAGE = Page(
    key="dashboard",
    title="console.nav.dashboard",
    path="/dashboard",
    permission="stats:view",
    order=50,
    routes=[web.get("/dashboard", dashboard)],
)
