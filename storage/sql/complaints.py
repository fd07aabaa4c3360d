"""`ComplaintStore` on SQL: complaints, their numbers, transcripts and conversation history."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import NotFound
from intake.ports import ComplaintFilter
from intake.records import Complaint, ConversationRef, TranscriptEntry
from intake.report_ports import ReportFilter
from storage.crypto import FieldCipher
from storage.sql.complaint_rows import complaint_from_row, complaint_values
from storage.sql.dialect import PerDialect
from storage.sql.message_rows import conversation_key, entry_from_row, message_values
from storage.sql.schema import complaints, day_sequences, messages
from storage.sql.types import as_utc

NUMBER_DIGITS = 6

# The statements of the intake path, built once and executed with parameters (see
# `storage.sql.dialect.PerDialect`); where-clause parameters are named `b_…` so that
# they cannot clash with the SET columns of an UPDATE.
_NEXT_NUMBER = PerDialect(
    lambda insert: (
        insert(day_sequences)
        .values(day=bindparam("b_day"), last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": day_sequences.c.last + 1})
        .returning(day_sequences.c.last)
    )
)
_INSERT = complaints.insert()
_INSERT_MESSAGE = messages.insert()
_SAVE = update(complaints).where(complaints.c.number == bindparam("b_number")).returning(complaints.c.id)
_BY_NUMBER = select(complaints).where(complaints.c.number == bindparam("b_number"))
_BY_NUMBER_LOCKED = _BY_NUMBER.with_for_update()  # SQLAlchemy leaves FOR UPDATE out on SQLite
_ID_BY_NUMBER = select(complaints.c.id).where(complaints.c.number == bindparam("b_number"))
_TRANSCRIPT = (
    select(messages)
    .where(messages.c.complaint_id == bindparam("b_complaint_id"))
    .order_by(messages.c.created_at, messages.c.id)
)


class SqlComplaintStore:
    """Complaints by number; messages of conversations and transcripts."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher) -> None:
        self._conn = connection
        self._cipher = cipher
        # number → id of the complaints this transaction added or read by number or
        # customer (a number never changes), so that appending to a transcript need not
        # look the id up again
        self._ids: dict[str, str] = {}

    async def next_number(self, day: date) -> str:
        last = (await self._conn.execute(_NEXT_NUMBER.for_(self._conn), {"b_day": day})).scalar_one()
        return f"TS-{day:%Y%m%d}-{last:0{NUMBER_DIGITS}d}"

    async def add(self, complaint: Complaint) -> Complaint:
        stored = replace(complaint, id=complaint.id or str(uuid.uuid4()), transcript=list(complaint.transcript))
        assert stored.id is not None
        await self._conn.execute(_INSERT, {"id": stored.id, **complaint_values(stored, self._cipher)})
        self._ids[stored.number] = stored.id
        await self._insert_messages(stored.conversation, stored.customer_id, stored.id, stored.transcript)
        return stored

    async def save(self, complaint: Complaint) -> None:
        values = {"b_number": complaint.number, **complaint_values(complaint, self._cipher)}
        if (await self._conn.execute(_SAVE, values)).first() is None:
            raise NotFound(f"complaint {complaint.number} does not exist", number=complaint.number)

    async def get(self, number: str, *, with_transcript: bool = True, for_update: bool = False) -> Complaint | None:
        query = _BY_NUMBER_LOCKED if for_update else _BY_NUMBER
        row = (await self._conn.execute(query, {"b_number": number})).first()
        if row is None:
            return None
        complaint = complaint_from_row(row._mapping, self._cipher)
        if complaint.id is not None:
            self._ids[number] = complaint.id
        if with_transcript:
            rows = await self._conn.execute(_TRANSCRIPT, {"b_complaint_id": complaint.id})
            complaint.transcript = [entry_from_row(r._mapping, self._cipher) for r in rows]
        return complaint

    async def list(self, query: ComplaintFilter) -> list[Complaint]:
        statement = _newest_first(select(complaints).where(*filter_conditions(query)))
        statement = statement.limit(max(query.limit, 0)).offset(max(query.offset, 0))
        return [complaint_from_row(r._mapping, self._cipher) for r in await self._conn.execute(statement)]

    async def count(self, query: ComplaintFilter) -> int:
        statement = select(func.count()).select_from(complaints).where(*filter_conditions(query))
        return int((await self._conn.execute(statement)).scalar_one())

    async def for_customer(self, customer_id: str) -> builtins.list[Complaint]:
        rows = await self._conn.execute(_FOR_CUSTOMER, {"b_customer_id": customer_id})
        found = [complaint_from_row(r._mapping, self._cipher) for r in rows]
        self._ids.update((c.number, c.id) for c in found if c.id is not None)
        return found

    async def append_message(
        self,
        conversation: ConversationRef,
        customer_id: str | None,
        complaint_number: str | None,
        entry: TranscriptEntry,
    ) -> None:
        await self.append_messages(conversation, customer_id, complaint_number, (entry,))

    async def append_messages(
        self,
        conversation: ConversationRef,
        customer_id: str | None,
        complaint_number: str | None,
        entries: Sequence[TranscriptEntry],
    ) -> None:
        """Append `entries` in their order with one (executemany) statement."""
        if not entries:
            return
        complaint_id = None if complaint_number is None else await self._id_of(complaint_number)
        await self._insert_messages(conversation, customer_id, complaint_id, entries)

    async def _id_of(self, number: str) -> str:
        complaint_id = self._ids.get(number)
        if complaint_id is None:
            complaint_id = (await self._conn.execute(_ID_BY_NUMBER, {"b_number": number})).scalar()
            if complaint_id is None:
                raise NotFound(f"complaint {number} does not exist", number=number)
            self._ids[number] = complaint_id
        return complaint_id

    async def _insert_messages(
        self,
        conversation: ConversationRef,
        customer_id: str | None,
        complaint_id: str | None,
        entries: Sequence[TranscriptEntry],
    ) -> None:
        rows = [message_values(conversation, customer_id, complaint_id, entry, self._cipher) for entry in entries]
        if rows:
            await self._conn.execute(_INSERT_MESSAGE, rows[0] if len(rows) == 1 else rows)

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


_FOR_CUSTOMER = _newest_first(select(complaints).where(complaints.c.customer_id == bindparam("b_customer_id")))


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
