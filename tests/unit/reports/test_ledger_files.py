"""Ledger files: the .xlsx opens with openpyxl with the record form's Chinese headers and the
rows; the CSV starts with a BOM; formulas are defused; customer lists are read from CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from intake.errors import InvalidInput
from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Priority,
    Severity,
    SlaDeadlines,
    Status,
    Tier,
)
from intake.report_ports import LedgerRow, SlaState
from tousu.console.ledger_files import (
    BOM,
    csv_lines,
    headers,
    mask_phone,
    read_table,
    record,
    xlsx_bytes,
)

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
EXPECTED_HEADERS = [
    "投诉编号", "受理时间", "渠道", "来源", "客户", "客户等级", "联系电话", "投诉内容", "发生时间", "订单号",
    "服务人员", "类别", "严重程度", "优先级", "处理团队", "处理人", "状态", "SLA 状态", "首次响应时限",
    "首次响应时间", "首次反馈时限", "处理报告时限", "解决时间", "处理结果", "赔偿", "客户反馈", "满意度", "重复投诉",
]  # fmt: skip


def row(number: str, content: str = "阿姨迟到了", **changes: object) -> LedgerRow:
    complaint = Complaint(
        number=number,
        customer_id="c1",
        channel=ChannelName.WECHAT,
        conversation=ConversationRef(ChannelName.WECHAT, "o1"),
        received_at=T0,
        content=content,
        category=Category.PUNCTUALITY,
        severity=Severity.SERIOUS,
        priority=Priority.HIGH,
        confidence=0.9,
        status=Status.IN_PROGRESS,
        team="customer_service",
        assignee="zhang.min",
        sla=SlaDeadlines(first_response_due=T0 + timedelta(minutes=30)),
        worker_ref="王阿姨",
        compensation="退款 50 元",
        satisfaction=2,
    )
    for name, value in changes.items():
        setattr(complaint, name, value)
    return LedgerRow(complaint, "张丽", "13800138000", Tier.VIP, SlaState.OVERDUE)


def test_xlsx_round_trip_with_chinese_headers_and_masked_phone() -> None:
    rows = [row("TS-20261102-000002"), row("TS-20261102-000001", content='=HYPERLINK("http://x","点我")')]
    data = xlsx_bytes((record(r, ZONE, "zh", show_phone=False) for r in rows), "zh")
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None and sheet.title == "投诉台账"
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == EXPECTED_HEADERS
    assert len(values) == 3
    first = dict(zip(EXPECTED_HEADERS, values[1], strict=True))
    assert first["投诉编号"] == "TS-20261102-000002"
    assert first["受理时间"] == datetime(2026, 11, 2, 9, 30)  # local time, a real date cell
    assert first["渠道"] == "微信公众号"
    assert first["客户"] == "张丽" and first["客户等级"] == "VIP"
    assert first["联系电话"] == "138****8000"
    assert (first["类别"], first["严重程度"], first["优先级"], first["状态"]) == ("守时", "严重", "高", "处理中")
    assert (first["处理团队"], first["处理人"], first["服务人员"]) == ("customer_service", "zhang.min", "王阿姨")
    assert first["首次响应时限"] == datetime(2026, 11, 2, 10, 0)
    assert first["解决时间"] is None
    assert (first["赔偿"], first["满意度"], first["SLA 状态"]) == ("退款 50 元", 2, "已超时")
    # A formula typed by a customer stays text.
    second = dict(zip(EXPECTED_HEADERS, values[2], strict=True))
    assert second["投诉内容"] == '\'=HYPERLINK("http://x","点我")'
    assert sheet["H3"].data_type == "s"


def test_xlsx_shows_the_phone_when_allowed_and_drops_control_characters() -> None:
    data = xlsx_bytes([record(row("TS-1", content="坏\x00字符\x1b"), ZONE, "zh", show_phone=True)], "zh")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet["G2"].value == "13800138000"
    assert sheet["H2"].value == "坏字符"


def test_english_headers() -> None:
    assert headers("en")[:3] == ["Number", "Received", "Channel"]


def test_csv_has_a_bom_and_reads_back() -> None:
    text = "".join(csv_lines([record(row("TS-1", content="-1+1, 含逗号\n换行"), ZONE, "zh", False)], "zh"))
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert text.startswith(BOM + "投诉编号,受理时间,")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == EXPECTED_HEADERS
    line = dict(zip(EXPECTED_HEADERS, parsed[1], strict=True))
    assert line["受理时间"] == "2026-11-02 09:30"
    assert line["投诉内容"] == "'-1+1, 含逗号\n换行"
    assert line["联系电话"] == "138****8000"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13800138000", "138****8000"), ("01012345678", "010****5678"), ("12345", "*****"), (None, "")],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_read_csv_utf8_and_gbk_with_chinese_headers() -> None:
    body = "姓名,手机号,地址,客户等级,订单数\n张丽,138 0013 8000,朝阳区,VIP,3\n"
    for data in (body.encode("utf-8-sig"), body.encode("utf-8"), body.encode("gbk")):
        rows = read_table("customers.csv", data)
        assert rows == [
            {"name": "张丽", "phone": "138 0013 8000", "address": "朝阳区", "tier": "VIP", "order_count": "3"}
        ]
    semicolons = read_table("c.csv", b"name;phone\nLi;13900139000\n")
    assert semicolons == [{"name": "Li", "phone": "13900139000"}]


def test_read_xlsx_keeps_cell_types() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Phone", "Tier", "Orders", "首次服务日期"])
    sheet.append(["王芳", 13700137000, "老客户", 4, datetime(2026, 10, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_table("list.xlsx", buffer.getvalue())
    assert rows == [
        {
            "name": "王芳",
            "phone": 13700137000,
            "tier": "老客户",
            "order_count": 4,
            "first_service": datetime(2026, 10, 1),
        }
    ]


def test_bad_files_are_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="xlsx"):
        read_table("broken.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidInput, match="csv"):
        read_table("photo.png", b"\x89PNG")
    with pytest.raises(InvalidInput, match="没有数据行"):
        read_table("empty.csv", b"")
    with pytest.raises(InvalidInput, match="缺少必需的列"):
        read_table("nophone.csv", "姓名,地址\n张丽,朝阳\n".encode())
