"""The Alembic migrations build exactly the schema of the MetaData, safely and repeatably."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from intake.records import ChannelName, ConversationRef, Reply
from storage.crypto import FieldCipher
from storage.migrate import current_revision, head_revision, upgrade
from storage.sql.engine import create_engine
from storage.sql.metadata import load_all
from storage.sql.outbox import conversation_key
from storage.sql.schema import outbox
from storage.sql.store import SqlStore
from storage.sql.types import UtcDateTime

ROOT = Path(__file__).resolve().parents[2]


# The outbox as revision 0004 left it: no conversation key yet.
OUTBOX_AT_0004 = sa.Table(
    "outbox",
    sa.MetaData(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("conversation", sa.JSON),
    sa.Column("reply_enc", sa.Text),
    sa.Column("complaint_number", sa.String(32)),
    sa.Column("status", sa.String(16)),
    sa.Column("attempts", sa.Integer),
    sa.Column("created_at", UtcDateTime),
)


def _old_row(cipher: FieldCipher, reply_id: str, address: str, status: str, written: datetime) -> dict[str, Any]:
    conversation = ConversationRef(ChannelName.TELEGRAM, address, {"chat_type": "private"})
    return {
        "id": reply_id,
        "conversation": conversation.to_json(),
        "reply_enc": cipher.encrypt_json(Reply(f"reply {reply_id}").to_json()),
        "complaint_number": None,
        "status": status,
        "attempts": 0,
        "created_at": written,
    }


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


async def test_outbox_order_upgrade_keys_existing_replies(database_url: str) -> None:
    """0005 gives the replies already in the outbox their conversation key, and the claim
    then holds a reply behind an earlier pending one of its conversation."""
    await upgrade(database_url, "0004_reports")
    cipher, at = FieldCipher(os.urandom(32)), datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    rows = {  # id: (address, status, written)
        "a-old-sent": ("42", "sent", at - timedelta(minutes=9)),
        "b-first": ("42", "pending", at),
        "c-second": ("42", "pending", at + timedelta(seconds=1)),
        "d-elsewhere": ("77", "pending", at + timedelta(seconds=2)),
    }
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(OUTBOX_AT_0004.insert(), [_old_row(cipher, i, *row) for i, row in rows.items()])
    finally:
        await engine.dispose()

    await upgrade(database_url)
    store = SqlStore(database_url, cipher)
    try:
        async with store.engine.connect() as connection:
            keys = dict((await connection.execute(sa.select(outbox.c.id, outbox.c.conversation_key))).all())
        assert keys == {
            key: conversation_key(ConversationRef(ChannelName.TELEGRAM, address))
            for key, (address, _, _) in rows.items()
        }
        async with store.transaction() as tx:
            claimed = await tx.outbox.claim_due(at + timedelta(minutes=1), 10, 30)
        assert [message.id for message in claimed] == ["b-first", "d-elsewhere"]
    finally:
        await store.close()
