"""Dashboard, customers at risk, ledger (table, .xlsx, CSV) and customer import in the console:
who may (200) and who gets 403, the lead's team scope, masked phones, downloads that open,
imports with good and bad rows, escaping of customer text in tables and charts."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from storage.sql.schema import audit_events
from storage.sql.store import SqlStore
from tests.integration.console.conftest import Browser, Console

ROLES = ("agent", "other_agent", "lead", "manager", "operator", "admin")
VIEWERS = {"lead", "manager"}
IMPORTERS = {"manager", "admin"}
PAGES = {
    "/console/dashboard": VIEWERS,
    "/console/risk": VIEWERS,
    "/console/ledger": VIEWERS,
    "/console/ledger/export.xlsx": VIEWERS,
    "/console/ledger/export.csv": VIEWERS,
    "/console/customers/import": IMPORTERS,
}
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">阿姨打碎了花瓶'
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
CSV_BODY = (
    "姓名,电话,地址,等级,订单数\n张丽,13800138000,朝阳区,VIP,5\n,13700137000,,,\n李雷,123,,,\n"
    "韩梅梅,13600136000,,钻石,\n"
)


async def _seed(console: Console) -> dict[str, str]:
    """Two complaints of one customer in customer_service, one in dispatch."""
    first = await console.complaint("阿姨迟到了两个小时", address="repeat-customer")
    second = await console.complaint("阿姨又迟到了，第二次了", address="repeat-customer")
    other = await console.complaint(XSS)
    if console.runtime.routing is not None:  # the router's follow-ups save the complaint: let them finish first
        await console.runtime.routing.settle()
    await console.assign(first, "customer_service", "zhang.min")
    await console.assign(second, "customer_service", "zhang.min")
    await console.assign(other, "dispatch", "wu.lei")
    async with console.runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(other, with_transcript=False)
        assert complaint is not None
        complaint.worker_ref = "<b>王阿姨</b>"
        await tx.complaints.save(complaint)
    return {"first": first, "second": second, "other": other}


async def _upload(browser: Browser, data: bytes, filename: str, *, csrf: bool = True) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    if csrf:
        form.add_field("csrf", browser.csrf)
    form.add_field("file", data, filename=filename, content_type="text/csv")
    return await browser.client.post("/console/customers/import", data=form, allow_redirects=False)


@pytest.mark.parametrize("role", ROLES)
async def test_role_table(console: Console, role: str) -> None:
    await _seed(console)
    browser = console.browsers[role]
    for path, allowed in PAGES.items():
        response = await browser.get(path)
        expected = 200 if role in allowed else 403
        assert response.status == expected, (role, path, response.status)
    upload = await _upload(browser, CSV_BODY.encode(), "c.csv")
    assert upload.status == (200 if role in IMPORTERS else 403), (role, upload.status)


async def test_logged_out_visitors_go_to_login(console: Console) -> None:
    anonymous = await console.new_browser()
    for path in PAGES:
        response = await anonymous.get(path)
        assert response.status == 303 and "/console/login" in response.headers["Location"], path


async def test_dashboard_draws_accessible_escaped_charts(console: Console) -> None:
    await _seed(console)
    page = await console.browsers["manager"].get("/console/dashboard")
    html = await page.text()
    assert page.status == 200
    for part in (
        "统计看板",
        "每日投诉量（按类别）",
        "SLA 达成情况",
        "满意度分布",
        "按服务人员（阿姨）",
        "首次服务后多久投诉",
    ):
        assert part in html, part
    charts = SVG.findall(html)
    assert len(charts) >= 7
    for chart in charts:
        root = ET.fromstring(chart)  # noqa: S314 - our own page
        assert root.get("role") == "img"
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
    assert "<b>王阿姨</b>" not in html and "&lt;b&gt;王阿姨&lt;/b&gt;" in html
    english = await (await console.browsers["manager"].get("/console/dashboard?lang=en")).text()
    assert "Complaints per day by category" in english


async def test_lead_sees_only_their_team(console: Console) -> None:
    numbers = await _seed(console)
    lead = console.browsers["lead"]
    html = await (await lead.get("/console/ledger?team=dispatch")).text()
    assert numbers["first"] in html and numbers["second"] in html
    assert numbers["other"] not in html
    assert "客服中心" in html
    board = await (await lead.get("/console/dashboard")).text()
    assert "仅显示本组：客服中心" in board
    workbook = await (await lead.get("/console/ledger/export.xlsx")).read()
    sheet = load_workbook(io.BytesIO(workbook)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {numbers["first"], numbers["second"]}
    phone = rows[0].index("联系电话")
    assert {r[phone] for r in rows[1:]} == {"139****9000"}


async def test_ledger_table_filters_pages_and_escapes(console: Console) -> None:
    numbers = await _seed(console)
    manager = console.browsers["manager"]
    html = await (await manager.get("/console/ledger")).text()
    assert all(n in html for n in numbers.values())
    assert "<script>window.__pwned" not in html and "&lt;script&gt;" in html
    assert "13900139000" in html  # a manager sees phones
    dispatch = await (await manager.get("/console/ledger?team=dispatch")).text()
    assert numbers["other"] in dispatch and numbers["first"] not in dispatch
    assert "共 1 条" in dispatch
    bad = await manager.get("/console/ledger?from=yesterday")
    assert bad.status == 400
    bad = await manager.get("/console/ledger?sla=late")
    assert bad.status == 400
    wrong_order = await manager.get("/console/ledger?from=2026-12-02&to=2026-12-01")
    assert wrong_order.status == 400


async def test_xlsx_download_opens_with_the_record_form_columns(console: Console) -> None:
    numbers = await _seed(console)
    response = await console.browsers["manager"].get("/console/ledger/export.xlsx")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await response.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    for column in ("投诉编号", "受理时间", "渠道", "客户", "联系电话", "投诉内容", "类别", "严重程度", "优先级",
                   "处理团队", "处理人", "状态", "首次响应时限", "处理结果", "赔偿", "满意度"):  # fmt: skip
        assert column in header, column
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(by_number) == set(numbers.values())
    other = by_number[numbers["other"]]
    assert other["投诉内容"] == XSS
    assert other["处理团队"] == "dispatch" and other["联系电话"] == "13900139000"
    assert other["渠道"] == "网页客服"
    assert "ledger.exported" in await _audit_actions(console)


async def _audit_actions(console: Console) -> set[str]:
    store = console.runtime.store
    assert isinstance(store, SqlStore)
    async with store.engine.connect() as conn:
        return {r[0] for r in await conn.execute(select(audit_events.c.action))}


async def test_csv_download_has_a_bom(console: Console) -> None:
    numbers = await _seed(console)
    response = await console.browsers["manager"].get("/console/ledger/export.csv?team=customer_service")
    body = await response.read()
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["投诉编号", "受理时间", "渠道"]
    assert {r[0] for r in rows[1:]} == {numbers["first"], numbers["second"]}


async def test_risk_lists_the_repeat_customer_with_a_link_to_act(console: Console) -> None:
    numbers = await _seed(console)
    html = await (await console.browsers["manager"].get("/console/risk")).text()
    # console.complaint gives every complainant the same phone: one customer, three open complaints.
    assert "重复投诉：3 张投诉单" in html
    assert re.search(r'href="/console/tickets/TS-\d{8}-\d{6}"', html)
    assert "风险分" in html
    lead = await (await console.browsers["lead"].get("/console/risk")).text()
    assert f"重复投诉：2 张投诉单（{numbers['first']}, {numbers['second']}）" in lead
    assert numbers["other"] not in lead


async def test_import_reports_good_and_bad_rows(console: Console) -> None:
    manager = console.browsers["manager"]
    response = await _upload(manager, CSV_BODY.encode("utf-8-sig"), "客户.csv")
    html = await response.text()
    assert response.status == 200
    assert "导入完成：新建 1 位，更新 0 位，拒绝 3 行" in html
    for reason in ("缺少姓名", "电话号码格式不正确：123", "未知的客户等级：钻石"):
        assert reason in html, reason
    async with console.runtime.store.transaction() as tx:
        customer = await tx.customers.find_by_phone("13800138000")
    assert customer is not None and customer.name == "张丽" and customer.order_count == 5
    nothing = await _upload(manager, "姓名,电话\n,\n".encode(), "empty.csv")
    assert nothing.status == 200
    broken = await _upload(manager, b"PK\x03\x04junk", "list.xlsx")
    assert broken.status == 422 and "无法读取该 Excel 文件" in await broken.text()
    no_header = await _upload(manager, "名字?,号码?\n张,1\n".encode(), "x.csv")
    assert no_header.status == 422 and "缺少必需的列" in await no_header.text()
    forged = await _upload(manager, CSV_BODY.encode(), "c.csv", csrf=False)
    assert forged.status == 403
