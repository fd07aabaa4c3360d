"""A loopback fake of the Telegram Bot API that the real python-telegram-bot `Bot` talks to.

It serves `/bot{token}/{method}` on 127.0.0.1 (python-telegram-bot's `base_url` is then
`http://127.0.0.1:{port}/bot`), answers getMe, sendMessage, answerCallbackQuery,
setWebhook, deleteWebhook and getUpdates the way Telegram documents them, and records
every call. `send_mode` makes sendMessage answer normally (`ok`), fail with HTTP 500
(`fail`), with 429 (`flood`), with 403 "bot was blocked" (`blocked`) or never answer
(`hang`); `fail_next` fails only that many calls with 500, `flood_next` answers only that many
with 429 (`parameters.retry_after` is `retry_after` seconds, in `flood` mode too). Use it inside a test's event loop
(`await fake.start()`) or in a thread (`fake.start_in_thread()`) for a server process.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
BOT_ID = 123456789
BOT_USERNAME = "tousu_test_bot"


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class FakeTelegram:
    """See the module docstring."""

    token: str = TOKEN
    send_mode: str = "ok"
    fail_next: int = 0
    flood_next: int = 0
    retry_after: int = 1
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    port: int = 0
    _runner: web.AppRunner | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _next_message_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        """python-telegram-bot's `base_url` for this fake."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ looking at the record

    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def delivered(self) -> list[Call]:
        """sendMessage calls that were answered with success."""
        return [c for c in self.called("sendMessage") if c.status == 200]

    def wait_for(self, predicate: Any, timeout: float = 60.0) -> bool:
        """Block (a thread) until `predicate()` is true; False on time-out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return bool(predicate())

    async def until(self, predicate: Any, timeout: float = 30.0) -> bool:
        """Await (in a loop) until `predicate()` is true; False on time-out."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.02)
        return bool(predicate())

    # ------------------------------------------------------------------ running

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start_in_thread(self) -> None:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.close())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop_thread(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # ------------------------------------------------------------------ the API

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params = await _params(request)
        method = request.match_info["method"]
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
        if request.match_info["token"] != self.token:
            return _error(call, 401, "Unauthorized")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(call, 404, "Not Found: method not found")
        result: web.StreamResponse = await handler(call)
        return result

    async def _m_getMe(self, call: Call) -> web.Response:
        user = {"id": BOT_ID, "is_bot": True, "first_name": "投诉助手", "username": BOT_USERNAME}
        return _ok(user | {"can_join_groups": True, "can_read_all_group_messages": False})

    async def _m_sendMessage(self, call: Call) -> web.StreamResponse:
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(call, 500, "Internal Server Error")
        if self.send_mode == "fail":
            return _error(call, 500, "Internal Server Error")
        if self.flood_next > 0 or self.send_mode == "flood":
            self.flood_next = max(0, self.flood_next - 1)
            wait = self.retry_after
            return _error(call, 429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        if self.send_mode == "blocked":
            return _error(call, 403, "Forbidden: bot was blocked by the user")
        if self.send_mode == "hang":
            call.status = 0
            await asyncio.sleep(3600)
        chat_id = int(call.params["chat_id"])
        if not str(call.params.get("text", "")).strip():
            return _error(call, 400, "Bad Request: message text is empty")
        if len(str(call.params["text"])) > 4096:
            return _error(call, 400, "Bad Request: message is too long")
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
        chat_type = "private" if chat_id > 0 else "supergroup"
        return _ok(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "投诉助手", "username": BOT_USERNAME},
                "text": call.params["text"],
            }
        )

    async def _m_answerCallbackQuery(self, call: Call) -> web.Response:
        return _ok(True)

    async def _m_setWebhook(self, call: Call) -> web.Response:
        self.webhook = dict(call.params)
        return _ok(True)

    async def _m_deleteWebhook(self, call: Call) -> web.Response:
        self.webhook = {}
        return _ok(True)

    async def _m_getUpdates(self, call: Call) -> web.Response:
        if self.webhook.get("url"):
            return _error(call, 409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(call.params.get("offset") or 0)
        wait = min(float(call.params.get("timeout") or 0), 2.0)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            with self._lock:
                pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or asyncio.get_running_loop().time() >= deadline:
                return _ok(pending)
            await asyncio.sleep(0.05)


async def _params(request: web.Request) -> dict[str, Any]:
    """Telegram accepts query strings, form data and JSON; python-telegram-bot sends form data."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            params[key] = _decoded(value) if isinstance(value, str) else value
    return params


def _decoded(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(call: Call, status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    call.status = status
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
