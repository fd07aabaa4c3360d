"""`tousu telegram poll` runs the whole service, as `tousu serve` does: a complaint taken in by
long polling is routed (team, agent, SLA deadlines, agent notices, SLA timers), the SLA
watcher of the polling process escalates it when a deadline is missed, and a routing rules
save announced by another process is followed.

The polling process is `cli_telegram.run_poll` on its own task, the real python-telegram-bot
talking to the loopback fake Bot API; "another process" is a second runtime on the same
SQLite file, data directory and Redis (key prefix of the test's own), never started, that
looks at the database and the Redis timers and announces the save as the console would.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bots.notifiers import NOTICE_TOPIC
from intake.ports import ComplaintFilter
from intake.records import Complaint
from router.loader import DEFAULT_RULES
from router.watcher import timer_key
from tests.conftest import _redis_url
from tests.integration.console.test_tuning import FIRST_TO_FINANCE, FIRST_TO_SENIOR
from tests.telegram_fake import TOKEN, FakeTelegram
from tousu import cli_telegram
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings
from tousu.routing_wiring import routing_of
from tousu.tuning import RULES_FILE, announcement

COMPLAINT = "阿姨今天上门迟到了两个小时，打电话也不接，太耽误事了"  # punctuality, normal


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def update(update_id: int, chat_id: int) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "周"}
    chat = {"id": chat_id, "type": "private"}
    message = {"message_id": update_id, "date": 1764547200, "chat": chat, "from": user, "text": COMPLAINT}
    return {"update_id": update_id, "message": message}


async def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """The first true result of `check()` (awaited when it is a coroutine), within `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


async def notice(feed: AsyncIterator[dict[str, Any]], kind: str, number: str) -> dict[str, Any]:
    """The next notice of `kind` about complaint `number` on the console feed."""
    async for data in feed:
        if data.get("kind") == kind and data.get("number") == number:
            return data
    raise AssertionError("the feed ended")


async def complaint_of(peer: Runtime, chat_id: int) -> Complaint | None:
    async with peer.store.transaction() as tx:
        found = [c for c in await tx.complaints.list(ComplaintFilter()) if c.conversation.address == str(chat_id)]
    return found[0] if found else None


async def make_overdue(peer: Runtime, number: str) -> None:
    """First response two hours late, its timer due now: as if the process had slept through it."""
    now = datetime.now(UTC)
    async with peer.store.transaction() as tx:
        complaint = await tx.complaints.get(number, with_transcript=False)
        assert complaint is not None
        complaint.sla = replace(complaint.sla, first_response_due=now - timedelta(hours=2))
        await tx.complaints.save(complaint)
    await peer.coordination.timers.schedule(timer_key(number, "first_response"), now - timedelta(seconds=1))


async def test_poll_routes_escalates_and_follows_rules_saves(
    tmp_path: Path, fake: FakeTelegram, redis_client: Any, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config = Settings(
        data_dir=tmp_path / "data",
        env={},
        telegram_token=TOKEN,
        telegram_api_base=fake.base_url,
        redis_url=_redis_url(),
        redis_prefix=redis_prefix,
    )
    peer = await build_runtime(config)
    stop = asyncio.Event()
    polling: asyncio.Task[int] | None = None
    try:
        async with peer.coordination.bus.subscribe(NOTICE_TOPIC) as feed:
            polling = asyncio.create_task(cli_telegram.run_poll(argparse.Namespace(poll_seconds=1), config, stop))
            await eventually(lambda: fake.called("getUpdates"), "the poll loop started")

            # routed as under `tousu serve`
            fake.updates.append(update(1, 801))
            first = await eventually(lambda: complaint_of(peer, 801), "the complaint was taken in")
            assigned = await asyncio.wait_for(notice(feed, "assigned", first.number), 60)
            assert first.team == "senior" and first.routing_reasons  # the shipped first-complaint rule
            assert assigned["recipients"] == [first.assignee or routing_of(peer).config.lead_of("senior")]
            assert first.sla.first_response_due is not None and first.sla.report_due is not None
            await eventually(peer.coordination.timers.next_due, "the SLA timers were scheduled")

            # the polling process's SLA watcher escalates a missed deadline
            await make_overdue(peer, first.number)
            warned = await asyncio.wait_for(notice(feed, "sla_warning", first.number), 60)
            assert warned["recipients"] == assigned["recipients"]  # the owner is reminded
            stored = await complaint_of(peer, 801)
            assert stored is not None
            assert [(e.deadline, e.action) for e in stored.escalations][:1] == [("first_response", "remind")]

            # a rules save announced by another process is followed
            text = resources.files("router").joinpath(DEFAULT_RULES).read_text(encoding="utf-8")
            assert FIRST_TO_SENIOR in text
            saved = text.replace(FIRST_TO_SENIOR, FIRST_TO_FINANCE)
            (config.data_dir / RULES_FILE).write_text(saved, encoding="utf-8")
            await routing_of(peer).rules_saved(announcement(saved, "user:op", datetime.now(UTC)))
            await eventually(
                lambda: any("routing rules saved by user:op reloaded" in r.getMessage() for r in caplog.records),
                "the polling process reloaded the saved rules",
            )
            fake.updates.append(update(2, 802))
            second = await eventually(lambda: complaint_of(peer, 802), "the second complaint was taken in")
            assert second.team == "finance"
    finally:
        stop.set()
        try:
            assert polling is None or await asyncio.wait_for(polling, 60) == 0
        finally:
            await peer.close()
    assert len([c for c in fake.delivered() if int(c.params["chat_id"]) == 801]) >= 1  # replies went out
