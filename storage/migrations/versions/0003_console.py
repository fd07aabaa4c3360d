"""console: accounts, sessions, notes, follow-ups, corrections, merges

Revision ID: 0003_console
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql.types

revision: str = "0003_console"
down_revision: str | Sequence[str] | None = "0002_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = storage.sql.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_TIME, nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
        sa.UniqueConstraint("username", name=op.f("uq_console_users_username")),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
    )
    op.create_index(op.f("ix_console_sessions_user_id"), "console_sessions", ["user_id"], unique=False)
    op.create_index(op.f("ix_console_sessions_expires_at"), "console_sessions", ["expires_at"], unique=False)
    op.create_table(
        "complaint_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("complaint_number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_notes")),
    )
    op.create_index(op.f("ix_complaint_notes_complaint_number"), "complaint_notes", ["complaint_number"], unique=False)
    op.create_table(
        "complaint_followups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("complaint_number", sa.String(length=32), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("done_at", UTC_TIME, nullable=True),
        sa.Column("done_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_followups")),
    )
    op.create_index(
        op.f("ix_complaint_followups_complaint_number"), "complaint_followups", ["complaint_number"], unique=False
    )
    op.create_table(
        "classification_corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("complaint_number", sa.String(length=32), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("original_category", sa.String(length=32), nullable=False),
        sa.Column("original_severity", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_corrections")),
    )
    op.create_index(
        op.f("ix_classification_corrections_complaint_number"),
        "classification_corrections",
        ["complaint_number"],
        unique=False,
    )
    op.create_table(
        "complaint_merges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_number", sa.String(length=32), nullable=False),
        sa.Column("target_number", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_merges")),
        sa.UniqueConstraint("source_number", name=op.f("uq_complaint_merges_source_number")),
    )
    op.create_index(op.f("ix_complaint_merges_target_number"), "complaint_merges", ["target_number"], unique=False)


def downgrade() -> None:
    for name in ("complaint_merges", "classification_corrections", "complaint_followups", "complaint_notes"):
        op.drop_table(name)
    op.drop_table("console_sessions")
    op.drop_table("console_users")
