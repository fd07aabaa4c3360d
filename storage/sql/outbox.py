"""`Outbox` on SQL: replies waiting for their channel, leased to one dispatcher at a time.

`attempts` counts the failed deliveries recorded so far; a claimed message carries that
count, so a dispatcher can compute its backoff and give up after N.

Order within a conversation: a reply can be claimed only while no earlier reply of its
conversation is still pending. "Earlier" is write order, (`created_at`, `id`): the
replies of one turn share a time and their ids sort by position. "Pending" is neither sent
nor given up (`status` pending), whether due, held back or leased; a reply given up
(status dead: out of attempts or undeliverable, its complaint flagged for a call-back)
no longer holds the conversation. The claim walks the pending replies in write order
(partial index `ix_outbox_pending_order`) and asks that of each with one probe of
`ix_outbox_pending_conversation` on `conversation_key` (sha256 of channel and address),
so a round reads about `limit` replies, not the whole backlog (only replies it must pass
over, held back or behind a held one, add to that).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import NotFound
from intake.ports import Clock
from intake.records import ConversationRef, OutboundMessage, Reply
from storage.crypto import FieldCipher
from storage.sql.schema import outbox

PENDING, SENT, DEAD = "pending", "sent", "dead"
_INSERT = outbox.insert()  # built once, executed with parameters
# In the SQL text, not a parameter: only then may either database use the partial index.
_PENDING_LITERAL: ColumnElement[str] = literal_column(f"'{PENDING}'")


def conversation_key(conversation: ConversationRef) -> str:
    """The outbox's key of a conversation: replies with one key go out in write order."""
    raw = f"{conversation.channel}\x1f{conversation.address}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class SqlOutbox:
    """Replies with a lease: a conditional UPDATE makes sure one caller gets each one."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher, clock: Clock) -> None:
        self._conn = connection
        self._cipher = cipher
        self._clock = clock

    async def put(self, message: OutboundMessage, *, not_before: datetime | None = None) -> None:
        await self._conn.execute(_INSERT, self._values(message, not_before, self._clock.now()))

    async def put_all(self, messages: Sequence[OutboundMessage], *, not_before: datetime | None = None) -> None:
        """Queue `messages` in their order with one (executemany) statement."""
        if len(messages) == 1:
            await self.put(messages[0], not_before=not_before)
        elif messages:
            now = self._clock.now()
            await self._conn.execute(_INSERT, [self._values(m, not_before, now) for m in messages])

    def _values(self, message: OutboundMessage, not_before: datetime | None, now: datetime) -> dict[str, Any]:
        return {
            "id": message.id,
            "conversation": message.conversation.to_json(),
            "conversation_key": conversation_key(message.conversation),
            "reply_enc": self._cipher.encrypt_json(message.reply.to_json()),
            "complaint_number": message.complaint_number,
            "status": PENDING,
            "attempts": message.attempts,
            "not_before": not_before,
            "created_at": now,
        }

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> list[OutboundMessage]:
        if limit <= 0:
            return []
        due = or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now)
        candidates = (
            select(outbox.c.id)
            .where(outbox.c.status == _PENDING_LITERAL, due, _lease_free(now), _first_pending())
            .order_by(outbox.c.created_at, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due_outbox")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        # A materialised CTE: PostgreSQL must pick the rows once, not once per outer row.
        rows = await self._lease(outbox.c.id.in_(select(candidates.c.id)), now, lease_seconds)
        rows.sort(key=lambda r: (r["created_at"], r["id"]))
        return [self._message(r) for r in rows]

    async def claim(self, message_id: str, now: datetime, lease_seconds: float) -> OutboundMessage | None:
        rows = await self._lease(and_(outbox.c.id == message_id, _first_pending()), now, lease_seconds)
        return self._message(rows[0]) if rows else None

    async def mark_sent(self, message_id: str, at: datetime, via: str = "api") -> None:
        await self._set(message_id, status=SENT, sent_at=at, via=via, leased_until=None)

    async def mark_failed(self, message_id: str, error: str, retry_at: datetime | None) -> None:
        changes: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error[:2000], "leased_until": None}
        if retry_at is None:
            changes["status"] = DEAD
        else:
            changes["not_before"] = retry_at
        await self._set(message_id, **changes)

    async def release(self, message_id: str, not_before: datetime) -> None:
        await self._set(message_id, leased_until=None, not_before=not_before)

    async def pending_count(self) -> int:
        statement = select(func.count()).select_from(outbox).where(outbox.c.status == PENDING)
        return int((await self._conn.execute(statement)).scalar_one())

    async def _lease(self, which: ColumnElement[bool], now: datetime, lease_seconds: float) -> list[Any]:
        statement = (
            update(outbox)
            .where(which, outbox.c.status == _PENDING_LITERAL, _lease_free(now))
            .values(leased_until=now + timedelta(seconds=lease_seconds))
            .returning(*outbox.c)
        )
        return [row._mapping for row in await self._conn.execute(statement)]

    async def _set(self, message_id: str, **changes: Any) -> None:
        statement = update(outbox).where(outbox.c.id == message_id).values(**changes).returning(outbox.c.id)
        if (await self._conn.execute(statement)).first() is None:
            raise NotFound(f"outbox message {message_id} does not exist", message_id=message_id)

    def _message(self, row: Any) -> OutboundMessage:
        return OutboundMessage(
            id=row["id"],
            conversation=ConversationRef.from_json(row["conversation"]),
            reply=Reply.from_json(self._cipher.decrypt_json(row["reply_enc"])),
            complaint_number=row["complaint_number"],
            attempts=row["attempts"],
        )


def _lease_free(now: datetime) -> ColumnElement[bool]:
    return or_(outbox.c.leased_until.is_(None), outbox.c.leased_until < now)


def _first_pending() -> ColumnElement[bool]:
    """No earlier reply of the same conversation is pending (see the module's docstring)."""
    earlier = outbox.alias("earlier")
    written_before = or_(
        earlier.c.created_at < outbox.c.created_at,
        and_(earlier.c.created_at == outbox.c.created_at, earlier.c.id < outbox.c.id),
    )
    return ~exists().where(
        earlier.c.conversation_key == outbox.c.conversation_key,
        earlier.c.status == _PENDING_LITERAL,
        written_before,
    )
