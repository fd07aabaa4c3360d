"""The Alembic migrations build exactly the schema of the MetaData, safely and repeatably."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.migrate import current_revision, head_revision, upgrade
from storage.sql.engine import create_engine
from storage.sql.metadata import load_all

ROOT = Path(__file__).resolve().parents[2]


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, load_all()))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str) -> tuple[set[str], list[Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_table_names), await connection.run_sync(_schema_diff)
    finally:
        await engine.dispose()


async def test_upgrade_builds_the_metadata_schema(database_url: str) -> None:
    assert await current_revision(database_url) is None
    await upgrade(database_url)
    tables, diff = await _inspect(database_url)
    assert set(load_all().tables) <= tables
    assert "alembic_version" in tables
    assert diff == []
    assert await current_revision(database_url) == head_revision()


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)
    assert await current_revision(database_url) == head_revision()


def test_first_revision_id() -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_revision("0001_initial") is not None
    assert [r.revision for r in script.walk_revisions()][-1] == "0001_initial"
    assert script.get_revision("0002_routing").down_revision == "0001_initial"


def test_two_processes_upgrade_at_once(database_url: str) -> None:
    code = "import sys; from storage.migrate import upgrade_sync; upgrade_sync(sys.argv[1])"
    processes = [
        subprocess.Popen([sys.executable, "-c", code, database_url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], errors
