"""`SqlStore`: the `intake.ports.Store` on SQLAlchemy Core, one connection per transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from intake.ports import Clock
from intake.system_clock import SystemClock
from storage.crypto import FieldCipher
from storage.sql.agents import SqlAgentDirectory
from storage.sql.audit import SqlAuditLog
from storage.sql.complaints import SqlComplaintStore
from storage.sql.customers import SqlCustomerDirectory
from storage.sql.engine import create_engine, reading, writing
from storage.sql.inbox import SqlInbox
from storage.sql.outbox import SqlOutbox
from storage.sql.tokens import SqlApiTokens


class SqlTransaction:
    """Every repository of one unit of work, sharing one connection and transaction."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher, clock: Clock) -> None:
        self.connection = connection
        self.inbox = SqlInbox(connection, cipher)
        self.customers = SqlCustomerDirectory(connection, cipher, clock)
        self.complaints = SqlComplaintStore(connection, cipher)
        self.outbox = SqlOutbox(connection, cipher, clock)
        self.audit = SqlAuditLog(connection, cipher)
        self.agents = SqlAgentDirectory(connection)
        self.tokens = SqlApiTokens(connection)


class SqlStore:
    """The source of truth on SQLite (`sqlite:///path`) or PostgreSQL (`postgresql://…`).

    The schema must be in place (`storage.migrate.upgrade`); the engine is created here
    but connects lazily, on the first transaction. On SQLite every transaction waits for
    this process's turn to write (`storage.sql.engine.writing`), which the console's
    store, the agent registry and the script repository on the same file share.
    """

    def __init__(self, url: str, cipher: FieldCipher, clock: Clock | None = None, **engine_options: Any) -> None:
        self.engine: AsyncEngine = create_engine(url, **engine_options)
        self.cipher = cipher
        self.clock: Clock = clock or SystemClock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """Commit when the block ends normally, roll back when it raises."""
        async with writing(self.engine) as connection:
            yield SqlTransaction(connection, self.cipher, self.clock)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqlTransaction]:
        """A transaction for reads only (`storage.sql.engine.reading`)."""
        async with reading(self.engine) as connection:
            yield SqlTransaction(connection, self.cipher, self.clock)

    async def ping(self) -> None:
        async with reading(self.engine) as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
