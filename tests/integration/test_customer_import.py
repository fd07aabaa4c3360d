"""Customer import on SQLite and PostgreSQL: good rows created or updated through the
CustomerDirectory (encrypted), bad rows reported with their reason, nothing stored in clear."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import Workbook
from sqlalchemy import select

from intake.customer_import import RejectReason, import_customers
from intake.records import Customer, Tier
from storage.sql.schema import audit_events, customers
from storage.sql.store import SqlStore
from tousu.console.ledger_files import read_table

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


CSV = """姓名,电话,地址,等级,订单数,首次服务日期
张丽,138-0013-8000,北京市朝阳区建国路1号,VIP,12,2026-01-15
王芳,+86 139 0013 9000,,老客户,3,
,13700137000,无名氏路,VIP,1,
李雷,12345,海淀区,新客户,0,
韩梅梅,13600136000,海淀区,钻石,2,
赵四,13500135000,,,abc,
钱五,13400134000,,,,2026-13-45
张丽（重复）,13800138000,别处,VIP,1,
孙七,,,,,
,,,,,
周八,010-62345678,西城区,新客户,,
"""


async def test_import_csv_good_and_bad_rows(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.customers.add(Customer(id="known", name="老王", phone="13900139000", tier=Tier.NEW, order_count=1))
    report = await import_customers(
        store, read_table("客户.csv", CSV.encode("utf-8-sig")), clock=Clock(), actor="user:boss"
    )

    assert (report.created, report.updated) == (2, 1)
    reasons = {(r.line, r.reason) for r in report.rejected}
    assert reasons == {
        (4, RejectReason.MISSING_NAME),
        (5, RejectReason.BAD_PHONE),
        (6, RejectReason.UNKNOWN_TIER),
        (7, RejectReason.BAD_ORDER_COUNT),
        (8, RejectReason.BAD_DATE),
        (9, RejectReason.DUPLICATE),
        (10, RejectReason.MISSING_PHONE),
    }
    texts = {r.reason: r.text() for r in report.rejected}
    assert texts[RejectReason.UNKNOWN_TIER].startswith("未知的客户等级：钻石")
    assert texts[RejectReason.DUPLICATE] == "与第 2 行电话重复"
    assert texts[RejectReason.BAD_PHONE] == "电话号码格式不正确：12345"

    async with store.transaction() as tx:
        zhang = await tx.customers.find_by_phone("13800138000")
        wang = await tx.customers.find_by_phone("13900139000")
        zhou = await tx.customers.find_by_phone("01062345678")
    assert zhang is not None and (zhang.name, zhang.tier, zhang.order_count) == ("张丽", Tier.VIP, 12)
    assert zhang.address == "北京市朝阳区建国路1号"
    assert zhang.first_service_at == datetime(2026, 1, 14, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    assert zhang.created_at == NOW
    assert (
        wang is not None
        and wang.id == "known"
        and (wang.name, wang.tier, wang.order_count) == ("王芳", Tier.REGULAR, 3)
    )
    assert zhou is not None and zhou.tier == Tier.NEW

    async with store.engine.connect() as conn:
        stored = [tuple(r) for r in await conn.execute(select(customers))]
        audit = [tuple(r) for r in await conn.execute(select(audit_events))]
    dump = repr(stored) + repr(audit)
    for clear in ("张丽", "13800138000", "138-0013-8000", "建国路", "王芳", "13900139000", "62345678"):
        assert clear not in dump
    assert any(r[3] == "customers.imported" for r in audit)


async def test_import_xlsx_with_numeric_phones(store: SqlStore) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "phone", "address", "tier", "order_count", "first_service"])
    sheet.append(["Li Lei", 13300133000, "Room 1", "regular", 5, datetime(2026, 3, 1)])
    sheet.append(["Bad", 1330013, None, "vip", 1, None])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_table("list.xlsx", buffer.getvalue())
    report = await import_customers(store, rows, clock=Clock(), actor="user:root")
    assert report.created == 1
    assert [(r.line, r.reason, r.value) for r in report.rejected] == [(3, RejectReason.BAD_PHONE, "1330013")]
    async with store.transaction() as tx:
        li = await tx.customers.find_by_phone("13300133000")
    assert li is not None and li.order_count == 5 and li.tier == Tier.REGULAR

    again = await import_customers(store, rows, clock=Clock(), actor="user:root")
    assert (again.created, again.updated) == (0, 1)
