"""WeChat safe-mode callbacks under load: latency, passive-reply share, exactly-once acknowledgements.

    python benchmarks/wechat_callback.py [--requests 300] [--concurrency 8] [--budget-ms 4000] [--database-url URL]

Starts `tousu serve` (a separate process, Official Account in safe mode) with
`TOUSU_WECHAT_API_BASE` pointing at a loopback fake of Tencent's API run by this process,
then posts encrypted complaints, each from its own openid, with a fixed number in flight.
Every answer is decrypted: a passive reply must carry the complaint number; a `success`
answer means the reply goes through the customer-service API later. At the end it waits
for the outbox and checks that each complaint number reached its customer exactly once
(passive or API, never both, never twice).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.intake import ROOT, TEXTS, free_port, tousu_env, wait_healthy
from bots.wechat_crypto import MessageCipher
from bots.wechat_parse import parse_xml, text_of

TOKEN = "benchToken"  # noqa: S105 - a throwaway callback token
APP_ID = "wxbench0000000001"
AES_KEY = base64.b64encode(os.urandom(32)).decode()[:-1]
WARM_UP = 40
NUMBER = re.compile(r"TS-\d{8}-\d{6}")


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - the protocol's hash


class FakeApi:
    """Tokens and customer-service messages, counted."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.tokens = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.send)
        return app

    async def token(self, request: web.Request) -> web.Response:
        self.tokens += 1
        return web.json_response({"access_token": f"T{self.tokens}", "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.sent.append((body["touser"], body["text"]["content"]))
        return web.json_response({"errcode": 0, "errmsg": "ok"})


async def load(
    url: str, total: int, concurrency: int, cipher: MessageCipher, first: int = 0, tag: str = "m"
) -> dict[str, object]:
    latencies: list[float] = []
    passive: dict[str, str] = {}
    counter = iter(range(first, first + total))
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            for i in counter:
                user = f"o_{tag}_{i}"
                inner = (
                    f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
                    f"<CreateTime>{1700000000 + i}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                    f"<Content><![CDATA[{TEXTS[i % len(TEXTS)]}]]></Content><MsgId>{10_000_000 + i}</MsgId></xml>"
                )
                encrypt = cipher.encrypt(inner)
                timestamp, nonce = str(int(time.time())), str(i)
                query = {
                    "signature": sign(TOKEN, timestamp, nonce),
                    "msg_signature": sign(TOKEN, timestamp, nonce, encrypt),
                    "timestamp": timestamp,
                    "nonce": nonce,
                    "encrypt_type": "aes",
                }
                body = (
                    f"<xml><ToUserName><![CDATA[{APP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
                )
                started = time.perf_counter()
                async with session.post(f"{url}/wechat/callback", params=query, data=body.encode()) as response:
                    text = await response.text()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {text}")
                latencies.append(time.perf_counter() - started)
                if text != "success":
                    content = text_of(parse_xml(cipher.decrypt(text_of(parse_xml(text), "Encrypt"))), "Content")
                    passive[user] = content

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
        "passive": passive,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--budget-ms", type=int, default=4000)
    parser.add_argument("--database-url", help="PostgreSQL URL instead of the embedded SQLite file")
    args = parser.parse_args()
    fake = FakeApi()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    fake_port, tousu_port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", fake_port).start()
    cipher = MessageCipher(AES_KEY, APP_ID)
    with tempfile.TemporaryDirectory() as tmp:
        env = tousu_env(Path(tmp), args.database_url) | {
            "TOUSU_WECHAT_TOKEN": TOKEN,
            "TOUSU_WECHAT_APP_ID": APP_ID,
            "TOUSU_WECHAT_APP_SECRET": "bench-secret",
            "TOUSU_WECHAT_AES_KEY": AES_KEY,
            "TOUSU_WECHAT_API_BASE": f"http://127.0.0.1:{fake_port}/cgi-bin/",
            "TOUSU_WECHAT_REPLY_BUDGET_MS": str(args.budget_ms),
        }
        command = [sys.executable, "-m", "tousu", "serve", "--port", str(tousu_port)]
        tousu = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            await wait_healthy(f"http://127.0.0.1:{tousu_port}")
            warm = await load(
                f"http://127.0.0.1:{tousu_port}", WARM_UP, args.concurrency, cipher, first=10**6, tag="warm"
            )
            warm_passive: dict[str, str] = warm["passive"]  # type: ignore[assignment]
            warm_api = WARM_UP - len(warm_passive)
            result = await load(f"http://127.0.0.1:{tousu_port}", args.requests, args.concurrency, cipher)
            passive: dict[str, str] = result.pop("passive")  # type: ignore[assignment]
            expected_api = args.requests - len(passive)
            deadline = time.monotonic() + 60
            while len({user for user, _ in fake.sent}) < expected_api + warm_api and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await asyncio.sleep(args.budget_ms / 1000 + 3)  # anything sent twice would show up by now
        finally:
            tousu.terminate()
            tousu.wait(timeout=20)
            await runner.cleanup()
    numbers: Counter[str] = Counter()
    for content in passive.values():
        numbers.update(NUMBER.findall(content))
    measured_sends = [content for user, content in fake.sent if not user.startswith("o_warm_")]
    for content in measured_sends:
        numbers.update(NUMBER.findall(content))
    once = sum(1 for count in numbers.values() if count == 1)
    database = "PostgreSQL" if args.database_url else "SQLite (embedded)"
    print(
        f"wechat safe-mode callbacks: {args.requests} requests, {args.concurrency} in flight, "
        f"budget {args.budget_ms} ms, database {database}"
    )
    print(f"throughput {result['rps']:.1f} msg/s · p50 {result['p50_ms']:.1f} ms · p99 {result['p99_ms']:.1f} ms")
    sends = len(measured_sends)
    print(f"passive replies {len(passive)} · by customer-service API {expected_api} customers, {sends} sends")
    print(f"complaint numbers delivered exactly once: {once}/{args.requests} · access tokens fetched: {fake.tokens}")
    print(json.dumps({**result, "passive": len(passive), "api_sends": len(measured_sends), "exactly_once": once}))


if __name__ == "__main__":
    asyncio.run(main())
