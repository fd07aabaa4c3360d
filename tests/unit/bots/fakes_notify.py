"""Loopback fakes of the WeCom group robot webhook and of the Telegram Bot API (aiohttp on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ROBOT_KEY = "robot-key-123"
BOT_TOKEN = "123456:ABC-test-token"


@dataclass
class Fake:
    """A running fake: its base URL and what it received."""

    base: str
    received: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    status: int = 200


def _wecom_app(fake: Fake) -> web.Application:
    async def send(request: web.Request) -> web.Response:
        if request.query.get("key") != ROBOT_KEY:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        fake.received.append(body)
        if fake.status != 200:
            return web.Response(status=fake.status, text="busy")
        if body.get("msgtype") != "markdown" or not body.get("markdown", {}).get("content"):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        return web.json_response(fake.answer or {"errcode": 0, "errmsg": "ok"})

    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", send)
    return app


def _telegram_app(fake: Fake) -> web.Application:
    async def method(request: web.Request) -> web.Response:
        if request.match_info["token"] != BOT_TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        name = request.match_info["method"]
        if request.content_type == "application/json":
            data = await request.json()
        else:
            data = dict(await request.post())
        fake.received.append({"method": name, **{k: v for k, v in data.items()}})
        if name == "getMe":
            me = {"id": 123456, "is_bot": True, "first_name": "tousu", "username": "tousu_bot"}
            return web.json_response({"ok": True, "result": me})
        if name == "sendMessage":
            if fake.answer is not None:
                return web.json_response(fake.answer, status=fake.status)
            chat = {"id": int(data["chat_id"]), "type": "supergroup", "title": "客服群"}
            result = {"message_id": len(fake.received), "date": 1764561600, "chat": chat, "text": data["text"]}
            return web.json_response({"ok": True, "result": result})
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    return app


@asynccontextmanager
async def _serve(build: Any) -> AsyncIterator[Fake]:
    fake = Fake("")
    runner = web.AppRunner(build(fake))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


def wecom_robot() -> Any:
    """`async with wecom_robot() as fake:` — webhook URL is f"{fake.base}/cgi-bin/webhook/send?key={ROBOT_KEY}"."""
    return _serve(_wecom_app)


def telegram_api() -> Any:
    """`async with telegram_api() as fake:` — the Bot API base is fake.base."""
    return _serve(_telegram_app)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
