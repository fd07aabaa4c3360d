"""Tables of the agent console: accounts, sessions, notes, follow-ups, corrections, merges.

Free text a customer or an agent wrote is encrypted (`_enc` columns) like the core tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from storage.sql.metadata import metadata
from storage.sql.types import UtcDateTime

SHORT = String(32)

console_users = Table(
    "console_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", SHORT, nullable=False),
    Column("team", String(64)),
    Column("display_name", String(128)),
    Column("password_hash", String(255), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

complaint_notes = Table(
    "complaint_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("complaint_number", SHORT, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("text_enc", Text, nullable=False),
    Column("author", String(128), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

complaint_followups = Table(
    "complaint_followups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("complaint_number", SHORT, nullable=False, index=True),
    Column("text_enc", Text, nullable=False),
    Column("owner", String(64), nullable=False),
    Column("due_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime),
    Column("done_by", String(128)),
)

classification_corrections = Table(
    "classification_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("complaint_number", SHORT, nullable=False, index=True),
    Column("text_enc", Text, nullable=False),
    Column("original_category", SHORT, nullable=False),
    Column("original_severity", SHORT, nullable=False),
    Column("category", SHORT, nullable=False),
    Column("severity", SHORT, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

complaint_merges = Table(
    "complaint_merges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_number", SHORT, nullable=False, unique=True),
    Column("target_number", SHORT, nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)
