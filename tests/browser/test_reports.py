"""Dashboard, customers at risk, ledger and customer import in a real browser: charts are drawn,
the ledger downloads as an .xlsx that opens with the record form's headers, an import reports
its rejected rows. A screenshot of each page goes to the test's folder."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.test_console import login
from tests.e2e.conftest import Server

pytestmark = pytest.mark.browser


def test_manager_pages_download_and_import(chromium: Any, served: Server, shots: Path, tmp_path: Path) -> None:
    made = served.cli("demo")
    assert made.returncode == 0, made.stderr
    page = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", accept_downloads=True)
    manager = page.new_page()
    login(manager, served, "boss")

    manager.goto(f"{served.url}/console/dashboard")
    manager.wait_for_selector("svg.chart")
    assert manager.locator("svg.chart[role=img]").count() >= 7
    assert "每日投诉量（按类别）" in manager.content()
    manager.screenshot(path=str(shots / "20-dashboard.png"), full_page=True)

    manager.goto(f"{served.url}/console/risk")
    manager.wait_for_selector("h1")
    manager.screenshot(path=str(shots / "21-risk.png"), full_page=True)

    manager.goto(f"{served.url}/console/ledger")
    manager.wait_for_selector("table.ledger-table")
    rows_on_page = manager.locator("table.ledger-table tbody tr").count()
    assert rows_on_page > 0
    manager.screenshot(path=str(shots / "22-ledger.png"), full_page=True)
    with manager.expect_download() as download_info:
        manager.click("a.download[href*='export.xlsx']")
    saved = tmp_path / "ledger.xlsx"
    download_info.value.save_as(saved)
    sheet = load_workbook(saved).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:3] == ("投诉编号", "受理时间", "渠道")
    assert len(table) - 1 == rows_on_page
    assert all(re.fullmatch(r"TS-\d{8}-\d{6}", str(r[0])) for r in table[1:])
    with manager.expect_download() as download_info:
        manager.click("a.download[href*='export.csv']")
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == len(table)

    upload = tmp_path / "客户名单.csv"
    upload.write_text("姓名,电话,等级,订单数\n张丽,13800138000,VIP,5\n李雷,12345,老客户,1\n", encoding="utf-8-sig")
    manager.goto(f"{served.url}/console/customers/import")
    manager.set_input_files("input[name=file]", str(upload))
    manager.click("section.import form button[type=submit]")
    manager.wait_for_selector("#import-result")
    assert "新建 1 位" in manager.inner_text("#import-result")
    assert "电话号码格式不正确：12345" in manager.inner_text("table.rejected")
    manager.screenshot(path=str(shots / "23-import.png"), full_page=True)
    page.close()
