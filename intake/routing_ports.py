"""Ports of routing, SLA and reply scripts that persist state (new in issue 5).

Implementations: memory ones in `storage.memory_routing` (embedded default and tests),
SQL ones in `storage.sql.routing`. The router, the scripts and the SLA watcher use
only these Protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from intake.records import Complaint, QuickReply


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
class SlaStep:
    """An escalation step that was carried out for one deadline of a complaint."""

    complaint_number: str
    deadline: str
    step: int
    action: str
    at: datetime


class SlaLedger(Protocol):
    """Which escalation steps were already done, so a restart does not repeat them."""

    async def done(self, complaint_number: str) -> list[SlaStep]:
        """Steps done for a complaint, oldest first."""
        ...

    async def record(self, step: SlaStep) -> bool:
        """Record a step; False when it was already recorded (another worker did it)."""
        ...

    async def forget(self, complaint_number: str) -> None:
        """Drop the steps of a complaint (its deadlines were moved)."""
        ...


@dataclass(frozen=True, slots=True)
class EscalationRung:
    """One step of the escalation ladder as the SLA watcher sees it."""

    delay_seconds: float
    action: str
    when_not_started: bool = False


class EscalationPolicy(Protocol):
    """The ladder, the people it escalates to, and a fresh owner when a complaint is reassigned."""

    def ladder(self, complaint: Complaint, deadline: str) -> list[EscalationRung]:
        """The steps after `deadline` ("first_response", "first_feedback", "report") is missed."""
        ...

    def lead_of(self, team: str | None) -> str | None:
        """The lead of a team (None when unknown)."""
        ...

    def management(self) -> tuple[str, str | None]:
        """(management team code, its lead)."""
        ...

    async def pick_agent(self, complaint: Complaint, exclude: tuple[str, ...], load: dict[str, int]) -> str | None:
        """Another on-duty agent of the complaint's team with capacity, or None."""
        ...
