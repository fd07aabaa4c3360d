"""SLA watcher: escalation steps in order, met times, pauses, immediate escalation, reopen → management."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from intake.errors import InvalidTransition
from intake.records import Category, Priority, Severity, Status
from router.watcher import timer_key
from tests.unit.router.harness import Stack, build_stack, closing


@pytest.fixture
async def stack(database_url: str, cipher: Any) -> AsyncIterator[Stack]:
    async for built in closing(await build_stack(database_url, cipher)):
        yield built


def _steps(complaint: Any, deadline: str = "first_response") -> list[tuple[str, str | None]]:
    return [(e.action, e.target) for e in complaint.escalations if e.deadline == deadline]


async def test_nobody_started_remind_lead_reassign_management_in_order(stack: Stack) -> None:
    made = await stack.complaint(Category.QUALITY)
    assert (made.team, made.assignee) == ("service_quality", "sun.li")
    due = made.sla.first_response_due
    assert due is not None and await stack.timers.next_due() == due

    stack.clock.at = due - timedelta(seconds=1)
    assert await stack.run() == 0
    stack.clock.at = due
    assert await stack.run() == 1
    assert _steps(await stack.get(made.number)) == [("remind", "sun.li")]

    stack.clock.at = due + timedelta(minutes=15)
    assert await stack.run() == 2
    after = await stack.get(made.number)
    assert _steps(after) == [("remind", "sun.li"), ("escalate_lead", "sun.li"), ("reassign", "ma.jun")]
    assert after.assignee == "ma.jun" and "未按时开始处理 → 改派马俊" in after.routing_reasons

    stack.clock.at = due + timedelta(minutes=59, seconds=59)
    assert await stack.run() == 0
    stack.clock.at = due + timedelta(minutes=60)
    assert await stack.run() == 1
    final = await stack.get(made.number)
    assert [a for a, _ in _steps(final)] == ["remind", "escalate_lead", "reassign", "escalate_management"]
    assert final.priority is Priority.URGENT
    assert _steps(final)[-1][1] == "wang.jian"
    actions = await stack.audit(made.number)
    assert [a for a in actions if a.startswith("sla.")] == [
        "sla.remind",
        "sla.escalate_lead",
        "sla.reassign",
        "sla.escalate_management",
    ]
    kinds = [kind for kind, _ in stack.sent.kinds()]
    assert kinds == ["assigned", "sla_warning", "escalated", "reassigned", "escalated"]
    assert final.to_json()["escalations"][2]["action"] == "reassign"


async def test_started_complaint_is_not_reassigned(stack: Stack) -> None:
    made = await stack.complaint(Category.QUALITY)
    due = made.sla.first_feedback_due
    assert due is not None
    stack.clock.at += timedelta(minutes=5)
    started = await stack.workflow.record_first_response(made.number, "sun.li")
    assert started.status is Status.IN_PROGRESS and started.sla.first_response_at == stack.clock.at
    stack.clock.at = due + timedelta(hours=2)
    await stack.run()
    await stack.run()
    after = await stack.get(made.number)
    assert _steps(after, "first_response") == []
    assert [a for a, _ in _steps(after, "first_feedback")] == ["remind", "escalate_lead", "escalate_management"]
    assert after.assignee == "sun.li"


async def test_met_deadline_fires_nothing_and_second_record_is_harmless(stack: Stack) -> None:
    made = await stack.complaint(Category.BILLING)
    await stack.workflow.record_first_response(made.number, "xu.fang")
    stack.clock.at += timedelta(minutes=1)
    again = await stack.workflow.record_first_response(made.number, "xu.fang")
    assert again.sla.first_response_at == stack.clock.at - timedelta(minutes=1)
    await stack.workflow.record_first_feedback(made.number, "xu.fang")
    assert made.sla.first_response_due is not None
    stack.clock.at = made.sla.first_response_due + timedelta(hours=3)
    assert await stack.run() == 0
    assert (await stack.get(made.number)).escalations == []
    assert (await stack.audit(made.number)).count("sla.first_response") == 1


async def test_waiting_on_the_customer_pauses_the_clock(stack: Stack) -> None:
    made = await stack.complaint(Category.QUALITY)
    due = made.sla.first_response_due
    assert due is not None
    stack.clock.at += timedelta(minutes=10)
    paused = await stack.workflow.pause(made.number, "sun.li")
    assert paused.sla.paused_at == stack.clock.at
    assert await stack.timers.next_due() is None
    stack.clock.at += timedelta(hours=1)
    assert await stack.run() == 0
    resumed = await stack.workflow.resume(made.number, "sun.li")
    assert resumed.sla.paused_at is None
    assert resumed.sla.first_response_due == due + timedelta(hours=1)
    assert await stack.timers.next_due() == due + timedelta(hours=1)
    assert {"sla.paused", "sla.resumed"} <= set(await stack.audit(made.number))


async def test_serious_complaint_escalates_to_the_lead_at_once(stack: Stack) -> None:
    made = await stack.complaint(Category.DAMAGE, Severity.SERIOUS)
    assert [(e.deadline, e.action, e.target) for e in made.escalations] == [("intake", "escalate_lead", "sun.li")]
    assert ("escalated", ("sun.li",)) in stack.sent.kinds()
    notice = next(n for n in stack.sent.notices if str(n.kind) == "escalated")
    assert made.number in notice.text and "孙丽" in notice.text and notice.template == "notice_escalated.zh"
    assert "sla.escalate_lead" in await stack.audit(made.number)


async def test_reopened_twice_goes_to_management(stack: Stack) -> None:
    made = await stack.complaint(Category.QUALITY)
    for round_ in (1, 2):
        await stack.workflow.resolve(made.number, "sun.li", "已上门返工")
        reopened = await stack.workflow.reopen(made.number, "customer")
        assert reopened.reopen_count == round_
    assert reopened.team == "management" and reopened.assignee in {"wang.jian", "li.hong"}
    assert "已重开2次 → 管理层" in reopened.routing_reasons
    assert (await stack.get(made.number)).to_json()["reopen_count"] == 2
    with pytest.raises(InvalidTransition):
        await stack.workflow.reopen(made.number, "customer")


async def test_resolution_ends_the_report_clock(stack: Stack) -> None:
    made = await stack.complaint(Category.QUALITY)
    await stack.workflow.record_first_feedback(made.number, "sun.li")
    resolved = await stack.workflow.resolve(made.number, "sun.li")
    assert resolved.sla.resolved_at == stack.clock.at and resolved.status is Status.RESOLVED
    for deadline in ("first_response", "first_feedback", "report"):
        assert stack.watcher.next_rung(resolved, deadline) is None
    assert await stack.timers.pop_due(stack.clock.at + timedelta(days=30)) == []
    assert timer_key(made.number, "report") == f"sla:{made.number}:report"


async def test_reopen_gives_fresh_deadlines_and_the_ladder_starts_again(stack: Stack) -> None:
    made = await stack.complaint(Category.QUALITY)
    await stack.workflow.record_first_response(made.number, "sun.li")
    assert made.sla.first_feedback_due is not None
    stack.clock.at = made.sla.first_feedback_due
    assert await stack.run() == 1  # reminder for the first feedback
    await stack.workflow.resolve(made.number, "sun.li")
    stack.clock.at += timedelta(days=1)
    reopened = await stack.workflow.reopen(made.number, "customer")
    due = reopened.sla.first_feedback_due
    assert due == stack.clock.at + timedelta(hours=24) and reopened.sla.first_feedback_at is None
    assert stack.watcher.next_rung(reopened, "first_feedback") is not None
    stack.clock.at = due
    assert await stack.run() == 1
    steps = [(e.action, e.step) for e in (await stack.get(made.number)).escalations if e.deadline == "first_feedback"]
    assert steps == [("remind", 0), ("remind", 0)]


WARNING_LADDER = """
[[escalation]]
before = "10m"
action = "warn"

[[escalation]]
after = "0m"
action = "remind"
"""


async def test_warning_ahead_of_the_deadline_then_reminder(sqlite_url: str, cipher: Any) -> None:
    shipped = (Path(__file__).resolve().parents[3] / "router" / "rules.toml").read_text(encoding="utf-8")
    rules = shipped[: shipped.index("[[escalation]]")] + WARNING_LADDER
    async for stack in closing(await build_stack(sqlite_url, cipher, rules)):
        made = await stack.complaint(Category.QUALITY)
        due = made.sla.first_response_due
        assert due is not None and await stack.timers.next_due() == due - timedelta(minutes=10)
        stack.clock.at = due - timedelta(minutes=10)
        assert await stack.run() == 1
        warning = stack.sent.notices[-1]
        assert str(warning.kind) == "sla_warning" and "即将到期" in warning.text and "预警" in warning.text
        assert await stack.watcher.rebuild() == 1
        assert await stack.timers.next_due() == due  # the warning is not given twice
        stack.clock.at = due
        assert await stack.run() == 1
        assert "已到" in stack.sent.notices[-1].text
        assert [e.action for e in (await stack.get(made.number)).escalations] == ["warn", "remind"]


async def test_the_intake_follow_up_takes_the_leads_handed_over_and_escalates_once(stack: Stack) -> None:
    made = await stack.complaint(Category.QUALITY)  # its routed event names nobody to tell at once
    assert made.escalations == []
    await stack.workflow.on_new_complaint(made.number, ["sun.li"])  # as intake hands them over
    await stack.workflow.on_new_complaint(made.number, ["sun.li"])  # run again (a restart): no second one
    after = await stack.get(made.number)
    assert [(e.deadline, e.action, e.target) for e in after.escalations] == [("intake", "escalate_lead", "sun.li")]
    assert (await stack.audit(made.number)).count("sla.escalate_lead") == 1
    assert [kind for kind in stack.sent.kinds() if kind[0] == "escalated"] == [("escalated", ("sun.li",))]
