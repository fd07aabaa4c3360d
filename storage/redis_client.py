"""Creating the Redis client (redis.asyncio) the Redis adapters share."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from intake.errors import ConfigError


def connect_redis(url: str, **options: Any) -> Redis:
    """A client for `url` (redis:// or rediss://), decoding replies to str.

    It connects lazily, on the first command; call `ping` to check the server.
    """
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"not a Redis URL: {url!r} (expected redis://host:port/db)")
    options.setdefault("decode_responses", True)
    options.setdefault("health_check_interval", 30)
    return Redis.from_url(url, **options)


async def ping(client: Redis) -> None:
    """Raise when Redis does not answer."""
    await client.ping()
