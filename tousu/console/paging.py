"""Paging of the console's lists: the page size a request asks for, the page number of
the lists paged by number (ledger, customers at risk), the queue's keyset positions in a
URL, and `Pager`, what `_pager.html` shows (position, first / previous / next links).

Bad values raise `InvalidInput` naming the parameter (a 400 page on a GET), never a
traceback.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from aiohttp import web

from intake.console_ports import QueueKey
from intake.errors import InvalidInput
from intake.messages import entry, text
from tousu.console.context import PREFIX_KEY, ctx

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_KEY = re.compile(r"^([0-4])\.(\d{1,19})?\.([0-3])\.(\d{1,19})\.([A-Za-z0-9-]{1,32})$")


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a page stands in its list and the links around it (None: no such link)."""

    position: str
    first: str | None = None
    previous: str | None = None
    next: str | None = None


def page_size(request: web.Request) -> int:
    """The `size` parameter: one of `PAGE_SIZES`, `DEFAULT_PAGE_SIZE` when absent."""
    value = request.query.get("size") or ""
    if not value:
        return DEFAULT_PAGE_SIZE
    if not value.isdigit() or int(value) not in PAGE_SIZES:
        raise InvalidInput(entry("console.pager.bad_size", sizes=" / ".join(map(str, PAGE_SIZES))), field="size")
    return int(value)


def page_number(request: web.Request) -> int:
    """The `page` parameter: a whole number from 1, 1 when absent."""
    value = request.query.get("page") or ""
    if not value:
        return 1
    if not value.isdigit() or int(value) < 1 or len(value) > 9:
        raise InvalidInput(entry("console.pager.bad_page"), field="page")
    return int(value)


def numbered(page: int, total: int, size: int) -> tuple[int, int]:
    """(the page shown, the number of pages): a page past the end shows the last one."""
    pages = max(math.ceil(total / size), 1)
    return min(page, pages), pages


def numbered_pager(
    request: web.Request, path: str, values: dict[str, str], page: int, pages: int, size: int, total: int
) -> Pager:
    """The pager of a list paged by number at `path` (relative to the console) with the
    query `values` kept in its links."""
    base = f"{request.app[PREFIX_KEY]}{path}?"
    kept = {**values, "size": str(size) if size != DEFAULT_PAGE_SIZE else ""}

    def link(number: int) -> str:
        return base + query_string(kept, page=str(number) if number > 1 else None)

    return Pager(
        position=text("console.pager.page", ctx(request).locale, page=page, pages=pages, total=total),
        first=link(1) if page > 2 else None,
        previous=link(page - 1) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
    )


def query_string(values: dict[str, str], **changes: str | None) -> str:
    """`values` with `changes` as a query string, empty values left out."""
    merged = {**values, **changes}
    return urlencode({key: value for key, value in merged.items() if value})


# ---------------------------------------------------------------------- queue positions


def encode_key(key: QueueKey) -> str:
    """A queue position for a URL: rank.due.priority.received.number (times in µs since 1970)."""
    due = "" if key.due is None else str(_micros(key.due))
    return f"{key.rank}.{due}.{key.priority}.{_micros(key.received_at)}.{key.number}"


def decode_key(value: str, name: str) -> QueueKey:
    """The position `encode_key` wrote; `InvalidInput` naming `name` for anything else."""
    found = _KEY.match(value)
    rank = int(found.group(1)) if found else -1
    if found is None or (found.group(2) is None) != (rank >= 3):
        raise InvalidInput(entry("console.pager.bad_position", name=name), field=name)
    try:
        due = None if found.group(2) is None else _from_micros(int(found.group(2)))
        received = _from_micros(int(found.group(4)))
    except OverflowError as error:
        raise InvalidInput(entry("console.pager.bad_position", name=name), field=name) from error
    return QueueKey(rank, due, int(found.group(3)), received, found.group(5))


def encode_instant(at: datetime) -> str:
    """The instant a queue's order is cut at, for a URL (whole seconds since 1970)."""
    return str(int((at - EPOCH) // timedelta(seconds=1)))


def decode_instant(value: str, name: str = "at") -> datetime:
    """The instant `encode_instant` wrote."""
    if not value.isdigit() or len(value) > 11:
        raise InvalidInput(entry("console.pager.bad_position", name=name), field=name)
    return EPOCH + timedelta(seconds=int(value))


def whole_second(at: datetime) -> datetime:
    """`at` without its fraction of a second (what a URL can carry)."""
    return at.replace(microsecond=0)


def _micros(at: datetime) -> int:
    return (at.astimezone(UTC) - EPOCH) // MICROSECOND


def _from_micros(value: int) -> datetime:
    return EPOCH + value * MICROSECOND


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "PAGE_SIZES",
    "Pager",
    "decode_instant",
    "decode_key",
    "encode_instant",
    "encode_key",
    "numbered",
    "numbered_pager",
    "page_number",
    "page_size",
    "query_string",
    "whole_second",
]
