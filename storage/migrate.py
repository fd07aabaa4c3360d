"""Applying the Alembic migrations shipped in `storage/migrations`, from code.

`upgrade(url)` is async (for `tousu serve`, which calls it on start); `upgrade_sync(url)`
wraps it for a command line. Both are safe to run at every start and from several
processes at once: on PostgreSQL a transaction-level advisory lock serialises them and
the whole upgrade runs in one transaction; on SQLite the write lock does the same.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.sql.engine import create_engine, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK_ID = 0x70757375  # "tousu", any constant shared by every process


def alembic_config(url: str) -> Config:
    """An Alembic Config for `url`, built in code (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).render_as_string(hide_password=False))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the newest)."""
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            await connection.run_sync(_upgrade_on, config, revision)
    finally:
        await engine.dispose()


def upgrade_sync(url: str, revision: str = "head") -> None:
    """`upgrade` for synchronous callers (not from inside a running event loop)."""
    asyncio.run(upgrade(url, revision))


async def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None before the first migration."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped in the package."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
