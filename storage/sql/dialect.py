"""The few statements whose syntax differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT that supports `on_conflict_do_nothing/update` for the connection's dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class PerDialect:
    """A statement built once per dialect by `build(insert)`, `insert` being the dialect's
    `insert` (with `on_conflict_do_…`); `for_(connection)` gives the connection's one.

    Built once, a statement keeps its cache key, so executing it with a parameter dict
    skips SQLAlchemy's statement construction and cache-key walk on every call.
    """

    def __init__(self, build: Callable[[Callable[[Table], Any]], Any]) -> None:
        self._statements = {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}

    def for_(self, connection: AsyncConnection) -> Any:
        """The statement for the connection's dialect."""
        return self._statements[connection.dialect.name]
