"""Fixtures shared by the whole test suite.

PostgreSQL and Redis are real servers: `TOUSU_TEST_DATABASE_URL` (default
postgresql://postgres@127.0.0.1:5432/test) and `TOUSU_TEST_REDIS_URL` (default
redis://127.0.0.1:6379/0). Tests never use that database or unprefixed keys directly:
each test gets a database of its own (created from the server URL and dropped after)
and a unique Redis key prefix. When a server is unreachable its tests skip with a loud
reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from storage.crypto import FieldCipher
from storage.migrate import upgrade
from storage.redis_client import connect_redis
from storage.sql.store import SqlStore

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
T = TypeVar("T")


def in_ci() -> bool:
    """True under CI=true, where PostgreSQL and Redis are required."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, error: BaseException) -> None:
    """Fail under CI, skip loudly elsewhere."""
    message = f"{what} is not reachable ({type(error).__name__}: {error}); its tests are SKIPPED"
    if in_ci():
        pytest.fail(f"{message} — CI=true requires it", pytrace=False)
    pytest.skip(message)


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private loop in a helper thread (safe from any fixture)."""
    outcome: dict[str, Any] = {}

    def runner() -> None:
        try:
            outcome["value"] = asyncio.run(_await(factory))
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


async def _await(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()


# --------------------------------------------------------------------------- keys and SQLite


@pytest.fixture
def secret_key() -> bytes:
    """A fresh 32-byte master key."""
    return os.urandom(32)


@pytest.fixture
def secret_key_text(secret_key: bytes) -> str:
    """The master key as TOUSU_SECRET_KEY takes it."""
    return base64.urlsafe_b64encode(secret_key).decode()


@pytest.fixture
def cipher(secret_key: bytes) -> FieldCipher:
    """A FieldCipher on a fresh key."""
    return FieldCipher(secret_key)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """Where the test's SQLite database file lives."""
    return tmp_path / "tousu.db"


@pytest.fixture
def sqlite_url(sqlite_path: Path) -> str:
    """A SQLite URL on a file of the test's own (no schema yet)."""
    return f"sqlite:///{sqlite_path}"


# --------------------------------------------------------------------------- PostgreSQL


def _server_url() -> str:
    return os.environ.get("TOUSU_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(_server_url()), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server URL, checked once per session (skip/fail when unreachable)."""
    try:
        run_async(lambda: _admin("SELECT 1"))
    except Exception as exc:
        unavailable(f"PostgreSQL at {_server_url()}", exc)
    return _server_url()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL to a new, empty PostgreSQL database of this test's own, dropped afterwards."""
    name = f"tousu_test_{uuid.uuid4().hex[:16]}"
    run_async(lambda: _admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(postgres_server, name)
    finally:
        run_async(lambda: _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --------------------------------------------------------------------------- stores


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(database_url: str, cipher: FieldCipher) -> AsyncIterator[SqlStore]:
    """A migrated SqlStore on SQLite and on PostgreSQL (the test runs once per database)."""
    await upgrade(database_url)
    sql_store = SqlStore(database_url, cipher)
    try:
        yield sql_store
    finally:
        await sql_store.close()


# --------------------------------------------------------------------------- Redis


def _redis_url() -> str:
    return os.environ.get("TOUSU_TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own."""
    return f"tousu-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis_client(redis_prefix: str) -> AsyncIterator[Any]:
    """A redis.asyncio client (decoded responses); the test's keys are deleted afterwards."""
    client = connect_redis(_redis_url())
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        unavailable(f"Redis at {_redis_url()}", exc)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
