"""`AgentDirectory` on SQL: the open load of each assignee of a team."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.records import OPEN_STATUSES
from storage.sql.schema import complaints


class SqlAgentDirectory:
    """Counts open complaints (pending, in progress, reopened) per assignee."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def open_load(self, team: str) -> dict[str, int]:
        query = (
            select(complaints.c.assignee, func.count())
            .where(
                complaints.c.team == team,
                complaints.c.assignee.is_not(None),
                complaints.c.status.in_(sorted(str(s) for s in OPEN_STATUSES)),
            )
            .group_by(complaints.c.assignee)
        )
        return {assignee: int(count) for assignee, count in await self._conn.execute(query)}
