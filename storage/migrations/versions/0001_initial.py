"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23 19:06:25.466132
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql.types


revision: str = '0001_initial'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', storage.sql.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_name'), ['name'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', storage.sql.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('complaint_number', sa.String(length=32), nullable=True),
    sa.Column('data_enc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_complaint_number'), ['complaint_number'], unique=False)

    op.create_table('customers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name_enc', sa.Text(), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('address_enc', sa.Text(), nullable=True),
    sa.Column('title', sa.String(length=64), nullable=True),
    sa.Column('tier', sa.String(length=32), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('satisfaction', sa.Float(), nullable=True),
    sa.Column('reachable', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.sql.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_phone_hash'), ['phone_hash'], unique=False)

    op.create_table('day_sequences',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_day_sequences'))
    )
    op.create_table('inbox',
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('received_at', storage.sql.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('result_enc', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_inbox'))
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_received_at'), ['received_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('conversation', sa.JSON(), nullable=False),
    sa.Column('reply_enc', sa.Text(), nullable=False),
    sa.Column('complaint_number', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('leased_until', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', storage.sql.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('via', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_complaint_number'), ['complaint_number'], unique=False)
        batch_op.create_index('ix_outbox_status_not_before', ['status', 'not_before'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('conversation', sa.JSON(), nullable=False),
    sa.Column('received_at', storage.sql.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('content_enc', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.String(length=32), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('cues_enc', sa.Text(), nullable=False),
    sa.Column('entities_enc', sa.Text(), nullable=False),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('first_response_due', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('first_feedback_due', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('report_due', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('first_feedback_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('routing_reasons', sa.JSON(), nullable=False),
    sa.Column('repeat_of', sa.String(length=32), nullable=True),
    sa.Column('occurred_at', sa.String(length=64), nullable=True),
    sa.Column('location_enc', sa.Text(), nullable=True),
    sa.Column('order_ref', sa.String(length=64), nullable=True),
    sa.Column('worker_ref', sa.String(length=64), nullable=True),
    sa.Column('resolution_enc', sa.Text(), nullable=True),
    sa.Column('compensation_enc', sa.Text(), nullable=True),
    sa.Column('feedback_enc', sa.Text(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('rating_requested_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('callback_needed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_message_at', storage.sql.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaints_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('number', name=op.f('uq_complaints_number'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_assignee'), ['assignee'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_team'), ['team'], unique=False)

    op.create_table('identities',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('unionid', sa.String(length=255), nullable=True),
    sa.Column('display_name_enc', sa.Text(), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_identities_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel', 'user_id', name=op.f('pk_identities'))
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identities_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identities_unionid'), ['unionid'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_key', sa.String(length=320), nullable=False),
    sa.Column('conversation', sa.JSON(), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('complaint_id', sa.String(length=36), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=False),
    sa.Column('media_enc', sa.Text(), nullable=True),
    sa.Column('author', sa.String(length=64), nullable=True),
    sa.Column('template', sa.String(length=128), nullable=True),
    sa.Column('template_version', sa.Integer(), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', storage.sql.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_messages_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_messages_conversation_key_created_at', ['conversation_key', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_conversation_key_external_id', ['conversation_key', 'external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_customer_id'), ['customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_customer_id'))
        batch_op.drop_index('ix_messages_conversation_key_external_id')
        batch_op.drop_index('ix_messages_conversation_key_created_at')
        batch_op.drop_index(batch_op.f('ix_messages_complaint_id'))

    op.drop_table('messages')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identities_unionid'))
        batch_op.drop_index(batch_op.f('ix_identities_customer_id'))

    op.drop_table('identities')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_team'))
        batch_op.drop_index(batch_op.f('ix_complaints_status'))
        batch_op.drop_index(batch_op.f('ix_complaints_severity'))
        batch_op.drop_index(batch_op.f('ix_complaints_received_at'))
        batch_op.drop_index(batch_op.f('ix_complaints_customer_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_category'))
        batch_op.drop_index(batch_op.f('ix_complaints_assignee'))

    op.drop_table('complaints')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_not_before')
        batch_op.drop_index(batch_op.f('ix_outbox_complaint_number'))

    op.drop_table('outbox')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_received_at'))

    op.drop_table('inbox')
    op.drop_table('day_sequences')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone_hash'))

    op.drop_table('customers')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_complaint_number'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_name'))

    op.drop_table('api_tokens')
