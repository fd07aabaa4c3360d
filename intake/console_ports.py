"""Ports of the agent console: accounts, sessions and the work log of tickets.

The work log holds what agents add to a complaint beyond the record form: internal
notes (marked fact or opinion), follow-up steps, classification corrections (kept as
training data) and merges of duplicates. `ConsoleTransaction` is a `Transaction` with
these repositories on the same unit of work, so a change and its audit event commit
together.

`TicketRouting` hands the routing layer's part of a console action to the router inside
the console's own transaction, so the router's state change and the ticket change commit
together (or neither does); what cannot be part of a transaction (SLA timers, notices)
comes back as a `RoutingStep.after_commit` to run once the transaction committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from intake.permissions import ConsoleUser
from intake.ports import Transaction
from intake.records import Category, ChannelName, Complaint, NoteKind, Severity, Status


@dataclass(frozen=True, slots=True)
class StoredUser:
    """An account with what only the login needs."""

    user: ConsoleUser
    password_hash: str
    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser: the cookie holds a secret whose hash is `id`."""

    id: str
    user_id: int
    csrf: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Note:
    """An internal note on a complaint; never shown to the customer."""

    id: int
    complaint_number: str
    kind: NoteKind
    text: str
    author: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A step to be done on a complaint, by whom and by when."""

    id: int
    complaint_number: str
    text: str
    owner: str
    due_at: datetime | None
    created_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """An agent's correction of the classifier, with the text it applies to."""

    complaint_number: str
    text: str
    original_category: Category
    original_severity: Severity
    category: Category
    severity: Severity
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class QueueKey:
    """Where a ticket stands in the queue's order, evaluated at one instant (`QueueQuery.at`).

    The order is `intake.workflow.urgency_key` made total: SLA state rank (0 overdue, 1 due
    soon, 2 on track, 3 met, 4 none: the index in `intake.workflow.SLA_STATES`), the next
    unmet deadline (None for ranks 3 and 4, and only there), priority rank higher first,
    received time, then the number. A key is a page boundary: the rows after or before it.
    """

    rank: int
    due: datetime | None
    priority: int
    received_at: datetime
    number: str


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """Which tickets a queue shows and which page of them; None means any. Scope is applied
    by the caller's role (`intake.permissions.queue_scope`).

    The order, and the `sla` filter (a state of `intake.workflow.SLA_STATES`), are evaluated
    at `at` (the store's clock when None): a caller paging through a queue keeps the `at`
    of its first page, so every page cuts the same order and a ticket that arrives or grows
    more urgent meanwhile never shows twice or drops out (keyset paging). `after` gives the
    `limit` tickets following that key; `before` the `limit` tickets ahead of it (the first
    `limit` tickets when fewer are ahead of it); neither: the first `limit`.
    """

    status: tuple[Status, ...] | None = None
    category: Category | None = None
    severity: Severity | None = None
    channel: ChannelName | None = None
    teams: tuple[str, ...] | None = None
    assignee: str | None = None
    sla: str | None = None
    at: datetime | None = None
    after: QueueKey | None = None
    before: QueueKey | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of a queue: its tickets in order with their keys, and what surrounds it.

    `total` counts the tickets matching the whole query, `ahead` those before the first
    row of this page (0 on the first page); `by_status` counts the tickets in scope with
    the category, severity and channel filter, whatever their status or SLA state.
    """

    rows: list[Complaint]
    keys: list[QueueKey]
    total: int
    ahead: int
    by_status: dict[Status, int]

    @property
    def has_previous(self) -> bool:
        """Tickets come before this page."""
        return self.ahead > 0

    @property
    def has_next(self) -> bool:
        """Tickets come after this page."""
        return self.ahead + len(self.rows) < self.total


class UserDirectory(Protocol):
    """Console accounts (argon2 hashes only)."""

    async def add(self, username: str, role: str, password_hash: str, at: datetime, team: str | None = None) -> int:
        """Create an account; `InvalidInput` when the name is taken."""
        ...

    async def by_name(self, username: str) -> StoredUser | None:
        """An account by login name."""
        ...

    async def by_id(self, user_id: int) -> StoredUser | None:
        """An account by id."""
        ...

    async def list(self) -> list[ConsoleUser]:
        """Every account, by name."""
        ...

    async def record_login(self, user_id: int, *, failed: int, locked_until: datetime | None) -> None:
        """Store the failure count and the lock after a login attempt."""
        ...

    async def update(
        self,
        user_id: int,
        *,
        role: str | None = None,
        team: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> None:
        """Change an account."""
        ...


class SessionStore(Protocol):
    """Server-side sessions; the browser holds only a random secret."""

    async def add(self, session: Session) -> None:
        """Store a new session."""
        ...

    async def get(self, session_id: str, now: datetime) -> Session | None:
        """A live session, or None when unknown or expired."""
        ...

    async def delete(self, session_id: str) -> None:
        """End a session."""
        ...

    async def delete_for_user(self, user_id: int) -> None:
        """End every session of a user (disabled, password changed)."""
        ...

    async def delete_expired(self, now: datetime) -> int:
        """Forget sessions that ran out; how many."""
        ...


class Worklog(Protocol):
    """Notes, follow-ups, corrections and merges of complaints."""

    async def add_note(self, number: str, kind: NoteKind, text: str, author: str, at: datetime) -> int:
        """Add a note."""
        ...

    async def notes(self, number: str) -> list[Note]:
        """The notes of a complaint, oldest first."""
        ...

    async def add_followup(self, number: str, text: str, owner: str, due_at: datetime | None, at: datetime) -> int:
        """Add a follow-up step."""
        ...

    async def complete_followup(self, number: str, step_id: int, by: str, at: datetime) -> bool:
        """Mark a step done; False when the complaint has no such open step."""
        ...

    async def followups(self, number: str) -> list[FollowUp]:
        """The follow-up steps of a complaint, oldest first."""
        ...

    async def add_correction(self, correction: Correction) -> None:
        """Keep a classification correction as training data."""
        ...

    async def corrections(self) -> list[Correction]:
        """Every correction, oldest first."""
        ...

    async def add_merge(self, source: str, target: str, actor: str, at: datetime) -> None:
        """Record that `source` was merged into `target`."""
        ...

    async def merged_into(self, target: str) -> list[str]:
        """Numbers merged into `target`."""
        ...

    async def queue(self, query: QueueQuery) -> QueuePage:
        """A page of a queue (teams OR assignee when both are given), without transcripts,
        in the order of `QueueKey` at `query.at`."""
        ...


class ConsoleTransaction(Transaction, Protocol):
    """A `Transaction` with the console's repositories."""

    @property
    def users(self) -> UserDirectory:
        """Console accounts."""
        ...

    @property
    def sessions(self) -> SessionStore:
        """Server-side sessions."""
        ...

    @property
    def worklog(self) -> Worklog:
        """The work log of complaints."""
        ...


class ConsoleStore(Protocol):
    """Opens console units of work (commit on success, roll back on error)."""

    def transaction(self) -> AbstractAsyncContextManager[ConsoleTransaction]:
        """Open a unit of work."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[ConsoleTransaction]:
        """Open a unit of work for reads only: it never waits for a writer; writing in it
        is an error."""
        ...


AfterCommit = Callable[[], Awaitable[None]]
"""Work that follows a committed routing change: SLA timers (set again from the complaint's
state, so running it again is harmless) and notices (sent once)."""


@dataclass(frozen=True, slots=True)
class RoutingStep:
    """A routing change made in the caller's transaction.

    `complaint` is the complaint as the router left it in that transaction (the caller
    changes and saves this object, never a copy read before). `after_commit` must be
    awaited once the transaction committed, and only then: it moves the SLA timers and
    sends the notices, which no rollback could take back.
    """

    complaint: Complaint
    after_commit: AfterCommit


class TicketRouting(Protocol):
    """What the routing layer owns when an agent works a ticket (implemented by
    `router.workflow.RoutingWorkflow`, wired in `tousu`).

    The console workflow checks the user's permission and scope, then hands these state
    changes to the router inside its own transaction `tx` (which must be a transaction of
    the store the router works on; the router opens no other one): the router records SLA
    met times, moves the status where the SLA rules say so, audits the change (as `actor`)
    and serves the team queue in `tx`, so all of it commits or rolls back with the
    console's own change. Timers and notices wait for `RoutingStep.after_commit`.
    Recording a met time again is harmless; `NotFound` when the complaint does not exist.
    """

    async def record_first_response_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """An agent started: first response time; pending → in progress."""
        ...

    async def record_first_feedback_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """The customer got a first answer on substance (also the first response when unmet)."""
        ...

    async def resolve_in(self, tx: Transaction, number: str, actor: str, resolution: str | None = None) -> RoutingStep:
        """→ resolved: the team queue is served in `tx`; the timers stop after the commit."""
        ...

    async def reopen_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """resolved → reopened with fresh deadlines (reopened twice or more: management)."""
        ...

    async def reassigned_in(
        self, tx: Transaction, number: str, actor: str, previous_team: str | None, previous_agent: str | None
    ) -> RoutingStep:
        """After a lead moved the ticket in `tx`: audit, serve a queue; then notices and timers."""
        ...

    async def closed_in(self, tx: Transaction, number: str) -> RoutingStep:
        """After staff closed a ticket in `tx` (withdrawn, merged): the team queue is served; the
        timers stop after the commit."""
        ...

    async def pause_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """Waiting on the customer: the SLA clock stops."""
        ...

    async def resume_in(self, tx: Transaction, number: str, actor: str) -> RoutingStep:
        """The customer answered: unmet deadlines move later by the time spent waiting."""
        ...


__all__: Sequence[str] = [
    "AfterCommit",
    "ConsoleStore",
    "ConsoleTransaction",
    "Correction",
    "FollowUp",
    "Note",
    "QueueKey",
    "QueuePage",
    "QueueQuery",
    "RoutingStep",
    "Session",
    "SessionStore",
    "StoredUser",
    "TicketRouting",
    "UserDirectory",
    "Worklog",
]
