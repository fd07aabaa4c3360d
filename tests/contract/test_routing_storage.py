"""Routing storage on SQLite and PostgreSQL (and memory): agents and duty, script versions, complaint fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from intake.errors import NotFound
from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Customer,
    EscalationEntry,
    Priority,
    QuickReply,
    Severity,
    SlaDeadlines,
    Status,
)
from intake.routing_ports import AgentRecord
from storage.memory_routing import MemoryAgentRegistry, MemoryScriptRepository
from storage.migrate import upgrade
from storage.sql.routing import SqlAgentRegistry, SqlScriptRepository
from storage.sql.store import SqlStore

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
AGENTS = [
    AgentRecord("sun.li", "孙丽", "service_quality", 3, "office", is_lead=True),
    AgentRecord("ma.jun", "马俊", "service_quality", 8, "office"),
    AgentRecord("xu.fang", "徐芳", "finance", 4, None, is_lead=True),
]


KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "memory"]


async def _engine_store(request: pytest.FixtureRequest) -> SqlStore:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    await upgrade(url)
    return SqlStore(url, request.getfixturevalue("cipher"))


@pytest.fixture(params=KINDS)
async def registry(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield MemoryAgentRegistry()
        return
    store = await _engine_store(request)
    yield SqlAgentRegistry(store.engine)
    await store.close()


@pytest.fixture(params=KINDS)
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield MemoryScriptRepository()
        return
    store = await _engine_store(request)
    yield SqlScriptRepository(store.engine)
    await store.close()


async def test_seed_lists_agents_and_keeps_duty_switch_on_reseed(registry: Any) -> None:
    await registry.seed(AGENTS, AT)
    listed = await registry.list_agents()
    assert [(a.team, a.id, a.is_lead) for a in listed] == [
        ("finance", "xu.fang", True),
        ("service_quality", "ma.jun", False),
        ("service_quality", "sun.li", True),
    ]
    await registry.set_on_duty("ma.jun", False, AT)
    assert await registry.overrides() == {"ma.jun": False}
    await registry.seed([AGENTS[1].__class__("ma.jun", "马俊", "service_quality", 5, "weekend"), AGENTS[0]], AT)
    ma = await registry.get_agent("ma.jun")
    assert ma is not None and ma.capacity == 5 and ma.shift == "weekend" and ma.on_duty is False
    xu = await registry.get_agent("xu.fang")
    assert xu is not None and xu.active is False
    await registry.set_on_duty("ma.jun", None, AT)
    assert await registry.overrides() == {}


async def test_unknown_agent_cannot_be_switched(registry: Any) -> None:
    with pytest.raises(NotFound):
        await registry.set_on_duty("nobody", True, AT)


async def test_every_save_keeps_the_previous_version(repository: Any) -> None:
    first = await repository.save("acknowledgement", "v1 {{ number }}", AT, author="ops")
    second = await repository.save(
        "acknowledgement", "v2", AT + timedelta(minutes=1), quick_replies=(QuickReply("好", "ok"),), note="tone"
    )
    await repository.save("status", "s1", AT)
    assert (first.version, second.version) == (1, 2)
    assert [v.body for v in await repository.history("acknowledgement")] == ["v1 {{ number }}", "v2"]
    current = await repository.current()
    assert current["acknowledgement"].version == 2 and current["acknowledgement"].quick_replies[0].payload == "ok"
    assert current["status"].body == "s1"
    old = await repository.get("acknowledgement", 1)
    assert old is not None and old.author == "ops"
    assert await repository.get("missing") is None


async def test_complaint_keeps_reopen_count_escalations_and_pause(store: SqlStore) -> None:
    conversation = ConversationRef(ChannelName.WEBCHAT, "s-1")
    async with store.transaction() as tx:
        await tx.customers.add(Customer("c-1", created_at=AT))
        complaint = Complaint(
            number="TS-20261123-000001",
            customer_id="c-1",
            channel=ChannelName.WEBCHAT,
            conversation=conversation,
            received_at=AT,
            content="阿姨打碎了花瓶",
            category=Category.DAMAGE,
            severity=Severity.SERIOUS,
            priority=Priority.HIGH,
            confidence=0.9,
            team="service_quality",
            sla=SlaDeadlines(first_response_due=AT + timedelta(minutes=30), paused_at=AT + timedelta(minutes=5)),
        )
        await tx.complaints.add(complaint)
    async with store.transaction() as tx:
        loaded = await tx.complaints.get(complaint.number)
        assert loaded is not None and loaded.reopen_count == 0 and loaded.escalations == []
        assert loaded.sla.paused_at == AT + timedelta(minutes=5)
        loaded.reopen_count = 2
        loaded.status = Status.REOPENED
        loaded.escalations.append(EscalationEntry("first_response", 0, "remind", AT, "ma.jun"))
        await tx.complaints.save(loaded)
        assert await tx.agents.overrides() == {}
    async with store.transaction() as tx:
        again = await tx.complaints.get(complaint.number)
        assert again is not None and again.reopen_count == 2
        assert again.escalations == [EscalationEntry("first_response", 0, "remind", AT, "ma.jun")]
        data = again.to_json()
        assert data["reopen_count"] == 2 and data["escalations"][0]["action"] == "remind"
        assert data["sla"]["paused_at"] == (AT + timedelta(minutes=5)).isoformat()


async def test_duty_switch_inside_a_transaction(store: SqlStore) -> None:
    await SqlAgentRegistry(store.engine).seed(AGENTS, AT)
    async with store.transaction() as tx:
        await tx.agents.set_on_duty("sun.li", True, AT)
        assert await tx.agents.overrides() == {"sun.li": True}
        with pytest.raises(NotFound):
            await tx.agents.set_on_duty("nobody", False, AT)
