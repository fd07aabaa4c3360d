"""Console action latency under concurrent intake: agents reply to their tickets in the
console while REST intake keeps posting new complaints, on one SQLite file.

    python -m benchmarks.console_load [--replies 200] [--agents 4] [--intake 12]   (from the repository root)

Runs in-process on a SQLite file in a temporary directory, over a loopback aiohttp client:
`--agents` console sessions post replies (each a console transaction with the router's
first-feedback step) while `--intake` requests to `POST /api/v1/messages` stay in flight
until the replies are done. Prints the reply latency (median, p95, p99), the intake rate
and the number of failed requests of each kind; results are recorded in
benchmarks/RESULTS.md by hand with the command line used.
"""

from __future__ import annotations

import argparse
import asyncio
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
from tousu.auth import new_token, token_digest
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings
from tousu.console.security import hash_password, set_hasher_parameters
from tousu.web import create_app

TEXTS = ["阿姨迟到了一个小时", "打碎了花瓶要求赔偿", "态度很差", "多收了两百块", "预约了没人来"]
AGENT, TEAM, PASSWORD = "zhang.min", "customer_service", "benchmark password"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


async def _tickets(runtime: Runtime, count: int) -> list[str]:
    numbers = []
    for index in range(count):
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
    async with runtime.store.transaction() as tx:
        for number in numbers:
            complaint = await tx.complaints.get(number, with_transcript=False)
            assert complaint is not None
            complaint.team, complaint.assignee = TEAM, AGENT
            await tx.complaints.save(complaint)
    return numbers


async def _login(server: TestServer) -> tuple[TestClient, str]:
    client = TestClient(server)
    await client.start_server()
    page = await (await client.get("/console/login")).text()
    found = CSRF.search(page)
    assert found is not None
    form = {"username": AGENT, "password": PASSWORD, "csrf": found.group(1)}
    response = await client.post("/console/login", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    token = META_CSRF.search(await (await client.get("/console/queue")).text())
    assert token is not None
    return client, token.group(1)


async def main(replies: int, agents: int, intake: int) -> None:
    set_hasher_parameters(time_cost=1, memory_cost=1024, parallelism=1)
    with tempfile.TemporaryDirectory() as folder:
        runtime = await build_runtime(Settings(data_dir=Path(folder) / "data", env={}))
        assert isinstance(runtime.store, SqlStore)
        async with SqlConsoleStore(runtime.store).transaction() as tx:
            await tx.users.add(AGENT, "agent", hash_password(PASSWORD), datetime.now(UTC), team=TEAM)
        token = new_token()
        async with runtime.store.transaction() as tx:
            await tx.tokens.create("bench", "intake", token_digest(token), datetime.now(UTC))
        numbers = await _tickets(runtime, 20)
        server = TestServer(create_app(runtime, start_background=False))
        await server.start_server()
        sessions = [await _login(server) for _ in range(agents)]
        latencies: list[float] = []
        failed = {"reply": 0, "intake": 0}
        posted = 0
        work = iter(range(replies))
        done = asyncio.Event()

        async def agent(client: TestClient, csrf: str) -> None:
            for i in work:
                number = numbers[i % len(numbers)]
                form = {"text": f"您好，第{i}次回复", "csrf": csrf}
                started = time.perf_counter()
                response = await client.post(f"/console/tickets/{number}/reply", data=form, allow_redirects=False)
                latencies.append(time.perf_counter() - started)
                failed["reply"] += response.status != 303

        async def customer(client: TestClient, lane: int) -> None:
            nonlocal posted
            n = 0
            while not done.is_set():
                n += 1
                body = {"channel_user_id": f"c{lane}-{n}", "text": TEXTS[n % len(TEXTS)], "external_id": f"{lane}-{n}"}
                headers = {"Authorization": f"Bearer {token}"}
                response = await client.post("/api/v1/messages", json=body, headers=headers)
                posted += 1
                failed["intake"] += response.status != 201

        feeder = sessions[0][0]
        customers = [asyncio.create_task(customer(feeder, lane)) for lane in range(intake)]
        started = time.perf_counter()
        await asyncio.gather(*(agent(client, csrf) for client, csrf in sessions))
        elapsed = time.perf_counter() - started
        done.set()
        await asyncio.gather(*customers)
        for client, _csrf in sessions:
            await client.close()
        await server.close()
        await runtime.close()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"console replies: {len(latencies)} with {agents} agents; median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(f"intake meanwhile: {posted} messages with {intake} in flight, {posted / elapsed:.1f} msg/s")
    print(f"failed requests: {failed['reply']} replies, {failed['intake']} intake")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--intake", type=int, default=12)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.replies, arguments.agents, arguments.intake))
