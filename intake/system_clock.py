"""The real clock."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """`intake.ports.Clock` on the system time, always aware UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)
