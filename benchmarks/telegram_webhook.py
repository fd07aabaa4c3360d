"""Telegram webhook throughput on one `tousu serve` process, replies included.

    python benchmarks/telegram_webhook.py [--requests 300] [--concurrency 8] [--database-url URL]

`tousu serve` runs as a process with Telegram pointed at the loopback fake Bot API of the
tests (tests/telegram_fake.py, in a thread of this process). Each update is a complaint
from its own chat, so each request parses, classifies, routes, numbers, encrypts and
commits before its 200; the outbox dispatcher then sends the acknowledgement and the
phone question through the real python-telegram-bot client. Printed: webhook answers per
second and their latency, and the time until every acknowledgement reached the fake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.telegram_fake import TOKEN, FakeTelegram  # noqa: E402

SECRET = "bench_secret"  # noqa: S105 - a loopback test secret
TEXTS = [
    "阿姨迟到了一个小时，也没提前说",
    "保洁员打碎了我家的花瓶，要求赔偿",
    "钟点工态度很差，说她两句就顶嘴",
    "多收了我两百块钱，要求退款",
    "预约了周六上午，结果没人来",
    "工具都没带，让我自己准备清洁剂",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def update(n: int) -> dict[str, object]:
    chat = 10_000 + n
    return {
        "update_id": 1_000_000 + n,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "客户"},
            "text": TEXTS[n % len(TEXTS)],
        },
    }


async def wait_healthy(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("tousu serve did not become healthy")


async def load(url: str, total: int, concurrency: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            began = time.perf_counter()
            async with session.post(f"{url}/telegram/webhook", data=json.dumps(update(n)), headers=headers) as r:
                await r.read()
                if r.status != 200:
                    raise SystemExit(f"update {n}: HTTP {r.status}")
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return latencies, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    fake = FakeTelegram()
    fake.start_in_thread()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_")}
        env |= {
            "TOUSU_DATA_DIR": data_dir,
            "TOUSU_LOG_LEVEL": "WARNING",
            "TOUSU_TELEGRAM_TOKEN": TOKEN,
            "TOUSU_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TOUSU_TELEGRAM_API_BASE": fake.base_url,
        }
        if args.database_url:
            env["TOUSU_DATABASE_URL"] = args.database_url
        server = subprocess.Popen([sys.executable, "-m", "tousu", "serve", "--port", str(port)], env=env, cwd=ROOT)
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(wait_healthy(url))
            began = time.perf_counter()
            latencies, elapsed = asyncio.run(load(url, args.requests, args.concurrency))
            ok = fake.wait_for(lambda: len(fake.delivered()) >= 2 * args.requests, 600)
            delivered_after = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(30)
            fake.stop_thread()
    latencies.sort()
    print(f"updates: {args.requests}, concurrency {args.concurrency}, database {args.database_url or 'sqlite'}")
    print(f"webhook: {args.requests / elapsed:.1f} updates/s (durable before each 200)")
    print(
        f"latency: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )
    print(f"all {2 * args.requests} replies delivered: {ok}, {delivered_after:.1f} s after the first update")


if __name__ == "__main__":
    main()
