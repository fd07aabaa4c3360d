"""outbox order: each reply's conversation key; the pending replies indexed in write order

A reply may be claimed only when no earlier pending reply of its conversation exists;
`conversation_key` (sha256 of channel and address) and two partial indexes on the pending
replies (in write order; by conversation, in write order) let the claim walk the pending
replies oldest first and ask that with one index probe each. Existing rows get their key
from their `conversation` JSON.

Revision ID: 0005_outbox_order
Revises: 0004_reports
Create Date: 2026-12-01 17:30:00
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox_order"
down_revision: str | Sequence[str] | None = "0004_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_ONLY = sa.text("status = 'pending'")
_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_key", sa.String(length=64), nullable=True))
    _backfill()
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("conversation_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(
            "ix_outbox_pending_order",
            ["created_at", "id"],
            unique=False,
            postgresql_where=PENDING_ONLY,
            sqlite_where=PENDING_ONLY,
        )
        batch_op.create_index(
            "ix_outbox_pending_conversation",
            ["conversation_key", "created_at", "id"],
            unique=False,
            postgresql_where=PENDING_ONLY,
            sqlite_where=PENDING_ONLY,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending_conversation")
        batch_op.drop_index("ix_outbox_pending_order")
        batch_op.drop_column("conversation_key")


def _backfill() -> None:
    """Compute the key of every existing row (in Python: SQLite has no sha256)."""
    table = sa.table("outbox", sa.column("id", sa.String), sa.column("conversation", sa.JSON))
    key = sa.table("outbox", sa.column("id", sa.String), sa.column("conversation_key", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.conversation).order_by(table.c.id)).all()
    update = (
        sa.update(key).where(key.c.id == sa.bindparam("row_id")).values(conversation_key=sa.bindparam("new_key"))
    )
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        connection.execute(update, [{"row_id": r.id, "new_key": _key(r.conversation)} for r in batch])


def _key(conversation: Any) -> str:
    """storage.sql.outbox.conversation_key as of this revision (kept here so it never changes)."""
    data = json.loads(conversation) if isinstance(conversation, str) else conversation
    raw = f"{data['channel']}\x1f{data['address']}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
