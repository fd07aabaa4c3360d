"""Intake throughput: `POST /api/v1/messages` on one `tousu serve` process, durable
(committed before the answer), next to a bare aiohttp handler measured in the same run.

    python benchmarks/intake.py [--requests 2000] [--concurrency 16] [--database-url URL]

Both servers run as separate processes on loopback; the load comes from this process
(aiohttp client, a fixed number of requests in flight). On Linux it also reports the
CPU time (user + system, all threads) of the tousu process per measured message. Every message is a new complaint
from its own customer, so each request classifies, routes, numbers, encrypts and commits.
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
TEXTS = [
    "阿姨迟到了一个小时，也没提前说",
    "保洁员打碎了我家的花瓶，要求赔偿",
    "钟点工态度很差，说她两句就顶嘴",
    "多收了我两百块钱，要求退款",
    "预约了周六上午，结果没人来",
    "工具都没带，让我自己准备清洁剂",
    "月嫂抱孩子时差点摔了，孩子磕伤了",
    "擦窗户很马虎，到处是水印",
]
BARE_SERVER = """
import sys
from aiohttp import web
async def handle(request):
    body = await request.json()
    return web.json_response({"complaint": None, "replies": [{"text": body["text"]}]}, status=201)
app = web.Application()
app.router.add_post("/api/v1/messages", handle)
app.router.add_get("/healthz", lambda r: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, token: str | None, total: int, concurrency: int, tag: str) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    counter = iter(range(total))
    async with aiohttp.ClientSession(headers=headers) as session:

        async def worker() -> None:
            for i in counter:
                body = {"channel_user_id": f"{tag}-{i}", "text": TEXTS[i % len(TEXTS)], "external_id": f"{tag}-{i}"}
                started = time.perf_counter()
                async with session.post(f"{url}/api/v1/messages", json=body) as response:
                    await response.read()
                    if response.status != 201:
                        raise RuntimeError(f"HTTP {response.status}: {await response.text()}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process `pid` (all its threads) so far; None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tousu_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_")}
    env |= {"TOUSU_DATA_DIR": str(data_dir), "TOUSU_LOG_LEVEL": "WARNING"}
    if database_url:
        env["TOUSU_DATABASE_URL"] = database_url
    return env


def start_tousu(env: dict[str, str], port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Create an intake token, then start `tousu serve`; returns the process and the token."""
    command = [sys.executable, "-m", "tousu", "token", "create", "bench", "--role", "intake"]
    token = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()[-1]
    return subprocess.Popen([sys.executable, "-m", "tousu", "serve", "--port", str(port)], env=env, cwd=ROOT), token


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", help="PostgreSQL URL instead of the embedded SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare_port, tousu_port = free_port(), free_port()
        bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)])
        tousu, token = start_tousu(tousu_env(Path(tmp), args.database_url), tousu_port)
        try:
            await wait_healthy(f"http://127.0.0.1:{bare_port}")
            await wait_healthy(f"http://127.0.0.1:{tousu_port}")
            await load(f"http://127.0.0.1:{bare_port}", None, 200, args.concurrency, "warm-bare")
            await load(f"http://127.0.0.1:{tousu_port}", token, 100, args.concurrency, "warm-tousu")
            bare_result = await load(f"http://127.0.0.1:{bare_port}", None, args.requests, args.concurrency, "bare")
            cpu_before = cpu_seconds(tousu.pid)
            tousu_result = await load(f"http://127.0.0.1:{tousu_port}", token, args.requests, args.concurrency, "m")
            cpu_after = cpu_seconds(tousu.pid)
        finally:
            for process in (bare, tousu):
                process.terminate()
                process.wait(timeout=20)
    database = "PostgreSQL" if args.database_url else "SQLite (embedded)"
    print(f"intake benchmark: {args.requests} requests, {args.concurrency} in flight, database {database}")
    print(f"{'server':<28}{'msg/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, result in (("bare aiohttp handler", bare_result), ("tousu POST /api/v1/messages", tousu_result)):
        print(f"{name:<28}{result['rps']:>10.1f}{result['p50_ms']:>10.2f}{result['p99_ms']:>10.2f}")
    print(f"ratio tousu/bare throughput: {tousu_result['rps'] / bare_result['rps']:.3f}")
    if cpu_before is not None and cpu_after is not None:
        tousu_result["cpu_ms_per_message"] = (cpu_after - cpu_before) * 1000 / args.requests
        print(f"tousu server CPU per message: {tousu_result['cpu_ms_per_message']:.1f} ms")
    print(json.dumps({"bare": bare_result, "tousu": tousu_result}))


if __name__ == "__main__":
    asyncio.run(main())
