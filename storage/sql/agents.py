"""`AgentDirectory` on SQL: the open load of each assignee of a team, and the duty switches.

Inside a pipeline transaction the router reads the manual on/off-duty switches through
this object (it is a `DutyRoster` too), on the transaction's own connection.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import NotFound
from intake.records import OPEN_STATUSES
from storage.sql.routing import duty_overrides
from storage.sql.schema import complaints
from storage.sql.schema_routing import agents

# Built once and executed with parameters: no statement construction per routing.
_OPEN_LOAD = (
    select(complaints.c.assignee, func.count())
    .where(
        complaints.c.team == bindparam("b_team"),
        complaints.c.assignee.is_not(None),
        complaints.c.status.in_(sorted(str(s) for s in OPEN_STATUSES)),
    )
    .group_by(complaints.c.assignee)
)


class SqlAgentDirectory:
    """Counts open complaints (pending, in progress, reopened) per assignee."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def open_load(self, team: str) -> dict[str, int]:
        rows = await self._conn.execute(_OPEN_LOAD, {"b_team": team})
        return {assignee: int(count) for assignee, count in rows}

    async def overrides(self) -> dict[str, bool]:
        """agent id → manual duty switch (see `intake.routing_ports.DutyRoster`)."""
        return await duty_overrides(self._conn)

    async def set_on_duty(self, agent: str, on_duty: bool | None, at: datetime) -> None:
        """Switch an agent on or off duty in this transaction; `NotFound` for an unknown agent."""
        statement = (
            update(agents)
            .where(agents.c.id == agent)
            .values(on_duty=on_duty, duty_changed_at=at)
            .returning(agents.c.id)
        )
        if (await self._conn.execute(statement)).first() is None:
            raise NotFound(f"no agent {agent!r}", agent=agent)
