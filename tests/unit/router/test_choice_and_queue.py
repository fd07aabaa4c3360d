"""Load-aware choice inside a team (capacity, weights, round robin, duty) and the team queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from intake.records import Category
from router import parse_rules
from router.choice import AgentChooser
from tests.unit.router.harness import Stack, build_stack, closing
from tests.unit.router.helpers import MONDAY_11, Roster

SMALL = """
[settings]
default_team = "desk"
management_team = "desk"

[[teams]]
code = "desk"
name = "客服中心"
lead = "a"
[[teams.members]]
id = "a"
name = "阿安"
capacity = 1
[[teams.members]]
id = "b"
name = "阿宝"
capacity = 1

[[sla]]
first_response = "30m"
first_feedback = "24h"
report = "7wd"

[[escalation]]
after = "0m"
action = "remind"
"""

WEIGHTED = (
    SMALL.replace("capacity = 1\n[[teams.members]]", "capacity = 4\n[[teams.members]]").replace(
        'name = "阿宝"\ncapacity = 1', 'name = "阿宝"\ncapacity = 2'
    )
    + '[[teams.members]]\nid = "c"\nname = "阿春"\ncapacity = 4\n'
)

SHIPPED = Path(__file__).resolve().parents[3] / "router" / "rules.toml"


async def _choose(text: str, load: dict[str, int], roster: Roster | None = None, times: int = 1) -> list[str | None]:
    config = parse_rules(text)
    chooser = AgentChooser(config.calendar, roster)
    chosen = []
    for _ in range(times):
        choice = await chooser.choose(config.teams["desk"], load, MONDAY_11)
        chosen.append(choice.agent.id if choice.agent else None)
    return chosen


async def test_lowest_weighted_load_wins() -> None:
    # a: 2/4 = 0.5, b: 1/2 = 0.5, c: 1/4 = 0.25 → c although b holds fewer than a.
    assert await _choose(WEIGHTED, {"a": 2, "b": 1, "c": 1}) == ["c"]
    # a: 1/4 = 0.25 beats b: 1/2.
    assert await _choose(WEIGHTED, {"a": 1, "b": 1, "c": 2}) == ["a"]


async def test_round_robin_between_equals() -> None:
    assert await _choose(WEIGHTED, {}, times=4) == ["a", "b", "c", "a"]


async def test_full_or_off_duty_agents_are_skipped() -> None:
    assert await _choose(SMALL, {"a": 1}) == ["b"]
    assert await _choose(SMALL, {"a": 1, "b": 1}) == [None]
    assert await _choose(SMALL, {}, Roster({"a": False})) == ["b"]
    assert await _choose(SMALL, {}, Roster({"a": False, "b": False})) == [None]


async def test_shifts_decide_without_a_manual_switch() -> None:
    shipped = parse_rules(SHIPPED.read_text(encoding="utf-8"))
    chooser = AgentChooser(shipped.calendar)
    evening = MONDAY_11 + timedelta(hours=9)  # 20:00 Beijing: only the late shift works
    present = await chooser.on_duty(shipped.teams["customer_service"], evening)
    assert [agent.id for agent in present] == ["zhang.min"]
    forced = await chooser.on_duty(shipped.teams["customer_service"], evening, Roster({"liu.yang": True}))
    assert [agent.id for agent in forced] == ["liu.yang", "zhang.min"]


@pytest.fixture
async def small(database_url: str, cipher: Any) -> AsyncIterator[Stack]:
    async for built in closing(await build_stack(database_url, cipher, SMALL)):
        yield built


async def test_waiting_queue_is_served_when_an_agent_frees_up(small: Stack) -> None:
    first = await small.complaint(Category.QUALITY)
    second = await small.complaint(Category.QUALITY)
    assert {first.assignee, second.assignee} == {"a", "b"}
    small.clock.at += timedelta(minutes=1)
    third = await small.complaint(Category.QUALITY)
    assert third.assignee is None and "客服中心在岗客服已满负荷 → 进入等待队列" in third.routing_reasons
    assert [c.number for c in await small.workflow.waiting("desk")] == [third.number]
    owner = first.assignee
    await small.workflow.resolve(first.number, owner or "")
    served = await small.get(third.number)
    assert served.assignee == owner
    assert any("从等待队列指派" in reason for reason in served.routing_reasons)
    assert "complaint.assigned" in await small.audit(third.number)
    assert small.sent.kinds()[-1] == ("assigned", (owner,))
    assert await small.workflow.waiting("desk") == []


async def test_waiting_queue_is_served_when_an_agent_comes_on_duty(small: Stack) -> None:
    await small.workflow.set_duty("a", False, "lead")
    await small.workflow.set_duty("b", False, "lead")
    waiting = await small.complaint(Category.QUALITY)
    assert waiting.assignee is None and "客服中心暂无在岗客服 → 进入等待队列" in waiting.routing_reasons
    urgent = await small.complaint(Category.SAFETY)
    assert urgent.assignee is None
    assigned = await small.workflow.set_duty("b", True, "lead")
    assert assigned == [(urgent.number, "b")]  # the most urgent first, then capacity is full
    assert (await small.get(waiting.number)).assignee is None
    assert await small.workflow.set_duty("a", None, "lead") == [(waiting.number, "a")]
    assert [a.on_duty for a in await small.registry.list_agents()] == [None, True]
