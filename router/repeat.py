"""Repeat detection: the same customer with another complaint open, or closed recently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from intake.ports import PastComplaint
from intake.records import OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class RepeatFacts:
    """What the customer's history says about a new complaint."""

    first: bool
    repeat_of: str | None = None
    reopen_count: int = 0

    @property
    def repeat(self) -> bool:
        """True when the new complaint repeats an earlier one."""
        return self.repeat_of is not None


def detect_repeat(
    number: str, history: tuple[PastComplaint, ...], received_at: datetime, window: timedelta
) -> RepeatFacts:
    """Link a new complaint to the latest earlier one that is open or closed within `window`.

    `history` is the customer's complaints across every channel (the caller resolves the
    customer by phone, unionid or identity). `reopen_count` is the most any linked
    complaint was reopened.
    """
    earlier = [past for past in history if past.number != number]
    if not earlier:
        return RepeatFacts(first=True)
    live = [past for past in earlier if _still_counts(past, received_at, window)]
    if not live:
        return RepeatFacts(first=False)
    latest = max(live, key=lambda past: (past.status in OPEN_STATUSES, past.received_at))
    return RepeatFacts(False, latest.number, max(past.reopen_count for past in live))


def _still_counts(past: PastComplaint, received_at: datetime, window: timedelta) -> bool:
    if past.status in OPEN_STATUSES:
        return True
    ended = past.closed_at or past.received_at
    return received_at - ended <= window
