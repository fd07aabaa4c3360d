"""`AuditLog` on SQL: the append-only trail (event data encrypted: it may quote a customer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.records import Event
from storage.crypto import FieldCipher
from storage.sql.schema import audit_events

# Built once and executed with parameters: no statement construction per event.
_INSERT = audit_events.insert()
_FOR_COMPLAINT = (
    select(audit_events)
    .where(audit_events.c.complaint_number == bindparam("b_number"))
    .order_by(audit_events.c.at, audit_events.c.id)
)


class SqlAuditLog:
    """Appends events and reads a complaint's events back, oldest first."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher) -> None:
        self._conn = connection
        self._cipher = cipher

    async def append(self, event: Event) -> None:
        await self._conn.execute(_INSERT, self._values(event))

    async def append_all(self, events: Sequence[Event]) -> None:
        """Add `events` in their order with one (executemany) statement."""
        if len(events) == 1:
            await self.append(events[0])
        elif events:
            await self._conn.execute(_INSERT, [self._values(event) for event in events])

    async def for_complaint(self, number: str) -> list[Event]:
        return [
            Event(
                actor=row.actor,
                action=row.action,
                at=row.at,
                complaint_number=row.complaint_number,
                data=self._cipher.decrypt_json(row.data_enc),
            )
            for row in await self._conn.execute(_FOR_COMPLAINT, {"b_number": number})
        ]

    def _values(self, event: Event) -> dict[str, Any]:
        return {
            "at": event.at,
            "actor": event.actor,
            "action": event.action,
            "complaint_number": event.complaint_number,
            "data_enc": self._cipher.encrypt_json(event.data),
        }
