"""The queue: my tickets and my team's, filtered, sorted by SLA urgency, updated live (SSE)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from aiohttp import web

from intake.console_ports import QueueQuery
from intake.errors import InvalidInput
from intake.permissions import can_see, queue_scope
from intake.records import Category, ChannelName, Complaint, Severity, Status
from intake.workflow import SLA_STATES, sla_state, urgency_key
from tousu.bootstrap import LIVE_TOPIC
from tousu.console.pages import Page, action, ctx, render

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


async def queue_rows(request: web.Request) -> dict[str, Any]:
    """The rows and counts a queue request asks for."""
    context = ctx(request)
    user = context.user
    view = request.query.get("view") or ("all" if user.role == "manager" else "team")
    if view not in VIEWS:
        raise InvalidInput("view: unknown value", field="view")
    status = _choice(request, "status", Status)
    sla = request.query.get("sla") or None
    if sla is not None and sla not in SLA_STATES:
        raise InvalidInput("sla: unknown value", field="sla")
    teams, assignee = queue_scope(user, view)
    query = QueueQuery(
        category=_choice(request, "category", Category),
        severity=_choice(request, "severity", Severity),
        channel=_choice(request, "channel", ChannelName),
        teams=teams,
        assignee=assignee,
    )
    async with context.store.transaction() as tx:
        found = await tx.worklog.queue(query)
    now = context.now()
    found = [c for c in found if can_see(user, c.team, c.assignee)]
    counts = Counter(str(c.status) for c in found)
    # Closed tickets only when asked for: the queue is the work still to do.
    rows = (
        [c for c in found if c.status == status]
        if status is not None
        else [c for c in found if c.status != Status.CLOSED]
    )
    states = {c.number: sla_state(c, now) for c in rows}
    if sla is not None:
        rows = [c for c in rows if states[c.number].state == sla]
    rows.sort(key=lambda c: urgency_key(c, now))
    return {
        "rows": [_row(c, states[c.number], now) for c in rows],
        "counts": {str(s): counts.get(str(s), 0) for s in Status},
        "total": len(found),
        "view": view,
        "filters": {k: request.query.get(k, "") for k in ("status", "category", "severity", "channel", "sla")},
    }


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
    async with context.store.transaction() as tx:
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
