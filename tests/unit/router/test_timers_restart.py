"""Timers survive a restart: Redis keeps them, and either kind is rebuilt from the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from intake.records import Category
from router.watcher import SlaWatcher, timer_key
from storage.memory import MemoryTimers
from storage.redis_adapters import RedisTimers
from storage.redis_client import connect_redis
from tests.conftest import _redis_url
from tests.unit.router.harness import build_stack


def _restarted(stack: Any, timers: Any) -> SlaWatcher:
    return SlaWatcher(stack.store, timers, stack.router, stack.watcher._notices, stack.sent, clock=stack.clock)


async def test_memory_timers_are_rebuilt_from_the_database(sqlite_url: str, cipher: Any) -> None:
    stack = await build_stack(sqlite_url, cipher)
    try:
        made = await stack.complaint(Category.QUALITY)
        due = made.sla.first_response_due
        assert due is not None
        stack.clock.at = due
        assert await stack.run() == 1  # the reminder, before the "crash"

        fresh = MemoryTimers()  # a new process: memory timers are gone
        watcher = _restarted(stack, fresh)
        assert await fresh.next_due() is None
        assert await watcher.rebuild() == 1
        assert await fresh.next_due() == due + timedelta(minutes=15)  # the next rung, not the reminder again
        stack.clock.at = due + timedelta(minutes=15)
        assert await watcher.run_due(stack.clock.at) == 2
        after = await stack.get(made.number)
        assert [e.action for e in after.escalations] == ["remind", "escalate_lead", "reassign"]
    finally:
        await stack.store.close()


async def test_redis_timers_survive_a_restart(
    sqlite_url: str, cipher: Any, redis_client: Any, redis_prefix: str
) -> None:
    stack = await build_stack(sqlite_url, cipher, timers=RedisTimers(redis_client, redis_prefix))
    try:
        made = await stack.complaint(Category.BILLING)
        due = made.sla.first_response_due
        assert due is not None
        await redis_client.aclose()

        client = connect_redis(_redis_url())  # the new process connects again
        try:
            timers = RedisTimers(client, redis_prefix)
            assert await timers.next_due() == due
            watcher = _restarted(stack, timers)
            stack.clock.at = due
            assert await watcher.run_due(stack.clock.at) == 1
            assert [e.action for e in (await stack.get(made.number)).escalations] == ["remind"]
            assert await timers.next_due() == due + timedelta(minutes=15)

            await client.delete(f"{redis_prefix}timers")  # even a wiped Redis is rebuilt from SQL
            assert await watcher.rebuild() == 1
            assert await timers.next_due() == due + timedelta(minutes=15)
            assert await timers.pop_due(due + timedelta(minutes=15)) == [timer_key(made.number, "first_response")]
        finally:
            keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
    finally:
        await stack.store.close()


async def test_the_watcher_loop_fires_without_being_called(sqlite_url: str, cipher: Any) -> None:
    stack = await build_stack(sqlite_url, cipher)
    try:
        made = await stack.complaint(Category.QUALITY)
        assert made.sla.first_response_due is not None
        stack.clock.at = made.sla.first_response_due  # already due when the watcher starts
        await stack.watcher.start()
        try:
            import asyncio

            for _ in range(200):
                if (await stack.get(made.number)).escalations:
                    break
                await asyncio.sleep(0.01)
        finally:
            await stack.watcher.stop()
        assert [e.action for e in (await stack.get(made.number)).escalations] == ["remind"]
    finally:
        await stack.store.close()


async def test_stop_ends_the_loop_even_right_after_a_wake_up(sqlite_url: str, cipher: Any) -> None:
    import asyncio

    stack = await build_stack(sqlite_url, cipher)
    try:
        made = await stack.complaint(Category.QUALITY)
        for _ in range(20):
            await stack.watcher.start()
            await asyncio.sleep(0)
            await stack.watcher.track(made)  # sets the wake-up event …
            await asyncio.wait_for(stack.watcher.stop(), 10)  # … and the stop still ends the loop
            assert stack.watcher._task is None
    finally:
        await stack.store.close()
