"""`ApiTokens` on SQL: only a hash of each bearer token is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.sql.schema import api_tokens


class SqlApiTokens:
    """Creates, finds and revokes API tokens by their hash."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def create(self, name: str, role: str, token_hash: str, at: datetime) -> None:
        await self._conn.execute(api_tokens.insert().values(name=name, role=role, token_hash=token_hash, created_at=at))

    async def find(self, token_hash: str) -> tuple[str, str] | None:
        query = select(api_tokens.c.name, api_tokens.c.role).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else (row.name, row.role)

    async def revoke(self, name: str, at: datetime) -> bool:
        statement = (
            update(api_tokens)
            .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(api_tokens.c.id)
        )
        return len((await self._conn.execute(statement)).all()) > 0
