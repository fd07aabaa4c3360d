"""Alembic environment of tousu.

Normally run through `storage.migrate`, which hands over an open connection in
`config.attributes["connection"]`. Run by the `alembic` command line instead, it opens
its own async engine from `sqlalchemy.url`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.sql.engine import create_engine
from storage.sql.metadata import load_all

target_metadata = load_all()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    shared = context.config.attributes.get("connection")
    if shared is not None:
        _run(shared)
    else:
        asyncio.run(_run_with_own_engine(str(context.config.get_main_option("sqlalchemy.url"))))
