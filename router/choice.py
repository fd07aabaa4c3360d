"""Load-aware choice of an agent inside a team, round robin between equals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from intake.routing_ports import DutyRoster
from router.calendar import BusinessCalendar
from router.config import Agent, Team


@dataclass(frozen=True, slots=True)
class Choice:
    """The chosen agent (None: nobody free, the complaint waits in the team queue)."""

    agent: Agent | None
    load: int = 0
    on_duty: int = 0


class AgentChooser:
    """Picks the on-duty member with the lowest open/capacity ratio below capacity.

    Ties go round robin in member order, starting after the agent last chosen in the team
    (per process: with several workers the spread is still even, just not strictly cyclic).
    """

    def __init__(self, calendar: BusinessCalendar, roster: DutyRoster | None = None) -> None:
        self._calendar = calendar
        self._roster = roster
        self._last: dict[str, str] = {}

    async def on_duty(self, team: Team, now: datetime, roster: DutyRoster | None = None) -> list[Agent]:
        """Members of `team` on duty at `now`: a manual setting wins, else the member's shift."""
        roster = roster or self._roster
        overrides = await roster.overrides() if roster is not None else {}
        return [agent for agent in team.members if self._is_on_duty(team, agent, now, overrides)]

    def _is_on_duty(self, team: Team, agent: Agent, now: datetime, overrides: dict[str, bool]) -> bool:
        if agent.id in overrides:
            return overrides[agent.id]
        if agent.shift is None:
            return True
        return team.shifts[agent.shift].covers(now, self._calendar)

    async def choose(
        self,
        team: Team,
        load: dict[str, int],
        now: datetime,
        exclude: tuple[str, ...] = (),
        *,
        roster: DutyRoster | None = None,
    ) -> Choice:
        """The agent to own the next complaint of `team`, given `load` (open complaints per agent).

        `roster` (the caller's duty switches) replaces the one given at construction.
        """
        present = [agent for agent in await self.on_duty(team, now, roster) if agent.id not in exclude]
        free = [agent for agent in present if agent.capacity > 0 and load.get(agent.id, 0) < agent.capacity]
        if not free:
            return Choice(None, 0, len(present))
        lowest = min(Fraction(load.get(agent.id, 0), agent.capacity) for agent in free)
        equals = [agent for agent in free if Fraction(load.get(agent.id, 0), agent.capacity) == lowest]
        chosen = self._next_after(team, equals)
        self._last[team.code] = chosen.id
        return Choice(chosen, load.get(chosen.id, 0), len(present))

    def _next_after(self, team: Team, equals: list[Agent]) -> Agent:
        order = [agent.id for agent in team.members]
        last = self._last.get(team.code)
        if last is None or last not in order:
            return equals[0]
        start = order.index(last)
        return min(equals, key=lambda agent: (order.index(agent.id) - start - 1) % len(order))
