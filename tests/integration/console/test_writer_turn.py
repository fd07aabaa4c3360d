"""On SQLite the console's transactions take the same writer turn as intake's.

One process queues all its writers to a database file on one FIFO lock before BEGIN
IMMEDIATE (`storage.sql.engine.writing`): the store's transactions (intake, routing), the
console's, and the agent registry's and script repository's writes. Console actions then
wait their turn behind intake instead of polling SQLite's busy handler, and none of them
fails or is lost when both run at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.records import Status
from storage.sql.console import SqlConsoleStore
from storage.sql.schema import complaints
from storage.sql.store import SqlStore
from tests.integration.console.conftest import Console
from tousu.auth import new_token, token_digest
from tousu.routing_wiring import routing_of

TEAM = "customer_service"
AGENT = "zhang.min"
Opener = Callable[[], AbstractAsyncContextManager[Any]]


def _sql(console: Console) -> SqlStore:
    store = console.runtime.store
    assert isinstance(store, SqlStore)
    return store


async def test_writers_of_the_console_intake_and_registry_are_served_in_arrival_order(console: Console) -> None:
    store = _sql(console)
    registry = routing_of(console.runtime).registry
    order: list[str] = []

    async def write(label: str, opener: Opener) -> None:
        async with opener():
            order.append(label)

    def duty() -> AbstractAsyncContextManager[Any]:
        return _Awaited(registry.set_on_duty(AGENT, None, datetime.now(UTC)))

    openers: list[tuple[str, Opener]] = [
        ("console", SqlConsoleStore(store).transaction),
        ("intake", store.transaction),
        ("registry", duty),
        ("console again", SqlConsoleStore(store).transaction),
    ]
    tasks = []
    async with store.transaction():
        for label, opener in openers:
            tasks.append(asyncio.create_task(write(label, opener)))
            await asyncio.sleep(0)  # the task takes its place in the queue
        order.append("holder")
    await asyncio.gather(*tasks)
    assert order == ["holder", "console", "intake", "registry", "console again"]


async def test_a_write_inside_another_on_the_same_file_fails_at_once(console: Console) -> None:
    store = _sql(console)
    registry = routing_of(console.runtime).registry
    async with SqlConsoleStore(store).transaction():
        with pytest.raises(RuntimeError, match="inside another"):
            async with store.transaction():
                pass
        assert [agent.id for agent in await registry.list_agents()]  # reads take no turn
    async with store.transaction():
        with pytest.raises(RuntimeError, match="inside another"):
            async with SqlConsoleStore(store).transaction():
                pass
        with pytest.raises(RuntimeError, match="inside another"):
            await registry.set_on_duty(AGENT, None, datetime.now(UTC))
    async with SqlConsoleStore(store).transaction() as tx:  # the turn was given back each time
        assert await tx.users.by_name("zhang.min") is not None


async def test_console_actions_and_rest_intake_at_once_all_succeed(console: Console) -> None:
    tickets = 6
    arriving = 12
    to_resolve = [await _ticket(console) for _ in range(tickets)]
    to_answer = [await _ticket(console) for _ in range(tickets)]
    token = await _intake_token(console)
    browser = console.browsers["agent"]
    before = await _count(console)

    async def resolve(number: str) -> int:
        response = await browser.post(f"/console/tickets/{number}/resolve", {"resolution": f"已处理 {number}"})
        return response.status

    async def answer(number: str) -> int:
        response = await browser.post(f"/console/tickets/{number}/reply", {"text": f"您好，{number} 明天上门"})
        return response.status

    async def complain(index: int) -> int:
        user = uuid.uuid4().hex
        response = await browser.client.post(
            "/api/v1/messages",
            json={"channel_user_id": user, "text": "阿姨迟到了一个小时", "phone": f"137{index:08d}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status

    statuses = await asyncio.gather(
        *(resolve(n) for n in to_resolve), *(answer(n) for n in to_answer), *(complain(i) for i in range(arriving))
    )
    await routing_of(console.runtime).settle()

    assert statuses == [303] * (2 * tickets) + [201] * arriving
    assert await _count(console) == before + arriving
    async with _sql(console).transaction() as tx:
        for number in to_resolve:
            complaint = await tx.complaints.get(number, with_transcript=False)
            assert complaint is not None and complaint.status == Status.RESOLVED
            assert complaint.resolution == f"已处理 {number}"
        for number in to_answer:
            replied = [e for e in await tx.audit.for_complaint(number) if e.action == "complaint.replied"]
            complaint = await tx.complaints.get(number)
            assert complaint is not None and len(replied) == 1
            sent = [e.text for e in complaint.transcript if e.direction == "out" and e.author == f"user:{AGENT}"]
            assert sent == [f"您好，{number} 明天上门"]


async def _ticket(console: Console) -> str:
    number = await console.complaint("保洁很马虎，地没拖干净")
    await routing_of(console.runtime).settle()
    await console.assign(number, TEAM, AGENT)
    return number


async def _intake_token(console: Console) -> str:
    token = new_token()
    async with _sql(console).transaction() as tx:
        await tx.tokens.create("test-intake", "intake", token_digest(token), datetime.now(UTC))
    return token


async def _count(console: Console) -> int:
    async with _sql(console).engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(complaints))).scalar_one())


class _Awaited:
    """An awaitable (a registry write with its own transaction) as an async context manager."""

    def __init__(self, work: Any) -> None:
        self._work = work

    async def __aenter__(self) -> None:
        await self._work

    async def __aexit__(self, *exc: object) -> None:
        return None
