"""Contract of Dedupe, ConversationState, Timers and EventBus, on memory and on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from intake.ports import ConversationState, Dedupe, EventBus, Timers
from storage.memory import MemoryConversationState, MemoryDedupe, MemoryEventBus, MemoryTimers
from storage.redis_adapters import RedisConversationState, RedisDedupe, RedisEventBus, RedisTimers

IMPLEMENTATIONS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
RECEIVE_TIMEOUT = 5.0


def build(kind: str, request: pytest.FixtureRequest, memory: type, redis: type) -> Any:
    if kind == "memory":
        return memory()
    return redis(request.getfixturevalue("redis_client"), request.getfixturevalue("redis_prefix"))


@pytest.fixture(params=IMPLEMENTATIONS)
def dedupe(request: pytest.FixtureRequest) -> Dedupe:
    return build(request.param, request, MemoryDedupe, RedisDedupe)  # type: ignore[no-any-return]


@pytest.fixture(params=IMPLEMENTATIONS)
def state(request: pytest.FixtureRequest) -> ConversationState:
    return build(request.param, request, MemoryConversationState, RedisConversationState)  # type: ignore[no-any-return]


@pytest.fixture(params=IMPLEMENTATIONS)
def timers(request: pytest.FixtureRequest) -> Timers:
    return build(request.param, request, MemoryTimers, RedisTimers)  # type: ignore[no-any-return]


@pytest.fixture(params=IMPLEMENTATIONS)
def bus(request: pytest.FixtureRequest) -> EventBus:
    return build(request.param, request, MemoryEventBus, RedisEventBus)  # type: ignore[no-any-return]


async def wait_until_gone(check: Any, attempts: int = 200) -> bool:
    """Poll `check()` until it answers True (expiry is driven by the server's clock)."""
    for _ in range(attempts):
        if await check():
            return True
        await asyncio.sleep(0.01)
    return False


# --------------------------------------------------------------------------- dedupe


async def test_dedupe_claims_once(dedupe: Dedupe) -> None:
    assert await dedupe.claim("wechat:1", 60) is True
    assert await dedupe.claim("wechat:1", 60) is False
    assert await dedupe.claim("wechat:2", 60) is True


async def test_dedupe_release_allows_a_retry(dedupe: Dedupe) -> None:
    assert await dedupe.claim("k", 60)
    await dedupe.release("k")
    assert await dedupe.claim("k", 60) is True
    await dedupe.release("never-claimed")


async def test_dedupe_concurrent_claims_have_one_winner(dedupe: Dedupe) -> None:
    results = await asyncio.gather(*(dedupe.claim("same", 60) for _ in range(20)))
    assert results.count(True) == 1


async def test_dedupe_claim_expires(dedupe: Dedupe) -> None:
    assert await dedupe.claim("short", 0.05)
    assert await wait_until_gone(lambda: dedupe.claim("short", 60))


# --------------------------------------------------------------------------- conversation state


async def test_state_set_get_clear(state: ConversationState) -> None:
    assert await state.get("c1") is None
    value = {"awaiting": "phone", "complaint": "TS-20261123-000001", "tries": 1, "nested": {"a": [1, 2]}}
    await state.set("c1", value, 60)
    assert await state.get("c1") == value
    await state.set("c1", {"awaiting": "rating"}, 60)
    assert await state.get("c1") == {"awaiting": "rating"}
    await state.clear("c1")
    assert await state.get("c1") is None
    await state.clear("unknown")


async def test_state_is_a_copy(state: ConversationState) -> None:
    value: dict[str, Any] = {"items": [1]}
    await state.set("c2", value, 60)
    value["items"].append(2)
    loaded = await state.get("c2")
    assert loaded == {"items": [1]}
    assert loaded is not None
    loaded["items"].append(3)
    assert await state.get("c2") == {"items": [1]}


async def test_state_expires(state: ConversationState) -> None:
    await state.set("c3", {"x": 1}, 0.05)

    async def gone() -> bool:
        return await state.get("c3") is None

    assert await wait_until_gone(gone)


# --------------------------------------------------------------------------- timers


async def test_timers_fire_in_order_once(timers: Timers) -> None:
    assert await timers.next_due() is None
    await timers.schedule("sla:b", T0 + timedelta(minutes=2))
    await timers.schedule("sla:a", T0 + timedelta(minutes=1))
    await timers.schedule("sla:c", T0 + timedelta(minutes=3))
    assert await timers.next_due() == T0 + timedelta(minutes=1)
    assert await timers.pop_due(T0) == []
    assert await timers.pop_due(T0 + timedelta(minutes=2)) == ["sla:a", "sla:b"]
    assert await timers.pop_due(T0 + timedelta(minutes=2)) == []
    assert await timers.next_due() == T0 + timedelta(minutes=3)


async def test_timers_reschedule_cancel_and_limit(timers: Timers) -> None:
    await timers.schedule("k", T0 + timedelta(minutes=1))
    await timers.schedule("k", T0 + timedelta(minutes=10))
    assert await timers.pop_due(T0 + timedelta(minutes=5)) == []
    await timers.cancel("k")
    assert await timers.next_due() is None
    for i in range(5):
        await timers.schedule(f"t{i}", T0 + timedelta(seconds=i))
    assert await timers.pop_due(T0 + timedelta(minutes=1), limit=2) == ["t0", "t1"]
    assert await timers.pop_due(T0 + timedelta(minutes=1)) == ["t2", "t3", "t4"]


async def test_timers_each_key_goes_to_one_caller(timers: Timers) -> None:
    for i in range(100):
        await timers.schedule(f"t{i:03d}", T0 + timedelta(milliseconds=i))
    batches = await asyncio.gather(*(timers.pop_due(T0 + timedelta(seconds=1), limit=7) for _ in range(20)))
    taken = [key for batch in batches for key in batch]
    assert sorted(taken) == [f"t{i:03d}" for i in range(100)]


async def test_timers_keep_subsecond_precision(timers: Timers) -> None:
    due = T0 + timedelta(seconds=1, milliseconds=500)
    await timers.schedule("precise", due)
    assert await timers.next_due() == due
    assert await timers.pop_due(T0 + timedelta(seconds=1, milliseconds=499)) == []
    assert await timers.pop_due(due) == ["precise"]


# --------------------------------------------------------------------------- event bus


async def receive(messages: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    return await asyncio.wait_for(anext(messages), RECEIVE_TIMEOUT)


async def test_bus_delivers_to_every_subscriber_of_a_topic(bus: EventBus) -> None:
    async with bus.subscribe("console") as first, bus.subscribe("console") as second, bus.subscribe("other") as other:
        await bus.publish("console", {"event": "complaint.created", "number": "TS-1", "text": "阿姨迟到"})
        await bus.publish("console", {"event": "complaint.updated", "number": "TS-1"})
        expected = [
            {"event": "complaint.created", "number": "TS-1", "text": "阿姨迟到"},
            {"event": "complaint.updated", "number": "TS-1"},
        ]
        assert [await receive(first), await receive(first)] == expected
        assert [await receive(second), await receive(second)] == expected
        await bus.publish("other", {"n": 1})
        assert await receive(other) == {"n": 1}


async def test_bus_after_unsubscribe_publish_still_works(bus: EventBus) -> None:
    async with bus.subscribe("t") as messages:
        await bus.publish("t", {"n": 1})
        assert await receive(messages) == {"n": 1}
    await bus.publish("t", {"n": 2})
    async with bus.subscribe("t") as messages:
        await bus.publish("t", {"n": 3})
        assert await receive(messages) == {"n": 3}
