"""Customer import (客户导入): a CSV or XLSX of name, phone, address, tier, order count
and first service date; good rows create or update customers through the encrypted
CustomerDirectory, rejected rows are listed with their line and reason."""

from __future__ import annotations

from aiohttp import web

from intake.customer_import import ImportReport, import_customers
from intake.errors import InvalidInput
from intake.messages import text
from tousu.console import reports_text
from tousu.console.ledger_files import read_table
from tousu.console.pages import Page, action, ctx, render

reports_text.register_catalogue()

MAX_IMPORT_BYTES = 5 * 1024 * 1024


@action("customers:import")
async def import_form(request: web.Request) -> web.StreamResponse:
    """The customer import form."""
    return render(request, "import.html", report=None)


@action("customers:import")
async def import_upload(request: web.Request) -> web.StreamResponse:
    """Read the uploaded CSV or XLSX, import the good rows, report the rejected ones."""
    context = ctx(request)
    filename, data = await _uploaded_file(request)
    rows = read_table(filename, data)
    report: ImportReport = await import_customers(
        context.runtime.store,
        rows,
        clock=context.runtime.clock,
        actor=context.user.actor,
        timezone=context.console.zone.key,
    )
    status = 200 if report.accepted or not report.rejected else 422
    return render(request, "import.html", status=status, report=report)


async def _uploaded_file(request: web.Request) -> tuple[str, bytes]:
    form = await request.post()
    field = form.get("file")
    if field is None or isinstance(field, str | bytes | bytearray):
        raise InvalidInput(text("import.no_file", ctx(request).locale), field="file")
    data = field.file.read(MAX_IMPORT_BYTES + 1)
    if not data:
        raise InvalidInput(text("import.no_file", ctx(request).locale), field="file")
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"file: larger than {MAX_IMPORT_BYTES} bytes", field="file")
    return field.filename or "", data


PAGE = Page(
    key="import",
    title="console.nav.import",
    path="/customers/import",
    permission="customers:import",
    order=65,
    routes=[web.get("/customers/import", import_form), web.post("/customers/import", import_upload)],
)
