"""reports: the customer's first service date; indexes for the dashboard and the ledger

Revision ID: 0004_reports
Revises: 0003_console
Create Date: 2026-12-01 13:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql.types


revision: str = '0004_reports'
down_revision: str | Sequence[str] | None = '0003_console'  # was '0001_initial'; chained after merging the console branch
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_service_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_worker_ref'), ['worker_ref'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_worker_ref'))
        batch_op.drop_index(batch_op.f('ix_complaints_channel'))

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('first_service_at')
