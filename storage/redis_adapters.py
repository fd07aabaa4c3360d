"""Redis implementations of the coordination ports, shared by every process.

Each adapter takes a redis.asyncio client and a key prefix (e.g. "tousu:"), so several
deployments or test sessions can share one Redis.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

SUBSCRIBE_CONFIRM_SECONDS = 5.0

# Take the due members and remove them in one atomic step: each key goes to one caller.
_POP_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then
  redis.call('ZREM', KEYS[1], unpack(due))
end
return due
"""


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _millis(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisDedupe:
    """`Dedupe` with SET NX PX."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = f"{prefix}dedupe:"

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        return bool(await self._client.set(self._prefix + key, "1", nx=True, px=_millis(ttl_seconds)))

    async def release(self, key: str) -> None:
        await self._client.delete(self._prefix + key)


class RedisConversationState:
    """`ConversationState` as JSON strings with a TTL."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = f"{prefix}state:"

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self._client.get(self._prefix + key)
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(_text(raw))
        return value

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        payload = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        await self._client.set(self._prefix + key, payload, px=_millis(ttl_seconds))

    async def clear(self, key: str) -> None:
        await self._client.delete(self._prefix + key)


class RedisTimers:
    """`Timers` in one sorted set scored by due time (Unix seconds)."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._key = f"{prefix}timers"
        self._pop_due = client.register_script(_POP_DUE)

    async def schedule(self, key: str, at: datetime) -> None:
        await self._client.zadd(self._key, {key: at.timestamp()})

    async def cancel(self, key: str) -> None:
        await self._client.zrem(self._key, key)

    async def pop_due(self, now: datetime, limit: int = 100) -> list[str]:
        if limit <= 0:
            return []
        due = await self._pop_due(keys=[self._key], args=[repr(now.timestamp()), limit])
        return [_text(key) for key in due]

    async def next_due(self) -> datetime | None:
        first = await self._client.zrange(self._key, 0, 0, withscores=True)
        if not first:
            return None
        return datetime.fromtimestamp(float(first[0][1]), UTC)


class RedisEventBus:
    """`EventBus` on Redis pub/sub; messages are JSON."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = f"{prefix}events:"

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        await self._client.publish(self._prefix + topic, json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        channel = self._prefix + topic
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(channel)
            await _confirmed(pubsub)
            yield _messages(pubsub)
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()


async def _confirmed(pubsub: Any) -> None:
    """Wait for the server's subscribe confirmation, so nothing published after we return is missed."""
    while True:
        message = await pubsub.get_message(timeout=SUBSCRIBE_CONFIRM_SECONDS)
        if message is None:
            raise TimeoutError("Redis did not confirm the subscription")
        if _text(message["type"]) == "subscribe":
            return


async def _messages(pubsub: Any) -> AsyncIterator[dict[str, Any]]:
    async for message in pubsub.listen():
        if _text(message["type"]) == "message":
            yield json.loads(_text(message["data"]))
