"""`Inbox` on SQL: the idempotency record of every message taken in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import NotFound
from storage.crypto import FieldCipher
from storage.sql.dialect import upsert
from storage.sql.schema import inbox


class SqlInbox:
    """Claims message keys with INSERT … ON CONFLICT DO NOTHING; results are encrypted."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher) -> None:
        self._conn = connection
        self._cipher = cipher

    async def claim(self, key: str, at: datetime) -> bool:
        statement = (
            upsert(self._conn, inbox)
            .values(key=key, received_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(inbox.c.key)
        )
        return (await self._conn.execute(statement)).first() is not None

    async def record_result(self, key: str, result: dict[str, Any]) -> None:
        statement = (
            update(inbox)
            .where(inbox.c.key == key)
            .values(result_enc=self._cipher.encrypt_json(result))
            .returning(inbox.c.key)
        )
        if (await self._conn.execute(statement)).first() is None:
            raise NotFound(f"inbox key {key!r} was never claimed", key=key)

    async def result(self, key: str) -> dict[str, Any] | None:
        token = (await self._conn.execute(select(inbox.c.result_enc).where(inbox.c.key == key))).scalar()
        if token is None:
            return None
        value: dict[str, Any] = self._cipher.decrypt_json(token)
        return value
