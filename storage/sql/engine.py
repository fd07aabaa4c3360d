"""Creating the async engine for a database URL, with the settings each dialect needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from intake.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}
_SUPPORTED = {"sqlite+aiosqlite", "postgresql+asyncpg"}


def normalize_url(url: str) -> URL:
    """Parse `url` and add the async driver: `sqlite:///x` → `sqlite+aiosqlite:///x` and
    `postgresql://…` → `postgresql+asyncpg://…`; `ConfigError` for anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}") from exc
    drivername = _DRIVERS.get(parsed.drivername, parsed.drivername)
    if drivername not in _SUPPORTED:
        raise ConfigError(f"unsupported database {parsed.drivername!r}: use sqlite:/// or postgresql://")
    return parsed.set(drivername=drivername)


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for `url` (SQLite or PostgreSQL).

    SQLite: the file's directory is created, WAL journal, foreign keys on, a busy
    timeout, and every transaction starts with BEGIN IMMEDIATE so that writers queue
    on the lock instead of failing when two transactions race.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **options)
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **options)


def _sqlite_engine(url: URL, **options: Any) -> AsyncEngine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
