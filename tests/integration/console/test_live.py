"""The queue's live feed (server-sent events) from the EventBus topic of the console."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientResponse

from tests.integration.console.conftest import Console


async def next_event(response: ClientResponse, timeout: float = 15.0) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        event = None
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "complaint":
                return dict(json.loads(line[6:]))

    return await asyncio.wait_for(read(), timeout)


async def test_a_new_complaint_reaches_the_managers_queue_live(console: Console) -> None:
    response = await console.browsers["manager"].get("/console/events", headers={"Accept": "text/event-stream"})
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    assert (await response.content.readline()).startswith(b": connected")
    number = await console.complaint("阿姨把我家的花瓶打碎了")
    event = await next_event(response)
    assert event == {"number": number, "status": "pending"}
    response.close()


async def test_agents_only_hear_of_tickets_in_their_scope(console: Console) -> None:
    elsewhere = await console.complaint("调度派错了人")
    await console.assign(elsewhere, "dispatch", "wu.lei")
    mine = await console.complaint("阿姨没带抹布")
    await console.assign(mine, "customer_service", "zhang.min")
    response = await console.browsers["agent"].get("/console/events", headers={"Accept": "text/event-stream"})
    await response.content.readline()
    manager = console.browsers["manager"]
    assert (await manager.post(f"/console/tickets/{elsewhere}/notes", {"kind": "fact", "text": "x"})).status == 303
    assert (await manager.post(f"/console/tickets/{elsewhere}/status", {"status": "in_progress"})).status == 303
    assert (await manager.post(f"/console/tickets/{mine}/status", {"status": "in_progress"})).status == 303
    event = await next_event(response)
    assert event == {"number": mine, "status": "in_progress"}
    response.close()


async def test_the_live_feed_needs_a_session(console: Console) -> None:
    anonymous = await console.new_browser()
    response = await anonymous.get("/console/events", headers={"Accept": "text/event-stream"})
    assert response.status == 401
