"""`tousu customers import FILE` and `tousu ledger export FILE`: the console's import and
download from the command line (for first loads bigger than a web upload, and for
scheduled exports). `tousu/cli.py` calls `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from intake.customer_import import import_customers
from intake.errors import InvalidInput
from intake.messages import entry, text
from intake.records import Event
from intake.report_ports import ReportFilter
from storage.sql.reports import SqlReports
from storage.sql.store import SqlStore
from tousu import cli_text
from tousu.bootstrap import build_runtime
from tousu.config import Settings
from tousu.console import reports_text
from tousu.console.ledger_files import csv_lines, read_table, record, xlsx_bytes

ACTOR = "cli"


def register(subparsers: Any) -> None:
    """Add `customers import` and `ledger export` to the `tousu` sub-parsers."""
    reports_text.register_catalogue()
    cli_text.register_catalogue()
    customers = subparsers.add_parser("customers", help="customer list maintenance")
    customer_commands = customers.add_subparsers(dest="customers_command", required=True, metavar="ACTION")
    load = customer_commands.add_parser("import", help="import customers from a CSV or XLSX file")
    load.add_argument("file", type=Path)
    load.set_defaults(run=_import)

    ledger = subparsers.add_parser("ledger", help="the complaint ledger (台账)")
    ledger_commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    export = ledger_commands.add_parser("export", help="write the ledger to a .xlsx or .csv file")
    export.add_argument("file", type=Path, help="output file; .csv writes CSV (UTF-8 with BOM), else .xlsx")
    export.add_argument("--from", dest="first", help="first local day, YYYY-MM-DD")
    export.add_argument("--to", dest="last", help="last local day, YYYY-MM-DD (inclusive)")
    export.add_argument("--team", help="only this team")
    export.add_argument("--show-phones", action="store_true", help="phones in clear (default: masked)")
    export.set_defaults(run=_export)


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    data = _read(args.file)
    rows = read_table(args.file.name, data)
    runtime = await build_runtime(settings)
    try:
        report = await import_customers(
            runtime.store, rows, clock=runtime.clock, actor=ACTOR, timezone=settings.timezone
        )
    finally:
        await runtime.close()
    print(
        text(
            "import.result",
            settings.locale,
            created=report.created,
            updated=report.updated,
            rejected=len(report.rejected),
        )
    )
    for rejection in report.rejected:
        print(f"{rejection.line}\t{rejection.text(settings.locale)}")
    return 0 if report.accepted or not report.rejected else 1


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.timezone)
    query = ReportFilter(
        received_from=_start(_day(args.first, "--from"), zone),
        received_to=_start(_next(_day(args.last, "--to")), zone),
        team=args.team or None,
    )
    runtime = await build_runtime(settings)
    try:
        store = runtime.store
        if not isinstance(store, SqlStore):
            raise InvalidInput(entry("cli.ledger.needs_sql"))
        reports = SqlReports.for_store(store)
        now = runtime.clock.now()
        records = [
            record(row, zone, settings.locale, args.show_phones) async for row in reports.ledger_rows(query, now)
        ]
        if args.file.suffix.lower() == ".csv":
            body = "".join(csv_lines(records, settings.locale)).encode("utf-8")
        else:
            body = await asyncio.to_thread(xlsx_bytes, records, settings.locale)
        _write(args.file, body)
        async with store.transaction() as tx:
            await tx.audit.append(
                Event(
                    ACTOR, "ledger.exported", now, data={"format": args.file.suffix.lstrip("."), "rows": len(records)}
                )
            )
        await reports.close()
    finally:
        await runtime.close()
    print(text("cli.ledger.exported", settings.locale, count=len(records), path=args.file))
    return 0


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(entry("cli.cannot_read", path=str(path), error=error.strerror), field="file") from error


def _write(path: Path, body: bytes) -> None:
    try:
        path.write_bytes(body)
    except OSError as error:
        raise InvalidInput(entry("cli.cannot_write", path=str(path), error=error.strerror), field="file") from error


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput(entry("cli.bad_day", option=name), field=name) from error


def _next(day: date | None) -> date | None:
    return None if day is None else day + timedelta(days=1)


def _start(day: date | None, zone: ZoneInfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=zone)
