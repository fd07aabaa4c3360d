"""The queue: my tickets and my team's, filtered, sorted by SLA urgency, a page at a time,
updated live (SSE)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from intake.console_ports import QueueKey, QueuePage, QueueQuery
from intake.errors import InvalidInput
from intake.messages import entry, text
from intake.permissions import can_see, queue_scope
from intake.records import Category, ChannelName, Complaint, Severity, Status
from intake.workflow import SLA_STATES, sla_state
from tousu.bootstrap import LIVE_TOPIC
from tousu.console.context import PREFIX_KEY
from tousu.console.pages import Page, action, ctx, render
from tousu.console.paging import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    Pager,
    decode_instant,
    decode_key,
    encode_instant,
    encode_key,
    page_size,
    query_string,
    whole_second,
)

VIEWS = ("mine", "team", "all")
HEARTBEAT_SECONDS = 15.0


def _choice(request: web.Request, name: str, kind: Any) -> Any:
    value = request.query.get(name) or None
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError as error:
        raise InvalidInput(f"{name}: unknown value", field=name) from error


FILTERS = ("status", "category", "severity", "channel", "sla")


async def queue_rows(request: web.Request) -> dict[str, Any]:
    """The page of rows, the counts and the pager a queue request asks for.

    Pages are cut by keyset (`QueueQuery`): the first page is ordered at this second, and
    its next / previous links carry that instant (`at`) and the key of their boundary row,
    so paging on never shows a ticket twice or skips one when tickets arrive or change
    meanwhile. The SLA badges show the state at the time of the request.
    """
    context = ctx(request)
    user = context.user
    view = request.query.get("view") or ("all" if user.role == "manager" else "team")
    if view not in VIEWS:
        raise InvalidInput("view: unknown value", field="view")
    status = _choice(request, "status", Status)
    sla = request.query.get("sla") or None
    if sla is not None and sla not in SLA_STATES:
        raise InvalidInput("sla: unknown value", field="sla")
    size = page_size(request)
    after, before = _position(request, "after"), _position(request, "before")
    if after is not None and before is not None:
        raise InvalidInput(entry("console.pager.bad_position", name="after / before"), field="before")
    stamp = request.query.get("at") or ""
    at = decode_instant(stamp) if stamp else whole_second(context.now())
    teams, assignee = queue_scope(user, view)
    query = QueueQuery(
        # Closed tickets only when asked for: the queue is the work still to do.
        status=(status,) if status is not None else tuple(s for s in Status if s != Status.CLOSED),
        category=_choice(request, "category", Category),
        severity=_choice(request, "severity", Severity),
        channel=_choice(request, "channel", ChannelName),
        teams=teams,
        assignee=assignee,
        sla=sla,
        at=at,
        after=after,
        before=before,
        limit=size,
    )
    async with context.store.snapshot() as tx:
        page = await tx.worklog.queue(query)
    now = context.now()
    # The store applied the same scope; this keeps a mistake there from showing a ticket.
    rows = [c for c in page.rows if can_see(user, c.team, c.assignee)]
    filters = {k: request.query.get(k, "") for k in FILTERS}
    kept = {"view": view, **filters, "size": str(size) if size != DEFAULT_PAGE_SIZE else ""}
    return {
        "rows": [_row(c, sla_state(c, now), now) for c in rows],
        "counts": {str(s): page.by_status.get(s, 0) for s in Status},
        "total": page.total,
        "view": view,
        "filters": filters,
        "size": size,
        "page_sizes": PAGE_SIZES,
        "pager": _pager(request, page, kept, encode_instant(at)),
    }


def _position(request: web.Request, name: str) -> QueueKey | None:
    value = request.query.get(name) or ""
    return decode_key(value, name) if value else None


def _pager(request: web.Request, page: QueuePage, kept: dict[str, str], at: str) -> Pager:
    """Range and links: first (a fresh first page), previous and next (the same order)."""
    base = f"{request.app[PREFIX_KEY]}/queue?"
    locale = ctx(request).locale
    shown = len(page.rows)
    if shown:
        position = text("console.pager.range", locale, first=page.ahead + 1, last=page.ahead + shown, total=page.total)
    else:  # past the last ticket (they were closed meanwhile, say)
        position = text("console.pager.past_end", locale, total=page.total)
    return Pager(
        position=position,
        first=base + query_string(kept) if page.has_previous else None,
        previous=base + query_string(kept, at=at, before=encode_key(page.keys[0]))
        if page.has_previous and shown
        else None,
        next=base + query_string(kept, at=at, after=encode_key(page.keys[-1])) if page.has_next and shown else None,
    )


def _row(complaint: Complaint, state: Any, now: Any) -> dict[str, Any]:
    left = None
    if state.next_due is not None:
        left = state.next_due - now
    return {"c": complaint, "sla": state, "left": left}


@action("queue:view")
async def queue(request: web.Request) -> web.StreamResponse:
    """The queue page."""
    data = await queue_rows(request)
    return render(
        request,
        "queue.html",
        **data,
        views=VIEWS,
        statuses=list(Status),
        categories=list(Category),
        severities=list(Severity),
        channels=list(ChannelName),
        sla_states=SLA_STATES,
    )


@action("queue:view")
async def rows(request: web.Request) -> web.StreamResponse:
    """The table body and counts of the queue (fetched again by the page on a live event)."""
    data = await queue_rows(request)
    return render(request, "_queue_rows.html", **data)


@action("queue:view")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a line per complaint created or changed that the user may see."""
    context = ctx(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    await response.write(b": connected\n\nretry: 3000\n\n")
    task = asyncio.current_task()
    streams = context.console.services.setdefault("sse", set())
    if task is not None:
        streams.add(task)
    try:
        await _stream(context, response)
    except ConnectionResetError:
        pass
    finally:
        if task is not None:
            streams.discard(task)
    return response


async def _stream(context: Any, response: web.StreamResponse) -> None:
    """Forward the live feed until the browser goes away; a comment line keeps proxies awake."""
    async with context.runtime.coordination.bus.subscribe(LIVE_TOPIC) as feed:
        iterator = feed.__aiter__()
        pending: asyncio.Future[Any] = asyncio.ensure_future(iterator.__anext__())
        try:
            while True:
                done, _ = await asyncio.wait({pending}, timeout=HEARTBEAT_SECONDS)
                if not done:
                    await response.write(b": keep-alive\n\n")
                    continue
                try:
                    event = pending.result()
                except StopAsyncIteration:
                    return
                pending = asyncio.ensure_future(iterator.__anext__())
                number = str(event.get("number") or "")
                if not number or not await _visible(context, number):
                    continue
                payload = json.dumps({"number": number, "status": event.get("status")}, ensure_ascii=False)
                await response.write(f"event: complaint\ndata: {payload}\n\n".encode())
        finally:
            pending.cancel()


async def _visible(context: Any, number: str) -> bool:
    async with context.store.snapshot() as tx:
        complaint = await tx.complaints.get(number, with_transcript=False)
    return complaint is not None and can_see(context.user, complaint.team, complaint.assignee)


PAGE = Page(
    key="queue",
    title="console.nav.queue",
    path="/queue",
    permission="queue:view",
    order=10,
    routes=[web.get("/queue", queue), web.get("/queue/rows", rows), web.get("/events", events)],
)
