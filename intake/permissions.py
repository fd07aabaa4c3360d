"""Who may do what in the console: the one permission table, checked on the server.

Every console action names one entry of `PERMISSIONS`; a handler that does not name
one is refused. Ticket actions are also limited by scope (`can_see`): an agent sees
their own tickets and their team's, a lead their team's, a manager every ticket.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.errors import Forbidden, InvalidInput

ROLES = ("agent", "lead", "manager", "operator", "admin")

_DESK = frozenset({"agent", "lead", "manager"})

PERMISSIONS: dict[str, frozenset[str]] = {
    # working tickets
    "queue:view": _DESK,
    "ticket:view": _DESK,
    "ticket:reply": _DESK,
    "ticket:note": _DESK,
    "ticket:status": _DESK,
    "ticket:resolve": _DESK,
    "ticket:wait": _DESK,  # waiting on the customer: pauses / resumes the SLA clock
    "ticket:classify": _DESK,
    "ticket:followup": _DESK,
    "ticket:link": _DESK,
    "ticket:merge": _DESK,
    "ticket:reassign": frozenset({"lead", "manager"}),
    "ticket:escalate": frozenset({"lead", "manager"}),
    "complaint:create": _DESK,
    # statistics and the ledger (pages of the reports branch)
    # (a lead sees them for their own team only: tousu/console/report_filters.py)
    "stats:view": frozenset({"lead", "manager"}),
    "ledger:view": frozenset({"lead", "manager"}),
    "ledger:export": frozenset({"lead", "manager"}),
    "customers:risk": frozenset({"lead", "manager"}),
    "customers:import": frozenset({"manager", "admin"}),
    "customers:phone": frozenset({"manager"}),
    "audit:view": frozenset({"manager", "admin"}),
    # tuning
    "scripts:view": frozenset({"operator", "manager"}),
    "scripts:edit": frozenset({"operator"}),
    "lexicon:view": frozenset({"operator", "admin"}),  # view, validate, 试一试
    "lexicon:edit": frozenset({"operator"}),  # save (and swap the live lexicon)
    "rules:view": frozenset({"operator", "admin"}),  # view, validate, preview
    "rules:edit": frozenset({"operator"}),  # save (and swap the live router)
    # administration
    "users:manage": frozenset({"admin"}),
    "tokens:manage": frozenset({"admin"}),
    # everybody who is logged in
    "session:self": frozenset(ROLES),
}


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A console account: its login name is also its agent id in the routing rules."""

    id: int
    username: str
    role: str
    team: str | None = None
    display_name: str | None = None
    disabled: bool = False

    @property
    def actor(self) -> str:
        """How the audit trail names this user."""
        return f"user:{self.username}"


def check_role(role: str) -> str:
    """`role` when it is a console role, else `InvalidInput`."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role}; one of {', '.join(ROLES)}", role=role)
    return role


def may(role: str, action: str) -> bool:
    """True when `role` may perform `action` (unknown actions are refused)."""
    return role in PERMISSIONS.get(action, frozenset())


def require(user: ConsoleUser, action: str) -> None:
    """Raise `Forbidden` unless `user` may perform `action`."""
    if user.disabled or not may(user.role, action):
        raise Forbidden(f"{user.role} may not {action}", action=action)


def can_see(user: ConsoleUser, team: str | None, assignee: str | None) -> bool:
    """True when a ticket of `team` assigned to `assignee` is in `user`'s scope."""
    if user.role == "manager":
        return True
    if user.role == "agent":
        return assignee == user.username or (user.team is not None and team == user.team)
    if user.role == "lead":
        return user.team is not None and team == user.team
    return False


def require_ticket(user: ConsoleUser, action: str, team: str | None, assignee: str | None) -> None:
    """`require` plus the scope check of a ticket."""
    require(user, action)
    if not can_see(user, team, assignee):
        raise Forbidden(f"{user.username} may not {action} a ticket outside their scope", action=action)


def queue_scope(user: ConsoleUser, view: str = "team") -> tuple[tuple[str, ...] | None, str | None]:
    """(teams, assignee) a queue of `user` may list; tickets matching either are shown.

    `view` "mine" narrows to the user's own tickets; "all" is honoured for managers only.
    """
    if view == "mine":
        return (), user.username
    if user.role == "manager":
        return (None, None) if view == "all" or user.team is None else ((user.team,), user.username)
    if user.role == "agent":
        return ((user.team,) if user.team else ()), user.username
    if user.role == "lead":
        return ((user.team,) if user.team else ()), None
    return (), None
