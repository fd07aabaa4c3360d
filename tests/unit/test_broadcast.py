"""SaveBroadcast on the memory event bus: saves of other origins are applied in order, the
own ones never, other message types are ignored, and a failing apply stops nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from intake.errors import ConfigError
from storage.memory import MemoryEventBus
from tousu.broadcast import SaveBroadcast

TOPIC = "tuning:test"


async def _until(check: Any) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_other_origins_are_applied_and_failures_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    bus = MemoryEventBus()
    applied: list[dict[str, Any]] = []

    async def apply(message: dict[str, Any]) -> None:
        if message.get("n") == "bad":
            raise ConfigError("does not load")
        if message.get("n") == "boom":
            raise RuntimeError("unexpected")
        applied.append(message)

    async def never(message: dict[str, Any]) -> None:
        raise AssertionError(f"the announcing side applied {message}")

    follower = SaveBroadcast(bus, TOPIC, "thing_saved", apply)
    other = SaveBroadcast(bus, TOPIC, "thing_saved", never)
    await follower.follow()
    await follower.follow()  # following twice subscribes once
    assert follower.following and not other.following
    try:
        await follower.announce({"n": "own"})
        await bus.publish(TOPIC, {"type": "something_else", "origin": other.origin})
        for n in ("bad", "boom", 1, 2):
            await other.announce({"n": n})
        await _until(lambda: len(applied) == 2)
    finally:
        await follower.stop()
    assert [m["n"] for m in applied] == [1, 2]
    assert all(m["type"] == "thing_saved" and m["origin"] == other.origin for m in applied)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "thing_saved from another process refused, keeping the running one: does not load" in errors[0].getMessage()
    assert errors[1].exc_info is not None and "unexpected" in str(errors[1].exc_info[1])
    assert not follower.following


async def test_without_a_bus_nothing_is_sent_or_followed() -> None:
    async def apply(message: dict[str, Any]) -> None:
        raise AssertionError("nothing to apply")

    lonely = SaveBroadcast(None, TOPIC, "thing_saved", apply)
    await lonely.announce({"n": 1})
    await lonely.start()
    assert not lonely.following
    await lonely.stop()
