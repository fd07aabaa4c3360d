"""Console ticket actions go through the routing workflow: first response and feedback,
resolve (timers stop, the team queue is served), reassign (notice to the new owner,
timers), reopen by staff (fresh deadlines, management on the second), and the
"waiting on customer" toggle that pauses the SLA clock. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bots.notifiers import NOTICE_TOPIC
from intake.records import Complaint, Status
from intake.workflow import sla_state
from tests.integration.console.conftest import Console
from tousu.routing_wiring import routing_of

FAR = datetime(2100, 1, 1, tzinfo=UTC)


async def _ticket(console: Console, text: str = "阿姨迟到了两个小时", assignee: str | None = "zhang.min") -> str:
    number = await console.complaint(text)
    await routing_of(console.runtime).settle()  # the intake follow-up (notice, timers) is done
    await console.assign(number, "customer_service", assignee)
    return number


async def _get(console: Console, number: str) -> Complaint:
    async with console.runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number, with_transcript=False)
    assert complaint is not None
    return complaint


async def _events(console: Console, number: str) -> list[tuple[str, str]]:
    async with console.runtime.store.transaction() as tx:
        return [(e.actor, e.action) for e in await tx.audit.for_complaint(number)]


async def _timers(console: Console, number: str) -> set[str]:
    """The deadlines of `number` with a timer (takes every timer due before 2100)."""
    keys = await console.runtime.coordination.timers.pop_due(FAR, 10_000)
    return {key.split(":")[2] for key in keys if key.startswith(f"sla:{number}:")}


async def test_a_reply_records_the_first_response_and_feedback_through_the_router(routed: Console) -> None:
    number = await _ticket(routed)
    agent = routed.browsers["agent"]
    assert (await agent.post(f"/console/tickets/{number}/reply", {"text": "您好，我们马上处理。"})).status == 303
    complaint = await _get(routed, number)
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.sla.first_response_at is not None and complaint.sla.first_feedback_at is not None
    events = await _events(routed, number)
    assert ("user:zhang.min", "complaint.replied") in events
    assert ("user:zhang.min", "sla.first_feedback") in events
    first = complaint.sla.first_feedback_at
    assert (await agent.post(f"/console/tickets/{number}/reply", {"text": "师傅明天到。"})).status == 303
    assert (await _get(routed, number)).sla.first_feedback_at == first  # the first one counts
    assert [a for _, a in await _events(routed, number)].count("sla.first_feedback") == 1
    # met deadlines have no timer left; the report deadline still has one
    timers = await _timers(routed, number)
    assert "first_response" not in timers and "first_feedback" not in timers


async def test_starting_work_records_the_first_response_through_the_router(routed: Console) -> None:
    number = await _ticket(routed)
    response = await routed.browsers["agent"].post(f"/console/tickets/{number}/status", {"status": "in_progress"})
    assert response.status == 303
    complaint = await _get(routed, number)
    assert complaint.status == Status.IN_PROGRESS and complaint.sla.first_response_at is not None
    assert complaint.sla.first_feedback_at is None
    events = await _events(routed, number)
    assert ("user:zhang.min", "complaint.status_changed") in events
    assert ("user:zhang.min", "sla.first_response") in events
    assert "first_response" not in await _timers(routed, number)


async def test_resolve_goes_through_the_router_and_serves_the_team_queue(routed: Console) -> None:
    workflow = routing_of(routed.runtime).workflow
    for agent, on in (("chen.jing", False), ("liu.yang", False), ("zhang.min", True)):
        await workflow.set_duty(agent, on, "test")
    number = await _ticket(routed)
    waiting = await _ticket(routed, "保洁没打扫干净", assignee=None)
    assert (await _get(routed, waiting)).assignee is None
    response = await routed.browsers["agent"].post(
        f"/console/tickets/{number}/resolve", {"resolution": "已退款 50 元", "compensation": "50 元"}
    )
    assert response.status == 303
    complaint = await _get(routed, number)
    assert complaint.status == Status.RESOLVED and complaint.resolution == "已退款 50 元"
    assert complaint.compensation == "50 元" and complaint.rating_requested_at is not None
    assert complaint.sla.resolved_at is not None and complaint.sla.first_response_at is not None
    events = await _events(routed, number)
    assert ("user:zhang.min", "complaint.resolved") in events  # written once, by the router
    assert [a for _, a in events].count("complaint.resolved") == 1
    assert ("user:zhang.min", "complaint.resolution_sent") in events
    assert await _timers(routed, number) == set()  # every timer of a resolved ticket stopped
    assert (await _get(routed, waiting)).assignee == "zhang.min"  # served at once
    assert ("router", "complaint.assigned") in await _events(routed, waiting)
    # a resolved ticket cannot be resolved again, and nothing changes
    again = await routed.browsers["agent"].post(f"/console/tickets/{number}/resolve", {"resolution": "再次"})
    assert again.status == 409
    assert (await _get(routed, number)).resolution == "已退款 50 元"


def resumed_copy(complaint: Complaint) -> Complaint:
    """The same complaint with its clock running."""
    return replace(complaint, sla=replace(complaint.sla, paused_at=None))


async def _notices(console: Console, action: Any) -> list[dict[str, Any]]:
    """The notices published while `action` runs."""
    found: list[dict[str, Any]] = []
    async with console.runtime.coordination.bus.subscribe(NOTICE_TOPIC) as messages:
        await action()

        async def collect() -> None:
            async for message in messages:
                found.append(message)

        with contextlib.suppress(TimeoutError):  # the notices were published before the response
            await asyncio.wait_for(collect(), 0.5)
    return found


async def test_reassign_by_a_lead_notifies_the_new_owner_and_restarts_timers(routed: Console) -> None:
    number = await _ticket(routed)
    await _timers(routed, number)  # clear: the reassign must schedule them again
    lead = routed.browsers["lead"]

    async def move() -> None:
        response = await lead.post(
            f"/console/tickets/{number}/reassign", {"team": "customer_service", "assignee": "liu.yang"}
        )
        assert response.status == 303

    notices = await _notices(routed, move)
    reassigned = [n for n in notices if n["kind"] == "reassigned" and n["number"] == number]
    assert reassigned and reassigned[0]["recipients"][0] == "liu.yang"
    assert "zhang.min" in reassigned[0]["recipients"]  # the previous agent hears it too
    assert (await _get(routed, number)).assignee == "liu.yang"
    assert "first_response" in await _timers(routed, number)
    events = await _events(routed, number)
    assert ("user:chen.jing", "complaint.reassigned") in events
    assert ("user:chen.jing", "complaint.reassign_routed") in events
    # an agent may not reassign; nothing is sent
    agent = routed.browsers["agent"]
    assert (await agent.post(f"/console/tickets/{number}/reassign", {"assignee": "zhang.min"})).status == 403


async def test_staff_reopen_uses_the_router_and_the_second_goes_to_management(routed: Console) -> None:
    number = await _ticket(routed)
    agent, manager = routed.browsers["agent"], routed.browsers["manager"]
    assert (await agent.post(f"/console/tickets/{number}/resolve", {"resolution": "已处理"})).status == 303
    resolved = await _get(routed, number)
    page = await (await agent.get(f"/console/tickets/{number}")).text()
    assert 'value="reopened"' in page
    assert (await agent.post(f"/console/tickets/{number}/status", {"status": "reopened"})).status == 303
    reopened = await _get(routed, number)
    assert reopened.status == Status.REOPENED and reopened.reopen_count == 1
    assert reopened.sla.resolved_at is None and reopened.sla.first_feedback_at is None
    assert reopened.sla.report_due is not None and resolved.sla.report_due is not None
    assert reopened.sla.report_due >= resolved.sla.report_due
    assert reopened.team == "customer_service"
    assert ("user:zhang.min", "complaint.reopened") in await _events(routed, number)
    assert "report" in await _timers(routed, number)
    # an open ticket cannot be reopened
    assert (await agent.post(f"/console/tickets/{number}/status", {"status": "reopened"})).status == 409
    assert (await agent.post(f"/console/tickets/{number}/resolve", {"resolution": "再次处理"})).status == 303
    assert (await manager.post(f"/console/tickets/{number}/status", {"status": "reopened"})).status == 303
    twice = await _get(routed, number)
    assert twice.reopen_count == 2 and twice.team == "management"


async def test_waiting_on_the_customer_pauses_and_resumes_the_sla_clock(routed: Console) -> None:
    number = await _ticket(routed)
    agent = routed.browsers["agent"]
    page = await (await agent.get(f"/console/tickets/{number}")).text()
    assert 'action="/console/tickets/' + number + '/waiting"' in page and "等待客户回复" in page
    assert (await agent.post(f"/console/tickets/{number}/waiting", {"waiting": "1"})).status == 303
    paused = await _get(routed, number)
    assert paused.sla.paused_at is not None
    assert await _timers(routed, number) == set()  # no timer fires while waiting
    page = await (await agent.get(f"/console/tickets/{number}")).text()
    assert 'id="sla-waiting"' in page and "客户已回复" in page
    queue = await (await agent.get("/console/queue")).text()
    row = queue[queue.index(f'data-number="{number}"') :]
    assert "等待客户回复" in row[: row.index("</tr>")]
    english = await (await agent.get(f"/console/tickets/{number}?lang=en")).text()
    assert "Waiting on customer" in english
    # long past every deadline, a paused ticket is neither overdue nor due soon
    later = datetime.now(UTC) + timedelta(days=60)
    state = sla_state(paused, later)
    assert (state.state, state.paused) == ("on_track", True)  # as the ledger files it
    assert sla_state(resumed_copy(paused), later).state == "overdue"
    assert ("user:zhang.min", "sla.paused") in await _events(routed, number)

    assert (await agent.post(f"/console/tickets/{number}/waiting", {"waiting": "0"})).status == 303
    resumed = await _get(routed, number)
    assert resumed.sla.paused_at is None
    assert resumed.sla.first_response_due is not None and paused.sla.first_response_due is not None
    assert resumed.sla.first_response_due >= paused.sla.first_response_due
    assert ("user:zhang.min", "sla.resumed") in await _events(routed, number)
    assert "first_response" in await _timers(routed, number)
    assert (await agent.post(f"/console/tickets/{number}/waiting", {"waiting": "maybe"})).status == 422


async def test_the_waiting_toggle_is_permission_checked(routed: Console) -> None:
    number = await _ticket(routed)
    # outside their scope or not a desk role: refused, and nothing changes
    for role in ("other_agent", "operator", "admin"):
        response = await routed.browsers[role].post(f"/console/tickets/{number}/waiting", {"waiting": "1"})
        assert response.status == 403, role
    assert (await _get(routed, number)).sla.paused_at is None
    other = (await routed.browsers["other_agent"].get(f"/console/tickets/{number}")).status
    assert other == 403
    for role, flag in (("lead", "1"), ("manager", "0"), ("agent", "1")):
        response = await routed.browsers[role].post(f"/console/tickets/{number}/waiting", {"waiting": flag})
        assert response.status == 303, role
        assert ((await _get(routed, number)).sla.paused_at is not None) == (flag == "1")
    actors = [actor for actor, action in await _events(routed, number) if action in ("sla.paused", "sla.resumed")]
    assert actors == ["user:chen.jing", "user:boss", "user:zhang.min"]
    # a closed ticket cannot start waiting
    agent = routed.browsers["agent"]
    await agent.post(f"/console/tickets/{number}/waiting", {"waiting": "0"})
    assert (await agent.post(f"/console/tickets/{number}/status", {"status": "closed"})).status == 303
    assert (await agent.post(f"/console/tickets/{number}/waiting", {"waiting": "1"})).status == 422


async def test_closing_or_merging_stops_the_timers_and_serves_the_team_queue(routed: Console) -> None:
    workflow = routing_of(routed.runtime).workflow
    for agent, on in (("chen.jing", False), ("liu.yang", False), ("zhang.min", True)):
        await workflow.set_duty(agent, on, "test")
    number, duplicate = await _ticket(routed), await _ticket(routed, "阿姨还是迟到")
    waiting = await _ticket(routed, "保洁没打扫干净", None)
    assert (await _get(routed, waiting)).assignee is None
    agent = routed.browsers["agent"]  # intake scheduled the timers of every ticket; closing cancels them
    assert (await agent.post(f"/console/tickets/{number}/status", {"status": "closed"})).status == 303
    assert await _timers(routed, number) == set()
    assert (await _get(routed, waiting)).assignee == "zhang.min"  # served at once
    later = await _ticket(routed, "工具没带齐", None)
    assert (await agent.post(f"/console/tickets/{duplicate}/merge", {"target": waiting})).status == 303
    assert (await _get(routed, duplicate)).status == Status.CLOSED
    assert await _timers(routed, duplicate) == set()
    assert (await _get(routed, later)).assignee == "zhang.min"
