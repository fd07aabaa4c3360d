"""The ledger (台账) as files: .xlsx (openpyxl) and CSV (UTF-8 with BOM, so Excel reads
Chinese right), and reading customer lists from CSV or XLSX for the import.

Columns follow the complaint record form (投诉处理记录表), headers from the catalogue
(Chinese by default). The phone is masked unless the caller may see it. Every text cell
is guarded against spreadsheet formula injection (a leading = + - @ gets a quote) and
stripped of characters XML cannot hold.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from intake.customer_import import map_headers
from intake.errors import InvalidInput
from intake.messages import label, register, text
from intake.report_ports import LedgerRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class Column:
    """One ledger column: catalogue key of its header, how to get its value, its width."""

    key: str
    value: Callable[[LedgerRow, ZoneInfo, str, bool], Any]
    width: int = 14


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def mask_phone(phone: str | None) -> str:
    """138****8000 for 13800138000; short numbers are masked whole."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


COLUMNS: tuple[Column, ...] = (
    Column("ledger.col.number", lambda r, z, loc, p: r.complaint.number, 20),
    Column("ledger.col.received_at", lambda r, z, loc, p: _local(r.complaint.received_at, z), 17),
    Column("ledger.col.channel", lambda r, z, loc, p: label("channel", r.complaint.channel, loc), 10),
    Column("ledger.col.source", lambda r, z, loc, p: r.complaint.source or ""),
    Column("ledger.col.customer", lambda r, z, loc, p: r.customer_name or "", 12),
    Column("ledger.col.tier", lambda r, z, loc, p: label("tier", r.customer_tier, loc), 8),
    Column("ledger.col.phone", lambda r, z, loc, p: (r.customer_phone or "") if p else mask_phone(r.customer_phone)),
    Column("ledger.col.content", lambda r, z, loc, p: r.complaint.content, 48),
    Column("ledger.col.occurred_at", lambda r, z, loc, p: r.complaint.occurred_at or ""),
    Column("ledger.col.order_ref", lambda r, z, loc, p: r.complaint.order_ref or ""),
    Column("ledger.col.worker_ref", lambda r, z, loc, p: r.complaint.worker_ref or "", 12),
    Column("ledger.col.category", lambda r, z, loc, p: label("category", r.complaint.category, loc), 10),
    Column("ledger.col.severity", lambda r, z, loc, p: label("severity", r.complaint.severity, loc), 8),
    Column("ledger.col.priority", lambda r, z, loc, p: label("priority", r.complaint.priority, loc), 8),
    Column("ledger.col.team", lambda r, z, loc, p: r.complaint.team or ""),
    Column("ledger.col.assignee", lambda r, z, loc, p: r.complaint.assignee or ""),
    Column("ledger.col.status", lambda r, z, loc, p: label("status", r.complaint.status, loc), 10),
    Column("ledger.col.sla_state", lambda r, z, loc, p: text(f"ledger.sla.{r.sla_state}", loc), 10),
    Column("ledger.col.first_response_due", lambda r, z, loc, p: _local(r.complaint.sla.first_response_due, z), 17),
    Column("ledger.col.first_response_at", lambda r, z, loc, p: _local(r.complaint.sla.first_response_at, z), 17),
    Column("ledger.col.first_feedback_due", lambda r, z, loc, p: _local(r.complaint.sla.first_feedback_due, z), 17),
    Column("ledger.col.report_due", lambda r, z, loc, p: _local(r.complaint.sla.report_due, z), 17),
    Column("ledger.col.resolved_at", lambda r, z, loc, p: _local(r.complaint.sla.resolved_at, z), 17),
    Column("ledger.col.resolution", lambda r, z, loc, p: r.complaint.resolution or "", 30),
    Column("ledger.col.compensation", lambda r, z, loc, p: r.complaint.compensation or ""),
    Column("ledger.col.feedback", lambda r, z, loc, p: r.complaint.feedback or "", 24),
    Column("ledger.col.satisfaction", lambda r, z, loc, p: r.complaint.satisfaction, 8),
    Column("ledger.col.repeat_of", lambda r, z, loc, p: r.complaint.repeat_of or "", 20),
)

HEADERS = {
    "zh": {
        "ledger.col.number": "投诉编号",
        "ledger.col.received_at": "受理时间",
        "ledger.col.channel": "渠道",
        "ledger.col.source": "来源",
        "ledger.col.customer": "客户",
        "ledger.col.tier": "客户等级",
        "ledger.col.phone": "联系电话",
        "ledger.col.content": "投诉内容",
        "ledger.col.occurred_at": "发生时间",
        "ledger.col.order_ref": "订单号",
        "ledger.col.worker_ref": "服务人员",
        "ledger.col.category": "类别",
        "ledger.col.severity": "严重程度",
        "ledger.col.priority": "优先级",
        "ledger.col.team": "处理团队",
        "ledger.col.assignee": "处理人",
        "ledger.col.status": "状态",
        "ledger.col.sla_state": "SLA 状态",
        "ledger.col.first_response_due": "首次响应时限",
        "ledger.col.first_response_at": "首次响应时间",
        "ledger.col.first_feedback_due": "首次反馈时限",
        "ledger.col.report_due": "处理报告时限",
        "ledger.col.resolved_at": "解决时间",
        "ledger.col.resolution": "处理结果",
        "ledger.col.compensation": "赔偿",
        "ledger.col.feedback": "客户反馈",
        "ledger.col.satisfaction": "满意度",
        "ledger.col.repeat_of": "重复投诉",
        "ledger.sla.overdue": "已超时",
        "ledger.sla.due_soon": "即将超时",
        "ledger.sla.on_track": "正常",
        "ledger.sla.met": "已达成",
        "ledger.sla.none": "无时限",
        "ledger.sheet": "投诉台账",
    },
    "en": {
        "ledger.col.number": "Number",
        "ledger.col.received_at": "Received",
        "ledger.col.channel": "Channel",
        "ledger.col.source": "Source",
        "ledger.col.customer": "Customer",
        "ledger.col.tier": "Tier",
        "ledger.col.phone": "Phone",
        "ledger.col.content": "Complaint",
        "ledger.col.occurred_at": "Occurred",
        "ledger.col.order_ref": "Order",
        "ledger.col.worker_ref": "Worker",
        "ledger.col.category": "Category",
        "ledger.col.severity": "Severity",
        "ledger.col.priority": "Priority",
        "ledger.col.team": "Team",
        "ledger.col.assignee": "Agent",
        "ledger.col.status": "Status",
        "ledger.col.sla_state": "SLA state",
        "ledger.col.first_response_due": "First response due",
        "ledger.col.first_response_at": "First response at",
        "ledger.col.first_feedback_due": "First feedback due",
        "ledger.col.report_due": "Report due",
        "ledger.col.resolved_at": "Resolved at",
        "ledger.col.resolution": "Resolution",
        "ledger.col.compensation": "Compensation",
        "ledger.col.feedback": "Customer feedback",
        "ledger.col.satisfaction": "Satisfaction",
        "ledger.col.repeat_of": "Repeat of",
        "ledger.sla.overdue": "Overdue",
        "ledger.sla.due_soon": "Due soon",
        "ledger.sla.on_track": "On track",
        "ledger.sla.met": "Met",
        "ledger.sla.none": "No deadline",
        "ledger.sheet": "Complaint ledger",
    },
}
for _locale, _entries in HEADERS.items():
    register(_locale, _entries)


def headers(locale: str) -> list[str]:
    """The header line in `locale`."""
    return [text(column.key, locale) for column in COLUMNS]


def record(row: LedgerRow, zone: ZoneInfo, locale: str, show_phone: bool) -> list[Any]:
    """The values of one ledger line (times as local naive datetimes, texts guarded)."""
    return [_guard(column.value(row, zone, locale, show_phone)) for column in COLUMNS]


def _guard(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def xlsx_bytes(records: Iterable[list[Any]], locale: str) -> bytes:
    """A workbook with one sheet: bold header row, frozen, filters on."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(text("ledger.sheet", locale))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS):
        sheet.column_dimensions[_letter(index)].width = column.width
    bold = Font(bold=True)
    header_cells = []
    for title in headers(locale):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for values in records:
        # Plain values keep write-only mode fast; texts are already guarded against formulas,
        # dates get openpyxl's default date format.
        sheet.append(values)
        count += 1
    sheet.auto_filter.ref = f"A1:{_letter(len(COLUMNS) - 1)}{count + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_lines(records: Iterable[list[Any]], locale: str) -> Iterator[str]:
    """The CSV text in pieces: BOM and header first, then one line per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(locale))
    yield BOM + buffer.getvalue()
    for values in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(v) for v in values])
        yield buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# ---------------------------------------------------------------------- reading imports


def read_table(filename: str, data: bytes) -> list[dict[str, Any]]:
    """Rows of a CSV or XLSX file as field → raw value, fields named by `map_headers`.

    XLSX: the first sheet. CSV: UTF-8 (with or without BOM) or GB18030 (what Excel saves
    on Chinese Windows); comma, semicolon or tab separated. `InvalidInput` for anything else.
    """
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        table = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name:
        table = _csv_rows(data)
    else:
        raise InvalidInput(text("import.error.file_type", None), field="file")
    rows = iter(table)
    header = next(rows, None)
    if header is None:
        raise InvalidInput(text("import.error.no_rows", None), field="file")
    mapping = map_headers(header)
    return [{name: cells[i] if i < len(cells) else None for i, name in mapping.items()} for cells in rows]


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise InvalidInput(text("import.error.bad_xlsx", None), field="file") from error
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput(text("import.error.encoding", None), field="file")
    if "\x00" in decoded:
        raise InvalidInput(text("import.error.encoding", None), field="file")
    try:
        dialect: Any = csv.Sniffer().sniff(decoded[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(decoded), dialect)]


register(
    "zh",
    {
        "import.error.file_type": "只支持 .csv 或 .xlsx 文件",
        "import.error.bad_xlsx": "无法读取该 Excel 文件（需要 .xlsx 格式）",
        "import.error.encoding": "无法识别文件编码（请保存为 UTF-8 或 GBK 编码的 CSV）",
    },
)
register(
    "en",
    {
        "import.error.file_type": "Only .csv or .xlsx files are accepted",
        "import.error.bad_xlsx": "This Excel file cannot be read (an .xlsx is needed)",
        "import.error.encoding": "Unknown file encoding (save the CSV as UTF-8 or GBK)",
    },
)
