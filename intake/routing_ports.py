"""Ports of routing, SLA and reply scripts that persist state (new in issue 5).

Implementations: memory ones in `storage.memory_routing` (embedded default and tests),
SQL ones in `storage.sql.routing`. The router, the scripts and the SLA watcher use
only these Protocols. Escalation steps already taken are kept on the complaint itself
(`Complaint.escalations`), written in the same transaction as the complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from intake.records import QuickReply


@runtime_checkable
class DutyRoster(Protocol):
    """Agents switched on or off duty by hand; without an entry the agent's shift decides."""

    async def overrides(self) -> dict[str, bool]:
        """agent id → True (on duty) or False (off duty), for agents with a manual setting."""
        ...

    async def set_on_duty(self, agent: str, on_duty: bool | None, at: datetime) -> None:
        """Switch an agent on or off duty; None removes the manual setting (the shift decides)."""
        ...


@dataclass(frozen=True, slots=True)
class ScriptVersion:
    """One saved version of a reply script (话术)."""

    key: str
    version: int
    body: str
    saved_at: datetime
    author: str | None = None
    quick_replies: tuple[QuickReply, ...] = ()
    note: str | None = None


class ScriptRepository(Protocol):
    """Versioned reply scripts: every save adds a version, none is ever overwritten."""

    async def current(self) -> dict[str, ScriptVersion]:
        """The latest version of every key that was saved."""
        ...

    async def get(self, key: str, version: int | None = None) -> ScriptVersion | None:
        """One version of a key (the latest when `version` is None)."""
        ...

    async def history(self, key: str) -> list[ScriptVersion]:
        """Every version of a key, oldest first."""
        ...

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
        """Store a new version (the previous latest + 1, or 1) and return it."""
        ...


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent as stored: seeded from the routing rules' teams; `on_duty` None lets the shift decide."""

    id: str
    name: str
    team: str
    capacity: int
    shift: str | None = None
    is_lead: bool = False
    active: bool = True
    on_duty: bool | None = None
    duty_changed_at: datetime | None = None


class AgentRegistry(DutyRoster, Protocol):
    """The stored agents (for the duty switch, the console and the CLI)."""

    async def seed(self, agents: list[AgentRecord], at: datetime) -> None:
        """Insert or update these agents (name, team, capacity, shift, lead), keeping their duty
        switch; agents no longer listed are marked inactive."""
        ...

    async def list_agents(self) -> list[AgentRecord]:
        """Every stored agent, by team then id."""
        ...

    async def get_agent(self, agent: str) -> AgentRecord | None:
        """One agent by id."""
        ...
