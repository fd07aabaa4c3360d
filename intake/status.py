"""The one place that knows which status changes are allowed.

pending 待处理 → in_progress 处理中 → resolved 已解决 → closed 已关闭, and
resolved → reopened when the customer is not satisfied. A pending complaint may be
resolved at once (settled on the phone) or closed (withdrawn, merged as duplicate).
"""

from __future__ import annotations

from intake.errors import InvalidTransition
from intake.records import Status

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def can_transition(current: Status, target: Status) -> bool:
    """True when `current` → `target` is allowed."""
    return target in ALLOWED[current]


def check_transition(current: Status, target: Status) -> None:
    """Raise `InvalidTransition` unless `current` → `target` is allowed."""
    if not can_transition(current, target):
        raise InvalidTransition(f"{current} -> {target}", current=str(current), target=str(target))
