"""Memory implementations of the coordination ports, for one process (the embedded default)."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

SUBSCRIBER_QUEUE_SIZE = 1000


class MemoryDedupe:
    """`Dedupe` in a dict of key → expiry (monotonic clock)."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        now = time.monotonic()
        self._drop_expired(now)
        if key in self._expiry:
            return False
        self._expiry[key] = now + ttl_seconds
        return True

    async def release(self, key: str) -> None:
        self._expiry.pop(key, None)

    def _drop_expired(self, now: float) -> None:
        for key in [k for k, until in self._expiry.items() if until <= now]:
            del self._expiry[key]


class MemoryConversationState:
    """`ConversationState` in a dict of key → (expiry, deep copy of the value)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, dict[str, Any]]] = {}

    async def get(self, key: str) -> dict[str, Any] | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._values[key]
            return None
        return copy.deepcopy(entry[1])

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        self._values[key] = (time.monotonic() + ttl_seconds, copy.deepcopy(value))

    async def clear(self, key: str) -> None:
        self._values.pop(key, None)


class MemoryTimers:
    """`Timers` in a dict of key → due time."""

    def __init__(self) -> None:
        self._due: dict[str, datetime] = {}

    async def schedule(self, key: str, at: datetime) -> None:
        self._due[key] = at

    async def cancel(self, key: str) -> None:
        self._due.pop(key, None)

    async def pop_due(self, now: datetime, limit: int = 100) -> list[str]:
        due = sorted((at, key) for key, at in self._due.items() if at <= now)[: max(limit, 0)]
        for _, key in due:
            del self._due[key]
        return [key for _, key in due]

    async def next_due(self) -> datetime | None:
        return min(self._due.values(), default=None)


class MemoryEventBus:
    """`EventBus` with one bounded asyncio queue per subscriber.

    A subscriber that falls more than `SUBSCRIBER_QUEUE_SIZE` messages behind loses the
    oldest ones rather than slowing the publisher down.
    """

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(copy.deepcopy(data))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(SUBSCRIBER_QUEUE_SIZE)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            yield _drain(queue)
        finally:
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[topic]


async def _drain(queue: asyncio.Queue[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    while True:
        yield await queue.get()
