"""The data access of the scripts page, behind one small port (`ScriptAdmin`).

`BookScriptAdmin` works over `router.scripts.ScriptBook` and whatever `ScriptRepository`
the book was given. When the runtime's book has none (the embedded default before the
SQL repository is wired), `ensure_repository` gives it a process-memory one, so edits
work but do not outlive the process; `BookScriptAdmin.durable` says which it is.
After every save and rollback `on_saved` is called with the new version (the wiring
publishes it on the event bus so the books of the other processes reload).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from intake.errors import InvalidInput
from intake.messages import Message
from intake.ports import ScriptContext
from intake.records import Complaint, Customer
from intake.routing_ports import ScriptVersion
from intake.workflow import script_context
from router.scripts import ScriptBook, ScriptKey, build_variables
from router.scripts.validate import sample_variables
from storage.memory_routing import MemoryScriptRepository


@dataclass(frozen=True, slots=True)
class Problem:
    """A validation problem, with the line of the script it is on when known."""

    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ScriptSummary:
    """A key with the version in use."""

    key: str
    version: int
    is_default: bool


class ScriptAdmin(Protocol):
    """What the scripts page needs; re-point it by giving the console another implementation."""

    durable: bool

    def keys(self) -> list[ScriptSummary]:
        """Every key with a script."""
        ...

    async def history(self, key: str) -> list[ScriptVersion]:
        """Every version of a key, oldest first."""
        ...

    def current(self, key: str) -> ScriptVersion | None:
        """The version in use."""
        ...

    def problems(self, key: str, body: str, locale: str | None = None) -> list[Problem]:
        """What is wrong with `body` as the script for `key`, in `locale` (default Chinese)."""
        ...

    def preview(self, key: str, body: str, complaint: Complaint | None, customer: Customer | None) -> str:
        """`body` rendered for `complaint` (sample data when None)."""
        ...

    async def save(self, key: str, body: str, author: str, note: str | None = None) -> ScriptVersion:
        """Store a new version; `InvalidInput` with `problems` when it does not validate."""
        ...

    async def rollback(self, key: str, version: int, author: str) -> ScriptVersion:
        """Make an earlier version current again (as a new version)."""
        ...


def ensure_repository(book: ScriptBook) -> bool:
    """Give `book` a memory repository when it has none; True when its repository is durable."""
    if book.repository is None:
        book.repository = MemoryScriptRepository()
        return False
    return not isinstance(book.repository, MemoryScriptRepository)


_LINE = re.compile(r"on line (\d+)")
_UNKNOWN = re.compile(r"unknown variable \{\{ (\w+) \}\}")


class BookScriptAdmin:
    """`ScriptAdmin` over a `ScriptBook`."""

    def __init__(
        self,
        book: ScriptBook,
        *,
        durable: bool,
        locale: str = "zh",
        on_saved: Callable[[ScriptVersion], Awaitable[None]] | None = None,
    ) -> None:
        self._book = book
        self.durable = durable
        self._locale = locale
        self._on_saved = on_saved

    async def _saved(self, version: ScriptVersion) -> ScriptVersion:
        if self._on_saved is not None:
            await self._on_saved(version)
        return version

    def keys(self) -> list[ScriptSummary]:
        found = []
        names = self._book.keys()
        for key in names:
            current = self._book.get(key)
            if current is not None:
                found.append(ScriptSummary(key, current.version, self._book.is_default(key)))
        return found

    async def history(self, key: str) -> list[ScriptVersion]:
        return await self._book.history(_canonical(key))

    def current(self, key: str) -> ScriptVersion | None:
        return self._book.get(_canonical(key))

    def problems(self, key: str, body: str, locale: str | None = None) -> list[Problem]:
        canonical = _canonical(key)
        return [_problem(message, body, locale) for message in self._book.validate(canonical, body)]

    def preview(self, key: str, body: str, complaint: Complaint | None, customer: Customer | None) -> str:
        parsed = ScriptKey.parse(key)
        if complaint is None:
            context = ScriptContext(
                parsed.purpose, parsed.locale, parsed.channel, parsed.category, parsed.severity, sample_variables()
            )
        else:
            extra = {"customer_name": customer.name, "customer_title": customer.title} if customer else {}
            base = script_context(complaint, parsed.purpose, parsed.locale, extra)
            context = ScriptContext(
                parsed.purpose,
                parsed.locale,
                parsed.channel or base.channel,
                parsed.category or base.category,
                parsed.severity or base.severity,
                base.variables,
            )
        try:
            return self._book.env.from_string(body).render(build_variables(context, self._book.directory)).strip()
        except Exception as error:  # the editor shows what went wrong instead of a preview
            return f"⚠ {type(error).__name__}: {error}"

    async def save(self, key: str, body: str, author: str, note: str | None = None) -> ScriptVersion:
        canonical = _canonical(key)
        problems = self.problems(canonical, body, self._locale)
        if problems:
            raise InvalidInput("; ".join(p.message for p in problems), problems=len(problems))
        return await self._saved(await self._book.save(canonical, body, author=author, note=note))

    async def rollback(self, key: str, version: int, author: str) -> ScriptVersion:
        canonical = _canonical(key)
        old = next((v for v in await self._book.history(canonical) if v.version == version), None)
        if old is None:
            raise InvalidInput(f"{canonical} has no version {version}", field="version")
        saved = await self._book.save(
            canonical, old.body, author=author, quick_replies=old.quick_replies, note=f"rollback to v{version}"
        )
        return await self._saved(saved)


def _canonical(key: str) -> str:
    return str(ScriptKey.parse(key))


def _problem(message: Message, body: str, locale: str | None) -> Problem:
    """The problem in `locale`, on the line its English text points to."""
    english, shown = str(message), message.text(locale)
    found = _LINE.search(english)
    if found:
        return Problem(shown, int(found.group(1)))
    unknown = _UNKNOWN.search(english)
    if unknown:
        pattern = re.compile(r"\b" + re.escape(unknown.group(1)) + r"\b")
        for number, line in enumerate(body.splitlines(), start=1):
            if pattern.search(line):
                return Problem(shown, number)
    return Problem(shown, None)
