"""Durations written in rules files: "90s", "30m", "24h", "2d", "30m@service", "7wd".

A plain duration is elapsed (wall-clock) time. "@service" counts only the service hours of
the business calendar. "wd" counts working days on the Chinese working-day calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from intake.errors import ConfigError
from intake.messages import entry
from router import messages as _messages  # noqa: F401 - registers the catalogue entries


class Clock(StrEnum):
    """How a duration is counted."""

    ELAPSED = "elapsed"
    SERVICE = "service"
    WORKDAYS = "workdays"


_PATTERN = re.compile(r"^\s*(\d+)\s*(s|m|h|d|wd)\s*(@service)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Duration:
    """A span of time and the clock it is counted on."""

    amount: int
    unit: str
    clock: Clock

    @property
    def delta(self) -> timedelta:
        """The span as a timedelta (working days count as days)."""
        if self.unit == "wd":
            return timedelta(days=self.amount)
        return timedelta(seconds=self.amount * _UNIT_SECONDS[self.unit])

    def __str__(self) -> str:
        suffix = "@service" if self.clock is Clock.SERVICE else ""
        return f"{self.amount}{self.unit}{suffix}"


def parse_duration(text: object, where: str) -> Duration:
    """Parse a duration; `where` names the setting in the error message."""
    if not isinstance(text, str):
        raise ConfigError(entry("router.duration.not_text", where=where, value=repr(text)))
    match = _PATTERN.match(text)
    if match is None:
        raise ConfigError(entry("router.duration.bad", where=where, value=repr(text)))
    amount, unit, service = int(match[1]), match[2], match[3]
    if unit == "wd" and service:
        raise ConfigError(entry("router.duration.workdays_service", where=where, value=repr(text)))
    clock = Clock.WORKDAYS if unit == "wd" else Clock.SERVICE if service else Clock.ELAPSED
    return Duration(amount, unit, clock)
