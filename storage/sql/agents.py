"""`AgentDirectory` on SQL: the open load of each assignee of a team, and the duty switches.

Inside a pipeline transaction the router reads the manual on/off-duty switches through
this object (it is a `DutyRoster` too), on the transaction's own connection.

Holding a team (`hold_team`, which the router calls before `open_load`): on PostgreSQL a
transaction-level advisory lock per team, so two transactions that route to one team at
once (READ COMMITTED) cannot both count the same open load and fill an agent past
capacity; the second waits for the first to commit, then counts its assignments. On
SQLite every write transaction holds the database's one write lock from its start
(BEGIN IMMEDIATE), so there is nothing more to hold.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.errors import NotFound
from intake.records import OPEN_STATUSES
from storage.sql.routing import duty_overrides
from storage.sql.schema import complaints
from storage.sql.schema_routing import agents

TEAM_LOCK_SPACE = 0x7465616D  # "team": first key of the advisory locks of team assignments
_HOLD_TEAM = text("SELECT pg_advisory_xact_lock(:space, :key)")
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

    async def hold_team(self, team: str) -> None:
        """Hold the assignment of `team`'s complaints until this transaction ends (see the module)."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(_HOLD_TEAM, {"space": TEAM_LOCK_SPACE, "key": team_lock_key(team)})

    async def open_load(self, team: str) -> dict[str, int]:
        """Open complaints per assignee of `team`."""
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


def team_lock_key(team: str) -> int:
    """The second key of `team`'s advisory lock: a stable signed 32-bit hash of its code
    (two teams sharing one only wait for each other)."""
    return zlib.crc32(team.encode()) - 2**31
