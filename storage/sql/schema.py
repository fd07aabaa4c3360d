"""The core tables: customers, identities, complaints, messages, numbering, inbox, outbox,
audit events and API tokens.

Columns ending in `_enc` hold `FieldCipher` tokens: personal data and free text never
reach the database in clear. Every timestamp is a `UtcDateTime`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from storage.sql.metadata import metadata
from storage.sql.types import UtcDateTime

ID = String(36)
SHORT = String(32)

customers = Table(
    "customers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name_enc", Text),
    Column("phone_enc", Text),
    Column("phone_hash", String(64), index=True),
    Column("address_enc", Text),
    Column("title", String(64)),
    Column("tier", SHORT, nullable=False),
    Column("order_count", Integer, nullable=False, default=0),
    Column("satisfaction", Float),
    Column("reachable", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("first_service_at", UtcDateTime),  # 0004_reports: the customer's first service, for tenure
)

identities = Table(
    "identities",
    metadata,
    Column("channel", SHORT, primary_key=True),
    Column("user_id", String(255), primary_key=True),
    Column("unionid", String(255), index=True),
    Column("display_name_enc", Text),
    Column("customer_id", ID, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
)

complaints = Table(
    "complaints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("number", SHORT, nullable=False, unique=True),
    Column("customer_id", ID, ForeignKey("customers.id"), nullable=False, index=True),
    Column("channel", SHORT, nullable=False, index=True),
    Column("conversation", JSON, nullable=False),
    Column("received_at", UtcDateTime, nullable=False, index=True),
    Column("content_enc", Text, nullable=False),
    Column("category", SHORT, nullable=False, index=True),
    Column("severity", SHORT, nullable=False, index=True),
    Column("priority", SHORT, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("status", SHORT, nullable=False, index=True),
    Column("source", String(64)),
    Column("cues_enc", Text, nullable=False),
    Column("entities_enc", Text, nullable=False),
    Column("team", String(64), index=True),
    Column("assignee", String(64), index=True),
    Column("first_response_due", UtcDateTime),
    Column("first_feedback_due", UtcDateTime),
    Column("report_due", UtcDateTime),
    Column("first_response_at", UtcDateTime),
    Column("first_feedback_at", UtcDateTime),
    Column("resolved_at", UtcDateTime),
    Column("sla_paused_at", UtcDateTime),
    Column("routing_reasons", JSON, nullable=False),
    Column("repeat_of", SHORT),
    Column("reopen_count", Integer, nullable=False, default=0, server_default="0"),
    Column("escalations", JSON),
    Column("occurred_at", String(64)),
    Column("location_enc", Text),
    Column("order_ref", String(64)),
    Column("worker_ref", String(64), index=True),
    Column("resolution_enc", Text),
    Column("compensation_enc", Text),
    Column("feedback_enc", Text),
    Column("satisfaction", Integer),
    Column("rating_requested_at", UtcDateTime),
    Column("callback_needed", Boolean, nullable=False, default=False),
    Column("updated_at", UtcDateTime),
    Column("last_message_at", UtcDateTime),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_key", String(320), nullable=False),
    Column("conversation", JSON, nullable=False),
    Column("customer_id", ID, ForeignKey("customers.id", ondelete="SET NULL"), index=True),
    Column("complaint_id", ID, ForeignKey("complaints.id", ondelete="CASCADE"), index=True),
    Column("direction", String(16), nullable=False),
    Column("channel", SHORT, nullable=False),
    Column("kind", SHORT, nullable=False),
    Column("text_enc", Text, nullable=False),
    Column("media_enc", Text),
    Column("author", String(64)),
    Column("template", String(128)),
    Column("template_version", Integer),
    Column("external_id", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_messages_conversation_key_created_at", "conversation_key", "created_at"),
    Index("ix_messages_conversation_key_external_id", "conversation_key", "external_id"),
)

day_sequences = Table(
    "day_sequences",
    metadata,
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    Column("key", String(320), primary_key=True),
    Column("received_at", UtcDateTime, nullable=False, index=True),
    Column("result_enc", Text),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("conversation", JSON, nullable=False),
    # sha256 of channel and address (storage.sql.outbox.conversation_key): which replies
    # must reach the customer one after another
    Column("conversation_key", String(64), nullable=False),
    Column("reply_enc", Text, nullable=False),
    Column("complaint_number", SHORT, index=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UtcDateTime),
    Column("leased_until", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("via", String(32)),
    Index("ix_outbox_status_not_before", "status", "not_before"),
    # the claim walks the pending replies in write order and probes, for each, whether an
    # earlier one of its conversation is pending (storage/sql/outbox.py)
    Index(
        "ix_outbox_pending_order",
        "created_at",
        "id",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index(
        "ix_outbox_pending_conversation",
        "conversation_key",
        "created_at",
        "id",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("complaint_number", SHORT, index=True),
    Column("data_enc", Text, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, index=True),
    Column("role", SHORT, nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)
