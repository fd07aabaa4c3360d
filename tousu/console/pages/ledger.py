"""Ledger (台账): the complaints as a table filtered like the queue, a page at a time; downloads
as .xlsx and CSV (UTF-8 with BOM); customer import from CSV or XLSX with a report of the
rejected rows. Phones are masked unless the role may see them (`customers:phone`);
every download and import is written to the audit trail (counts, never personal data).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from intake.errors import InvalidInput
from intake.messages import text
from intake.permissions import may
from intake.records import Category, ChannelName, Event, Severity, Status
from intake.report_ports import LedgerRow, SlaState
from tousu.console import reports_text
from tousu.console.ledger_files import CSV_TYPE, XLSX_TYPE, csv_lines, mask_phone, record, xlsx_bytes
from tousu.console.pages import Page, action, ctx, render
from tousu.console.paging import numbered, numbered_pager, page_number, page_size
from tousu.console.report_filters import Filters, parse_filters, reports_of, team_names

reports_text.register_catalogue()

MAX_EXPORT_ROWS = 100_000


def _filters(request: web.Request) -> Filters:
    context = ctx(request)
    zone = context.console.zone
    return parse_filters(request, zone=zone, today=context.now().astimezone(zone).date(), default_days=None)


def _choices(request: web.Request) -> dict[str, Any]:
    return {
        "ledger_filters": True,
        "statuses": list(Status),
        "categories": list(Category),
        "severities": list(Severity),
        "channels": list(ChannelName),
        "sla_states": [str(s) for s in SlaState],
        "team_names": team_names(request),
    }


@action("ledger:view")
async def ledger(request: web.Request) -> web.StreamResponse:
    """The ledger table, one page at a time (`page`, `size` as in `tousu.console.paging`)."""
    context = ctx(request)
    filters = _filters(request)
    wanted, size = page_number(request), page_size(request)
    now = context.now()
    reports = reports_of(request)
    total = await reports.ledger_count(filters.query, now)
    page, pages = numbered(wanted, total, size)
    rows = await reports.ledger(filters.query, now, limit=size, offset=(page - 1) * size)
    show_phone = may(context.user.role, "customers:phone")
    return render(
        request,
        "ledger.html",
        filters=filters,
        rows=[_row(r, show_phone) for r in rows],
        total=total,
        pager=numbered_pager(request, "/ledger", filters.form, page, pages, size, total),
        **_choices(request),
    )


def _row(row: LedgerRow, show_phone: bool) -> dict[str, Any]:
    content = row.complaint.content
    return {
        "c": row.complaint,
        "name": row.customer_name,
        "phone": (row.customer_phone or "") if show_phone else mask_phone(row.customer_phone),
        "sla": str(row.sla_state),
        "content": content if len(content) <= 80 else content[:79] + "…",
    }


@action("ledger:export")
async def export_xlsx(request: web.Request) -> web.StreamResponse:
    """The filtered ledger as an Excel workbook."""
    context = ctx(request)
    filters, records = await _export_records(request)
    data = await asyncio.to_thread(xlsx_bytes, records, context.locale)
    await _audit(request, "ledger.exported", format="xlsx", rows=len(records), filter=filters.form)
    return web.Response(body=data, headers=_download_headers(context.now(), "xlsx", XLSX_TYPE, context.locale))


@action("ledger:export")
async def export_csv(request: web.Request) -> web.StreamResponse:
    """The filtered ledger as CSV, UTF-8 with a BOM (Excel then reads the Chinese right)."""
    context = ctx(request)
    filters, records = await _export_records(request)
    body = "".join(csv_lines(records, context.locale)).encode("utf-8")
    await _audit(request, "ledger.exported", format="csv", rows=len(records), filter=filters.form)
    return web.Response(body=body, headers=_download_headers(context.now(), "csv", CSV_TYPE, context.locale))


async def _export_records(request: web.Request) -> tuple[Filters, list[list[Any]]]:
    context = ctx(request)
    filters = _filters(request)
    now = context.now()
    reports = reports_of(request)
    count = await reports.ledger_count(filters.query, now)
    if count > MAX_EXPORT_ROWS:
        raise InvalidInput(text("ledger.too_many", context.locale, count=count, limit=MAX_EXPORT_ROWS), field="filter")
    show_phone = may(context.user.role, "customers:phone")
    zone, locale = context.console.zone, context.locale
    records = [record(row, zone, locale, show_phone) async for row in reports.ledger_rows(filters.query, now)]
    return filters, records


def _download_headers(now: datetime, extension: str, content_type: str, locale: str) -> dict[str, str]:
    stamp = now.strftime("%Y%m%d-%H%M")
    local_name = quote(f"{text('ledger.sheet', locale)}-{stamp}.{extension}")
    return {
        "Content-Type": content_type,
        "Content-Disposition": f"attachment; filename=\"ledger-{stamp}.{extension}\"; filename*=UTF-8''{local_name}",
        "Cache-Control": "no-store",
    }


async def _audit(request: web.Request, action_name: str, **data: Any) -> None:
    context = ctx(request)
    async with context.runtime.store.transaction() as tx:
        await tx.audit.append(Event(context.user.actor, action_name, context.now(), data=data))


PAGE = Page(
    key="ledger",
    title="console.nav.ledger",
    path="/ledger",
    permission="ledger:view",
    order=60,
    routes=[
        web.get("/ledger", ledger),
        web.get("/ledger/export.xlsx", export_xlsx),
        web.get("/ledger/export.csv", export_csv),
    ],
)
