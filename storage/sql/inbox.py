"""`Inbox` on SQL: the idempotency record of every message taken in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import NotFound
from storage.crypto import FieldCipher
from storage.sql.dialect import PerDialect
from storage.sql.schema import inbox

# Built once and executed with parameters (see `storage.sql.dialect.PerDialect`).
_CLAIM = PerDialect(lambda insert: insert(inbox).on_conflict_do_nothing(index_elements=["key"]).returning(inbox.c.key))
_RECORD = update(inbox).where(inbox.c.key == bindparam("b_key")).returning(inbox.c.key)
_RESULT = select(inbox.c.result_enc).where(inbox.c.key == bindparam("b_key"))


class SqlInbox:
    """Claims message keys with INSERT … ON CONFLICT DO NOTHING; results are encrypted."""

    def __init__(self, connection: AsyncConnection, cipher: FieldCipher) -> None:
        self._conn = connection
        self._cipher = cipher

    async def claim(self, key: str, at: datetime) -> bool:
        claimed = await self._conn.execute(_CLAIM.for_(self._conn), {"key": key, "received_at": at})
        return claimed.first() is not None

    async def record_result(self, key: str, result: dict[str, Any]) -> None:
        values = {"b_key": key, "result_enc": self._cipher.encrypt_json(result)}
        if (await self._conn.execute(_RECORD, values)).first() is None:
            raise NotFound(f"inbox key {key!r} was never claimed", key=key)

    async def result(self, key: str) -> dict[str, Any] | None:
        token = (await self._conn.execute(_RESULT, {"b_key": key})).scalar()
        if token is None:
            return None
        value: dict[str, Any] = self._cipher.decrypt_json(token)
        return value
