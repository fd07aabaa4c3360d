"""Customer import: rows of a spreadsheet (name, phone, address, tier, order count, first
service date) checked one by one, then created or updated through the `CustomerDirectory`
(which encrypts the personal data; nothing is stored in clear).

A row is rejected, with its reason, for a missing name, a missing or malformed phone, an
unknown tier, a bad order count or date, or a phone already seen earlier in the file. A
row whose phone belongs to a known customer updates that customer. Reading the file
(CSV or XLSX) is the caller's job: rows arrive here as mappings of field → raw value.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from intake.errors import InvalidInput
from intake.messages import register, text
from intake.ports import Clock, Store
from intake.records import Customer, Event, Tier

FIELDS = ("name", "phone", "address", "tier", "order_count", "first_service")
REQUIRED = ("name", "phone")

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名", "客户", "客户姓名", "客户名称", "名字"),
    "phone": ("phone", "mobile", "电话", "手机", "手机号", "手机号码", "联系电话", "电话号码"),
    "address": ("address", "地址", "住址", "服务地址", "客户地址"),
    "tier": ("tier", "level", "等级", "客户等级", "级别", "会员等级", "客户类型"),
    "order_count": ("order_count", "orders", "订单数", "订单数量", "下单次数", "服务次数"),
    "first_service": ("first_service", "first_service_at", "首次服务", "首次服务日期", "首次服务时间"),
}

TIER_ALIASES: dict[str, Tier] = {
    "vip": Tier.VIP,
    "贵宾": Tier.VIP,
    "vip客户": Tier.VIP,
    "regular": Tier.REGULAR,
    "老客户": Tier.REGULAR,
    "普通": Tier.REGULAR,
    "普通客户": Tier.REGULAR,
    "常规": Tier.REGULAR,
    "new": Tier.NEW,
    "新客户": Tier.NEW,
    "新客": Tier.NEW,
}

MAX_ROWS = 50_000
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_PHONE_NOISE = re.compile(r"[\s\-()（）]+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d")


class RejectReason(StrEnum):
    """Why a row was not imported."""

    MISSING_NAME = "missing_name"
    MISSING_PHONE = "missing_phone"
    BAD_PHONE = "bad_phone"
    UNKNOWN_TIER = "unknown_tier"
    BAD_ORDER_COUNT = "bad_order_count"
    BAD_DATE = "bad_date"
    DUPLICATE = "duplicate"


MESSAGES = {
    "zh": {
        "import.reject.missing_name": "缺少姓名",
        "import.reject.missing_phone": "缺少电话",
        "import.reject.bad_phone": "电话号码格式不正确：{value}",
        "import.reject.unknown_tier": "未知的客户等级：{value}（可用：VIP、老客户、新客户）",
        "import.reject.bad_order_count": "订单数不是非负整数：{value}",
        "import.reject.bad_date": "首次服务日期无法识别：{value}（例：2026-11-01）",
        "import.reject.duplicate": "与第 {value} 行电话重复",
        "import.error.no_rows": "文件中没有数据行",
        "import.error.missing_columns": (
            "缺少必需的列：{columns}（表头示例：姓名, 电话, 地址, 等级, 订单数, 首次服务日期）"
        ),
        "import.error.too_many_rows": "行数过多（上限 {limit} 行），请分批导入",
    },
    "en": {
        "import.reject.missing_name": "Name is missing",
        "import.reject.missing_phone": "Phone is missing",
        "import.reject.bad_phone": "Not a valid phone number: {value}",
        "import.reject.unknown_tier": "Unknown tier: {value} (use vip, regular or new)",
        "import.reject.bad_order_count": "Order count is not a whole number ≥ 0: {value}",
        "import.reject.bad_date": "First service date not understood: {value} (e.g. 2026-11-01)",
        "import.reject.duplicate": "Same phone as row {value}",
        "import.error.no_rows": "The file has no data rows",
        "import.error.missing_columns": (
            "Required columns missing: {columns} (headers: name, phone, address, tier, order_count, first_service)"
        ),
        "import.error.too_many_rows": "Too many rows (limit {limit}); import in parts",
    },
}
for _locale, _entries in MESSAGES.items():
    register(_locale, _entries)


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """One valid row, normalised."""

    line: int
    name: str
    phone: str
    address: str | None
    tier: Tier
    order_count: int
    first_service_at: datetime | None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported: its line in the file (header is line 1) and why."""

    line: int
    reason: RejectReason
    value: str = ""

    def text(self, locale: str | None = None) -> str:
        """The reason in words."""
        return text(f"import.reject.{self.reason}", locale, value=self.value)


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Rows created or updated."""
        return self.created + self.updated


def map_headers(headers: Iterable[Any]) -> dict[int, str]:
    """Column index → field for the recognised headers (Chinese or English, any case).

    `InvalidInput` when the name or phone column is missing.
    """
    lookup = {alias.lower(): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        key = str(header or "").strip().lstrip("\ufeff").lower().replace(" ", "")
        found = lookup.get(key)
        if found is not None and found not in mapping.values():
            mapping[index] = found
    missing = [name for name in REQUIRED if name not in mapping.values()]
    if missing:
        labels = ", ".join(HEADER_ALIASES[name][1] + "/" + name for name in missing)
        raise InvalidInput(text("import.error.missing_columns", None, columns=labels), field="header")
    return mapping


def normalize_phone(raw: str) -> str | None:
    """A Chinese mobile (11 digits) or landline (area code + number) as digits, else None."""
    digits = _PHONE_NOISE.sub("", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def check_rows(
    rows: Iterable[Mapping[str, Any]], timezone: str = "Asia/Shanghai"
) -> tuple[list[CustomerRow], list[Rejection]]:
    """Validate rows (line numbers start at 2, after the header); blank rows are skipped."""
    zone = ZoneInfo(timezone)
    good: list[CustomerRow] = []
    rejected: list[Rejection] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if line - 1 > MAX_ROWS:
            raise InvalidInput(text("import.error.too_many_rows", None, limit=MAX_ROWS), limit=MAX_ROWS)
        values = {name: _clean(row.get(name)) for name in FIELDS}
        if not any(values.values()):
            continue
        outcome = _check_row(line, values, row, zone)
        if isinstance(outcome, Rejection):
            rejected.append(outcome)
            continue
        if outcome.phone in seen:
            rejected.append(Rejection(line, RejectReason.DUPLICATE, str(seen[outcome.phone])))
            continue
        seen[outcome.phone] = line
        good.append(outcome)
    return good, rejected


def _check_row(line: int, values: dict[str, str], raw: Mapping[str, Any], zone: ZoneInfo) -> CustomerRow | Rejection:
    if not values["name"]:
        return Rejection(line, RejectReason.MISSING_NAME)
    if not values["phone"]:
        return Rejection(line, RejectReason.MISSING_PHONE)
    phone = normalize_phone(_phone_text(raw.get("phone"), values["phone"]))
    if phone is None:
        return Rejection(line, RejectReason.BAD_PHONE, _short(values["phone"]))
    tier = _tier(values["tier"])
    if tier is None:
        return Rejection(line, RejectReason.UNKNOWN_TIER, _short(values["tier"]))
    orders = _order_count(raw.get("order_count"), values["order_count"])
    if orders is None:
        return Rejection(line, RejectReason.BAD_ORDER_COUNT, _short(values["order_count"]))
    first: datetime | None = None
    if values["first_service"]:
        first = _date(raw.get("first_service"), values["first_service"], zone)
        if first is None:
            return Rejection(line, RejectReason.BAD_DATE, _short(values["first_service"]))
    if not values["tier"]:
        tier = Tier.REGULAR if orders > 0 else Tier.NEW
    return CustomerRow(line, values["name"], phone, values["address"] or None, tier, orders, first)


async def import_customers(
    store: Store,
    rows: Iterable[Mapping[str, Any]],
    *,
    clock: Clock,
    actor: str,
    timezone: str = "Asia/Shanghai",
    batch: int = 500,
) -> ImportReport:
    """Check `rows`, then create or update the customers (a transaction per `batch` rows).

    A known phone updates that customer's name, address, tier and order count (and the
    first service date when given); the audit trail records the counts, never the data.
    """
    good, rejected = check_rows(rows, timezone)
    report = ImportReport(rejected=rejected)
    for start in range(0, len(good), max(batch, 1)):
        async with store.transaction() as tx:
            for row in good[start : start + max(batch, 1)]:
                existing = await tx.customers.find_by_phone(row.phone)
                if existing is None:
                    await tx.customers.add(
                        Customer(
                            id=str(uuid.uuid4()),
                            name=row.name,
                            phone=row.phone,
                            address=row.address,
                            tier=row.tier,
                            order_count=row.order_count,
                            created_at=clock.now(),
                            first_service_at=row.first_service_at,
                        )
                    )
                    report.created += 1
                    continue
                existing.name = row.name
                existing.address = row.address or existing.address
                existing.tier = row.tier
                existing.order_count = row.order_count
                existing.first_service_at = row.first_service_at or existing.first_service_at
                await tx.customers.update(existing)
                report.updated += 1
    async with store.transaction() as tx:
        await tx.audit.append(
            Event(
                actor,
                "customers.imported",
                clock.now(),
                data={"created": report.created, "updated": report.updated, "rejected": len(report.rejected)},
            )
        )
    return report


# ---------------------------------------------------------------------- cell values


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _phone_text(raw: Any, cleaned: str) -> str:
    """Spreadsheets keep long numbers as numbers (13800138000.0): read them as digits."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        return str(int(raw))
    return cleaned


def _tier(value: str) -> Tier | None:
    if not value:
        return Tier.NEW  # replaced by the order count rule in _check_row
    return TIER_ALIASES.get(value.strip().lower().replace(" ", ""))


def _order_count(raw: Any, value: str) -> int | None:
    if not value:
        return 0
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return int(raw) if float(raw).is_integer() and raw >= 0 else None
    return int(value) if value.isdigit() else None


def _date(raw: Any, value: str, zone: ZoneInfo) -> datetime | None:
    moment: datetime | None = None
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime.combine(raw, time())
    else:
        for pattern in _DATE_FORMATS:
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
