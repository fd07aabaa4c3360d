"""Routing state on SQL: agents with their duty switch, and versioned reply scripts.

`SqlAgentRegistry` and `SqlScriptRepository` open their own short transactions on the
engine (they serve the CLI, the console and the script book outside a pipeline
transaction): reads in a read-only transaction, writes in the writer turn of the
database (`storage.sql.engine.writing`, shared with the store's transactions). Inside a
pipeline transaction the duty switches are read through `storage.sql.agents.SqlAgentDirectory`,
on the same connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from intake.errors import NotFound
from intake.records import QuickReply
from intake.routing_ports import AgentRecord, ScriptVersion
from storage.sql.dialect import upsert
from storage.sql.engine import reading, writing
from storage.sql.schema_routing import agents, script_versions


async def duty_overrides(connection: AsyncConnection) -> dict[str, bool]:
    """agent id → manual duty switch, for active agents that have one."""
    query = select(agents.c.id, agents.c.on_duty).where(agents.c.on_duty.is_not(None), agents.c.active.is_(True))
    return {agent: bool(on_duty) for agent, on_duty in await connection.execute(query)}


def _agent(row: Any) -> AgentRecord:
    return AgentRecord(
        id=row["id"],
        name=row["name"],
        team=row["team"],
        capacity=int(row["capacity"]),
        shift=row["shift"],
        is_lead=bool(row["is_lead"]),
        active=bool(row["active"]),
        on_duty=None if row["on_duty"] is None else bool(row["on_duty"]),
        duty_changed_at=row["duty_changed_at"],
    )


class SqlAgentRegistry:
    """`AgentRegistry` (and `DutyRoster`) on the `agents` table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def seed(self, records: list[AgentRecord], at: datetime) -> None:
        async with writing(self._engine) as connection:
            for record in records:  # an upsert: several processes may seed at the same time
                values = {
                    "name": record.name,
                    "team": record.team,
                    "capacity": record.capacity,
                    "shift": record.shift,
                    "is_lead": record.is_lead,
                    "active": True,
                    "updated_at": at,
                }
                statement = upsert(connection, agents).values(id=record.id, **values)
                await connection.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
            listed = [record.id for record in records]
            await connection.execute(
                update(agents).where(agents.c.id.not_in(listed)).values(active=False, updated_at=at)
            )

    async def list_agents(self) -> list[AgentRecord]:
        async with reading(self._engine) as connection:
            rows = await connection.execute(select(agents).order_by(agents.c.team, agents.c.id))
            return [_agent(row._mapping) for row in rows]

    async def get_agent(self, agent: str) -> AgentRecord | None:
        async with reading(self._engine) as connection:
            row = (await connection.execute(select(agents).where(agents.c.id == agent))).first()
            return _agent(row._mapping) if row is not None else None

    async def overrides(self) -> dict[str, bool]:
        async with reading(self._engine) as connection:
            return await duty_overrides(connection)

    async def set_on_duty(self, agent: str, on_duty: bool | None, at: datetime) -> None:
        async with writing(self._engine) as connection:
            statement = (
                update(agents)
                .where(agents.c.id == agent)
                .values(on_duty=on_duty, duty_changed_at=at)
                .returning(agents.c.id)
            )
            if (await connection.execute(statement)).first() is None:
                raise NotFound(f"no agent {agent!r}", agent=agent)


def _version(row: Any) -> ScriptVersion:
    return ScriptVersion(
        key=row["key"],
        version=int(row["version"]),
        body=row["body"],
        saved_at=row["saved_at"],
        author=row["author"],
        quick_replies=tuple(QuickReply(item["label"], item["payload"]) for item in row["quick_replies"] or ()),
        note=row["note"],
    )


class SqlScriptRepository:
    """`ScriptRepository` on `script_versions`: every save inserts a new row, none is updated."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def current(self) -> dict[str, ScriptVersion]:
        latest = (
            select(script_versions.c.key, func.max(script_versions.c.version).label("version"))
            .group_by(script_versions.c.key)
            .subquery()
        )
        query = select(script_versions).join(
            latest, (script_versions.c.key == latest.c.key) & (script_versions.c.version == latest.c.version)
        )
        async with reading(self._engine) as connection:
            return {row.key: _version(row._mapping) for row in await connection.execute(query)}

    async def get(self, key: str, version: int | None = None) -> ScriptVersion | None:
        query = select(script_versions).where(script_versions.c.key == key)
        if version is None:
            query = query.order_by(script_versions.c.version.desc()).limit(1)
        else:
            query = query.where(script_versions.c.version == version)
        async with reading(self._engine) as connection:
            row = (await connection.execute(query)).first()
            return _version(row._mapping) if row is not None else None

    async def history(self, key: str) -> list[ScriptVersion]:
        query = select(script_versions).where(script_versions.c.key == key).order_by(script_versions.c.version)
        async with reading(self._engine) as connection:
            return [_version(row._mapping) for row in await connection.execute(query)]

    async def save(
        self,
        key: str,
        body: str,
        at: datetime,
        *,
        author: str | None = None,
        quick_replies: tuple[QuickReply, ...] = (),
        note: str | None = None,
    ) -> ScriptVersion:
        async with writing(self._engine) as connection:
            last = (
                await connection.execute(
                    select(func.max(script_versions.c.version)).where(script_versions.c.key == key)
                )
            ).scalar_one()
            version = ScriptVersion(key, int(last or 0) + 1, body, at, author, quick_replies, note)
            await connection.execute(
                script_versions.insert().values(
                    key=key,
                    version=version.version,
                    body=body,
                    saved_at=at,
                    author=author,
                    quick_replies=[{"label": q.label, "payload": q.payload} for q in quick_replies],
                    note=note,
                )
            )
        return version
