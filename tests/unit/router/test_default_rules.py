"""Table tests of every default routing rule shipped in router/rules.toml."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intake.ports import PastComplaint
from intake.records import Category, ChannelName, Priority, Severity, Status, Tier
from router import load_router
from tests.unit.router.helpers import MONDAY_11, FixedClock, Loads, request

OPEN_EARLIER = (PastComplaint("TS-20261120-000007", Status.IN_PROGRESS, MONDAY_11 - timedelta(days=3)),)
REOPENED_TWICE = (PastComplaint("TS-20261101-000003", Status.REOPENED, MONDAY_11 - timedelta(days=22), reopen_count=2),)

C, N, H, U = Category, Priority.NORMAL, Priority.HIGH, Priority.URGENT
SQ = "service_quality"

CASES = [
    # (label, request kwargs, team, priority, notify lead, reason fragment)
    ("booking → dispatch", {"category": C.BOOKING}, "dispatch", N, False, "预约调度 → 调度中心"),
    ("no-show → dispatch", {"category": C.PUNCTUALITY}, "dispatch", N, False, "守时 → 调度中心"),
    (
        "quality → 品质部",
        {"category": C.QUALITY},
        SQ,
        N,
        False,
        "服务质量 → 品质部",
    ),
    (
        "attitude → 品质部",
        {"category": C.ATTITUDE},
        SQ,
        N,
        False,
        "服务态度 → 品质部",
    ),
    ("tools → 品质部", {"category": C.TOOLS}, SQ, N, False, "工具物料 → 品质部"),
    (
        "staff change → 品质部",
        {"category": C.STAFF_CHANGE},
        SQ,
        N,
        False,
        "更换人员 → 品质部",
    ),
    ("billing → 财务部", {"category": C.BILLING}, "finance", N, False, "价格退款 → 财务部"),
    (
        "damage → 品质部 + lead",
        {"category": C.DAMAGE},
        SQ,
        N,
        True,
        "财物损坏 → 立即通知组长",
    ),
    (
        "safety critical → 品质部 + lead",
        {"category": C.SAFETY, "severity": Severity.CRITICAL},
        SQ,
        U,
        True,
        "安全隐私 → 品质部",
    ),
    (
        "other → default team",
        {"category": C.OTHER},
        "customer_service",
        N,
        False,
        "其他 → 客服中心",
    ),
    (
        "serious → lead now",
        {"category": C.BILLING, "severity": Severity.SERIOUS},
        "finance",
        H,
        True,
        "严重 → 立即通知组长",
    ),
    (
        "first complaint → 资深客服",
        {"category": C.BILLING, "history": ()},
        "senior",
        N,
        False,
        "首次投诉 → 资深客服",
    ),
    (
        "VIP → 资深客服",
        {"category": C.QUALITY, "tier": Tier.VIP},
        "senior",
        H,
        False,
        "VIP → 资深客服",
    ),
    (
        "repeat → 管理层",
        {"category": C.QUALITY, "history": OPEN_EARLIER},
        "management",
        H,
        True,
        "重复投诉 TS-20261120-000007 → 管理层",
    ),
    (
        "reopened twice → 管理层 urgent",
        {"category": C.BOOKING, "history": REOPENED_TWICE},
        "management",
        U,
        True,
        "重复投诉 TS-20261101-000003（已重开2次） → 管理层",
    ),
    (
        "damage of a VIP stays with 品质部, priority raised",
        {"category": C.DAMAGE, "tier": Tier.VIP},
        SQ,
        H,
        True,
        "VIP → 优先级高",
    ),
]


@pytest.mark.parametrize(("label", "kwargs", "team", "priority", "lead", "reason"), CASES, ids=[c[0] for c in CASES])
async def test_default_rule(label: str, kwargs: dict, team: str, priority: Priority, lead: bool, reason: str) -> None:
    router = load_router(clock=FixedClock())
    assignment = await router.route(request(**kwargs), Loads())
    assert assignment.team == team
    assert assignment.priority is priority
    assert reason in assignment.reasons
    lead_id = router.config.teams[team].lead
    assert (lead_id in assignment.notify) is lead
    assert assignment.agent is not None
    assert assignment.agent in {agent.id for agent in router.config.teams[team].members}


async def test_repeat_links_to_the_earlier_complaint_and_deadlines_are_set() -> None:
    router = load_router(clock=FixedClock())
    assignment = await router.route(request(history=OPEN_EARLIER, channel=ChannelName.TELEGRAM), Loads())
    assert assignment.repeat_of == "TS-20261120-000007"
    assert assignment.sla.first_response_due == MONDAY_11 + timedelta(minutes=30)
    assert assignment.sla.first_feedback_due == MONDAY_11 + timedelta(hours=24)
    # 7 working days after Monday 23 Nov 2026 is Wednesday 2 Dec, due at 18:00 Beijing.
    assert assignment.sla.report_due == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
