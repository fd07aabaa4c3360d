"""`AuditLog` on SQL: the append-only trail (event data encrypted: it may quote a customer)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.records import Event
from storage.crypto import FieldCipher
from storage.sql.schema import audit_events


class SqlAuditLog:
    """Appends events and reads a complaint's events back, oldest first."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher) -> None:
        self._conn = connection
        self._cipher = cipher

    async def append(self, event: Event) -> None:
        await self._conn.execute(
            audit_events.insert().values(
                at=event.at,
                actor=event.actor,
                action=event.action,
                complaint_number=event.complaint_number,
                data_enc=self._cipher.encrypt_json(event.data),
            )
        )

    async def for_complaint(self, number: str) -> list[Event]:
        query = (
            select(audit_events)
            .where(audit_events.c.complaint_number == number)
            .order_by(audit_events.c.at, audit_events.c.id)
        )
        return [
            Event(
                actor=row.actor,
                action=row.action,
                at=row.at,
                complaint_number=row.complaint_number,
                data=self._cipher.decrypt_json(row.data_enc),
            )
            for row in await self._conn.execute(query)
        ]
