"""routing: agents, versioned reply scripts, reopen count, escalations, SLA pause

Revision ID: 0002_routing
Revises: 0001_initial
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql.types

revision: str = "0002_routing"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("shift", sa.String(length=64), nullable=True),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=True),
        sa.Column("duty_changed_at", storage.sql.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", storage.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_team"), ["team"], unique=False)

    op.create_table(
        "script_versions",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("saved_at", storage.sql.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=True),
        sa.Column("quick_replies", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", "version", name=op.f("pk_script_versions")),
    )

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_paused_at", storage.sql.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("escalations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("escalations")
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("sla_paused_at")
    op.drop_table("script_versions")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_team"))
    op.drop_table("agents")
