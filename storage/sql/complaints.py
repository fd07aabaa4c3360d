"""`ComplaintStore` on SQL: complaints, their numbers, transcripts and conversation history."""

from __future__ import annotations

import builtins
import uuid
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import NotFound
from intake.ports import ComplaintFilter
from intake.records import Complaint, ConversationRef, TranscriptEntry
from intake.report_ports import ReportFilter
from storage.crypto import FieldCipher
from storage.sql.complaint_rows import complaint_from_row, complaint_values
from storage.sql.dialect import upsert
from storage.sql.message_rows import conversation_key, entry_from_row, message_values
from storage.sql.schema import complaints, day_sequences, messages
from storage.sql.types import as_utc

NUMBER_DIGITS = 6


class SqlComplaintStore:
    """Complaints by number; messages of conversations and transcripts."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher) -> None:
        self._conn = connection
        self._cipher = cipher

    async def next_number(self, day: date) -> str:
        statement = upsert(self._conn, day_sequences).values(day=day, last=1)
        statement = statement.on_conflict_do_update(
            index_elements=["day"], set_={"last": day_sequences.c.last + 1}
        ).returning(day_sequences.c.last)
        last = (await self._conn.execute(statement)).scalar_one()
        return f"TS-{day:%Y%m%d}-{last:0{NUMBER_DIGITS}d}"

    async def add(self, complaint: Complaint) -> Complaint:
        stored = replace(complaint, id=complaint.id or str(uuid.uuid4()), transcript=list(complaint.transcript))
        await self._conn.execute(complaints.insert().values(id=stored.id, **complaint_values(stored, self._cipher)))
        for entry in stored.transcript:
            values = message_values(stored.conversation, stored.customer_id, stored.id, entry, self._cipher)
            await self._conn.execute(messages.insert().values(**values))
        return stored

    async def save(self, complaint: Complaint) -> None:
        statement = (
            update(complaints)
            .where(complaints.c.number == complaint.number)
            .values(**complaint_values(complaint, self._cipher))
            .returning(complaints.c.id)
        )
        if (await self._conn.execute(statement)).first() is None:
            raise NotFound(f"complaint {complaint.number} does not exist", number=complaint.number)

    async def get(self, number: str, *, with_transcript: bool = True) -> Complaint | None:
        row = (await self._conn.execute(select(complaints).where(complaints.c.number == number))).first()
        if row is None:
            return None
        complaint = complaint_from_row(row._mapping, self._cipher)
        if with_transcript:
            query = (
                select(messages)
                .where(messages.c.complaint_id == complaint.id)
                .order_by(messages.c.created_at, messages.c.id)
            )
            complaint.transcript = [entry_from_row(r._mapping, self._cipher) for r in await self._conn.execute(query)]
        return complaint

    async def list(self, query: ComplaintFilter) -> list[Complaint]:
        statement = _newest_first(select(complaints).where(*filter_conditions(query)))
        statement = statement.limit(max(query.limit, 0)).offset(max(query.offset, 0))
        return [complaint_from_row(r._mapping, self._cipher) for r in await self._conn.execute(statement)]

    async def count(self, query: ComplaintFilter) -> int:
        statement = select(func.count()).select_from(complaints).where(*filter_conditions(query))
        return int((await self._conn.execute(statement)).scalar_one())

    async def for_customer(self, customer_id: str) -> builtins.list[Complaint]:
        statement = _newest_first(select(complaints).where(complaints.c.customer_id == customer_id))
        return [complaint_from_row(r._mapping, self._cipher) for r in await self._conn.execute(statement)]

    async def append_message(
        self,
        conversation: ConversationRef,
        customer_id: str | None,
        complaint_number: str | None,
        entry: TranscriptEntry,
    ) -> None:
        complaint_id = None
        if complaint_number is not None:
            found = select(complaints.c.id).where(complaints.c.number == complaint_number)
            complaint_id = (await self._conn.execute(found)).scalar()
            if complaint_id is None:
                raise NotFound(f"complaint {complaint_number} does not exist", number=complaint_number)
        values = message_values(conversation, customer_id, complaint_id, entry, self._cipher)
        await self._conn.execute(messages.insert().values(**values))

    async def conversation_history(
        self, conversation: ConversationRef, limit: int = 50
    ) -> builtins.list[TranscriptEntry]:
        query = (
            select(messages)
            .where(messages.c.conversation_key == conversation_key(conversation))
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(max(limit, 0))
        )
        rows = list(await self._conn.execute(query))
        return [entry_from_row(r._mapping, self._cipher) for r in reversed(rows)]

    async def update_message(self, conversation: ConversationRef, external_id: str, text: str) -> bool:
        statement = (
            update(messages)
            .where(
                messages.c.conversation_key == conversation_key(conversation),
                messages.c.external_id == external_id,
            )
            .values(text_enc=self._cipher.encrypt(text))
            .returning(messages.c.id)
        )
        return len((await self._conn.execute(statement)).all()) > 0


def _newest_first(statement: Select[Any]) -> Select[Any]:
    return statement.order_by(complaints.c.received_at.desc(), complaints.c.number.desc())


def filter_conditions(query: ComplaintFilter | ReportFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses on `complaints` of a listing's or a report's filter (SLA state aside)."""
    c = complaints.c
    conditions: list[ColumnElement[bool]] = []
    if query.status is not None:
        conditions.append(c.status.in_([str(s) for s in query.status]) if query.status else false())
    equal: dict[str, Any] = {
        "category": query.category,
        "severity": query.severity,
        "channel": query.channel,
        "team": query.team,
        "assignee": query.assignee,
        "customer_id": query.customer_id,
    }
    conditions.extend(c[name] == str(value) for name, value in equal.items() if value is not None)
    if query.received_from is not None:
        conditions.append(c.received_at >= as_utc(query.received_from))
    if query.received_to is not None:
        conditions.append(c.received_at < as_utc(query.received_to))
    return conditions
