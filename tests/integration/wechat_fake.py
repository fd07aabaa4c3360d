"""A loopback fake of the WeChat and WeCom HTTP APIs that the real wechatpy clients talk to.

It issues access tokens, accepts customer-service (`message/custom/send`) and WeCom app
(`message/send`) messages, refuses revoked tokens with errcode 40001, and answers the
next sends from a script (an HTTP status or a JSON error) so tests can make it fail.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bots.wechat_crypto import MessageCipher


@dataclass
class Sent:
    path: str
    token: str
    body: dict[str, Any]

    @property
    def to(self) -> str:
        return str(self.body.get("touser"))

    @property
    def content(self) -> str:
        return str(self.body["text"]["content"])


@dataclass
class FakeWeChatApi:
    tokens_issued: int = 0
    valid: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    attempts: list[Sent] = field(default_factory=list)
    script: list[int | dict[str, Any]] = field(default_factory=list)
    base: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_get("/cgi-bin/gettoken", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.send)
        app.router.add_post("/cgi-bin/message/send", self.send)
        return app

    def revoke_tokens(self) -> None:
        self.valid.clear()

    async def token(self, request: web.Request) -> web.Response:
        if not (request.query.get("secret") or request.query.get("corpsecret")):
            return web.json_response({"errcode": 41004, "errmsg": "appsecret missing"})
        self.tokens_issued += 1
        token = f"TOKEN-{self.tokens_issued}"
        self.valid.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        sent = Sent(request.path, token, await request.json())
        self.attempts.append(sent)
        if token not in self.valid:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, int):
                return web.Response(status=step, text="upstream trouble")
            return web.json_response(step)
        self.sent.append(sent)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def wait_sent(self, count: int, timeout: float = 20.0) -> list[Sent]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.sent) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} sends, got {len(self.sent)}: {self.attempts}")
            await asyncio.sleep(0.05)
        return self.sent


@asynccontextmanager
async def running_fake() -> AsyncIterator[FakeWeChatApi]:
    fake = FakeWeChatApi()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base = str(server.make_url("/cgi-bin/"))
    try:
        yield fake
    finally:
        await server.close()


# --------------------------------------------------------------------------- what WeChat sends


def sha1_signature(*parts: str) -> str:
    """Tencent's signature, computed here independently of the code under test."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - the protocol's hash


def cdata_xml(**fields: str) -> str:
    return "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>"


def plain_query(token: str, timestamp: str = "1409659813", nonce: str = "1372623149") -> dict[str, str]:
    return {"signature": sha1_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def sealed(
    token: str, cipher: MessageCipher, inner: str, to_user: str, *, compatible: str = ""
) -> tuple[dict[str, str], str]:
    """Query and body of a safe-mode (or, with `compatible`, compatible-mode) callback."""
    timestamp, nonce = "1411525903", "461056294"
    encrypt = cipher.encrypt(inner)
    query = {
        "msg_signature": sha1_signature(token, timestamp, nonce, encrypt),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "signature": sha1_signature(token, timestamp, nonce),
    }
    body = (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>{compatible}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )
    return query, body
