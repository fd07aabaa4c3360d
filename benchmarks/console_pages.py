"""Console page latency: the queue's first page (scope, SLA state, urgency order and counts
in SQL, 50 rows rendered), its live fragment, its second page (keyset) and one ticket page,
with N complaints in the store.

    python -m benchmarks.console_pages [--complaints 300] [--rounds 30]   (from the repository root)

Runs in-process on a SQLite file in a temporary directory: complaints go through the
real pipeline, a manager logs in through the real login form, pages are fetched over a
loopback aiohttp client. Prints median and p95 per page; results are recorded in
benchmarks/RESULTS.md by hand with the command line used.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind
from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore
from tousu.bootstrap import build_runtime
from tousu.config import Settings
from tousu.console.security import hash_password
from tousu.web import create_app

TEXTS = ["阿姨迟到了一个小时", "打碎了花瓶要求赔偿", "态度很差", "多收了两百块", "预约了没人来"]


async def main(complaints: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        runtime = await build_runtime(Settings(data_dir=Path(folder) / "data", env={}))
        assert isinstance(runtime.store, SqlStore)
        async with SqlConsoleStore(runtime.store).transaction() as tx:
            await tx.users.add("boss", "manager", hash_password("benchmark password"), datetime.now(UTC))
        numbers = []
        for index in range(complaints):
            address = uuid.uuid4().hex
            message = InboundMessage(
                ChannelName.WEBCHAT,
                uuid.uuid4().hex,
                Identity(ChannelName.WEBCHAT, address),
                ConversationRef(ChannelName.WEBCHAT, address),
                MessageKind.TEXT,
                TEXTS[index % len(TEXTS)],
                datetime.now(UTC),
            )
            result = await runtime.intake.receive(message, force_new=True)
            assert result.complaint is not None
            numbers.append(result.complaint.number)
        client = TestClient(TestServer(create_app(runtime, start_background=False)))
        await client.start_server()
        try:
            page = await client.get("/console/login")
            token = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert token is not None
            started = time.perf_counter()
            await client.post(
                "/console/login", data={"csrf": token.group(1), "username": "boss", "password": "benchmark password"}
            )
            print(f"login (argon2id verify, default cost): {1000 * (time.perf_counter() - started):.0f} ms")
            first = await (await client.get("/console/queue")).text()
            found = re.search(r'rel="next" class="pager-next" href="([^"]+)"', first)
            second = html.unescape(found.group(1)) if found else "/console/queue"
            for name, path in (
                ("queue", "/console/queue"),
                ("queue rows", "/console/queue/rows"),
                ("queue page 2", second),
                ("ticket", f"/console/tickets/{numbers[-1]}"),
            ):
                times = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = await client.get(path)
                    await response.read()
                    assert response.status == 200, response.status
                    times.append(1000 * (time.perf_counter() - started))
                times.sort()
                p95 = times[max(0, int(len(times) * 0.95) - 1)]
                print(f"{name:12s} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")
        finally:
            await client.close()
            await runtime.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    asyncio.run(main(options.complaints, options.rounds))
