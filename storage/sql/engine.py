"""Creating the async engine for a database URL, with the settings each dialect needs.

On SQLite every transaction of the engine starts with BEGIN IMMEDIATE (one writer at a
time). SQLite's busy handler polls with growing sleeps, so under load a waiting writer can
starve for seconds; `writing` therefore queues the writers of this process on one FIFO
lock per database file first (other processes still meet the busy timeout), and `reading`
opens a plain deferred transaction that takes no write lock at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from intake.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 30_000
_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}
_SUPPORTED = {"sqlite+aiosqlite", "postgresql+asyncpg"}
_READ_ONLY = "tousu_read_only"


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
    on the lock instead of failing when two transactions race (except the deferred
    read-only ones of `reading`). Open write transactions with `writing`.
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
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that may write: commits when the block ends normally,
    rolls back when it raises. On SQLite it waits first for this process's turn to write to
    the database (`WriterQueue`), shared by every engine of the process on the same file."""
    queue = writer_queue(engine)
    if queue is None:
        async with engine.begin() as connection:
            yield connection
        return
    async with queue.turn(), engine.begin() as connection:
        yield connection


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only: on SQLite a deferred transaction (no write lock, no
    writer turn; WAL readers see the last commit and never wait for a writer)."""
    async with engine.connect() as connection:
        await connection.execution_options(**{_READ_ONLY: True})
        yield connection


class WriterQueue:
    """The writers of one SQLite database in this process, served first come, first served.

    A task that already holds the turn and opens a second write transaction on the same
    database would wait for itself forever; that raises `RuntimeError` instead.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the turn for the block."""
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            raise RuntimeError("a write transaction opened inside another on the same SQLite database")
        async with self._lock:
            self._holder = task
            try:
                yield
            finally:
                self._holder = None


_QUEUES: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, WriterQueue]] = WeakKeyDictionary()


def writer_queue(engine: AsyncEngine) -> WriterQueue | None:
    """The `WriterQueue` of the engine's SQLite database in the running event loop (one per
    database file, whichever engine or store asks); None on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return None
    queues = _QUEUES.setdefault(asyncio.get_running_loop(), {})
    key = _database_key(engine.url)
    if key not in queues:
        queues[key] = WriterQueue()
    return queues[key]


def _database_key(url: URL) -> str:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return database
    return str(Path(database).expanduser().resolve())
