"""Tables of routing (issue 5): agents with their duty switch, and versioned reply scripts.

Complaint columns of routing (reopen count, escalation history, SLA pause) live on the
`complaints` table in `schema.py`.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table, Text

from storage.sql.metadata import metadata
from storage.sql.types import UtcDateTime

agents = Table(
    "agents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("team", String(64), nullable=False, index=True),
    Column("capacity", Integer, nullable=False),
    Column("shift", String(64)),
    Column("is_lead", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("on_duty", Boolean),
    Column("duty_changed_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
)

script_versions = Table(
    "script_versions",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("saved_at", UtcDateTime, nullable=False),
    Column("author", String(128)),
    Column("quick_replies", JSON, nullable=False),
    Column("note", Text),
)
