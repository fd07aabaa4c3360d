"""Memory implementations of the routing ports (agents and duty, versioned scripts)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from intake.errors import NotFound
from intake.records import QuickReply
from intake.routing_ports import AgentRecord, ScriptVersion


class MemoryAgentRegistry:
    """`AgentRegistry` in a dict."""

    def __init__(self) -> None:
        self._agents: dict[str, AgentRecord] = {}

    async def seed(self, agents: list[AgentRecord], at: datetime) -> None:
        listed = {agent.id for agent in agents}
        for agent in agents:
            known = self._agents.get(agent.id)
            on_duty = known.on_duty if known else None
            changed = known.duty_changed_at if known else None
            self._agents[agent.id] = replace(agent, active=True, on_duty=on_duty, duty_changed_at=changed)
        for agent_id, agent in list(self._agents.items()):
            if agent_id not in listed:
                self._agents[agent_id] = replace(agent, active=False)

    async def list_agents(self) -> list[AgentRecord]:
        return sorted(self._agents.values(), key=lambda agent: (agent.team, agent.id))

    async def get_agent(self, agent: str) -> AgentRecord | None:
        return self._agents.get(agent)

    async def overrides(self) -> dict[str, bool]:
        return {a.id: a.on_duty for a in self._agents.values() if a.on_duty is not None and a.active}

    async def set_on_duty(self, agent: str, on_duty: bool | None, at: datetime) -> None:
        known = self._agents.get(agent)
        if known is None:
            raise NotFound(f"no agent {agent!r}", agent=agent)
        self._agents[agent] = replace(known, on_duty=on_duty, duty_changed_at=at)


class MemoryScriptRepository:
    """`ScriptRepository` in a dict of key → versions."""

    def __init__(self) -> None:
        self._versions: dict[str, list[ScriptVersion]] = {}

    async def current(self) -> dict[str, ScriptVersion]:
        return {key: versions[-1] for key, versions in self._versions.items() if versions}

    async def get(self, key: str, version: int | None = None) -> ScriptVersion | None:
        versions = self._versions.get(key, [])
        if version is None:
            return versions[-1] if versions else None
        return next((v for v in versions if v.version == version), None)

    async def history(self, key: str) -> list[ScriptVersion]:
        return list(self._versions.get(key, []))

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
        versions = self._versions.setdefault(key, [])
        version = ScriptVersion(key, len(versions) + 1, body, at, author, quick_replies, note)
        versions.append(version)
        return version
