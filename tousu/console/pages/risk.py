"""Customers at risk (流失预警): customers with a repeat complaint, a low rating, an open
complaint past its SLA, or VIPs with an open complaint; scored, sorted, each with reasons
and a link to the ticket to act on."""

from __future__ import annotations

from aiohttp import web

from intake.risk import rank
from tousu.console import reports_text
from tousu.console.pages import Page, action, ctx, render
from tousu.console.paging import numbered, numbered_pager, page_number, page_size
from tousu.console.report_filters import parse_filters, repeat_window, reports_of, team_names

reports_text.register_catalogue()

WINDOW_DAYS = 90
"""Complaints received within this many days count (the repeat window is the router's)."""


@action("customers:risk")
async def risk(request: web.Request) -> web.StreamResponse:
    """The customers-at-risk page, a page at a time (`page`, `size` as in `tousu.console.paging`)."""
    context = ctx(request)
    zone = context.console.zone
    now = context.now()
    filters = parse_filters(request, zone=zone, today=now.astimezone(zone).date(), default_days=WINDOW_DAYS)
    wanted, size = page_number(request), page_size(request)
    window = repeat_window(request)
    facts = await reports_of(request).risk_facts(filters.query, now)
    entries = rank(facts, repeat_window=window)
    page, pages = numbered(wanted, len(entries), size)
    first = (page - 1) * size
    return render(
        request,
        "risk.html",
        filters=filters,
        entries=entries[first : first + size],
        offset=first,
        pager=numbered_pager(request, "/risk", filters.form, page, pages, size, len(entries)),
        team_names=team_names(request),
    )


PAGE = Page(
    key="risk",
    title="console.nav.risk",
    path="/risk",
    permission="customers:risk",
    order=55,
    routes=[web.get("/risk", risk)],
)
