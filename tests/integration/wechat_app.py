"""A tousu with both WeChat channels configured against a loopback fake of Tencent's API."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bots.wechat_crypto import MessageCipher
from bots.wechat_parse import parse_xml, text_of
from intake.ports import ComplaintFilter
from intake.records import ChannelName, Complaint, ConversationRef, Customer, Identity, TranscriptEntry
from tests.integration.conftest import settings_for
from tests.integration.wechat_fake import FakeWeChatApi, cdata_xml, plain_query, running_fake, sealed, sha1_signature
from tousu.bootstrap import Runtime, build_runtime
from tousu.web import create_app

NUMBER = re.compile(r"TS-\d{8}-\d{6}")
TOKEN = "tousuTestToken"
AES_KEY = base64.b64encode(bytes(range(32))).decode()[:-1]
APP_ID = "wx1234567890abcdef"
CORP_ID = "ww1234567890abcdef"
ACCOUNT = "gh_0123456789ab"
COMPLAINT = "阿姨今天迟到了一个多小时，打扫也很马虎"
KAT = json.loads((Path(__file__).parents[1] / "fixtures" / "wechat_kat.json").read_text(encoding="utf-8"))


@dataclass
class WeChatApp:
    client: TestClient
    runtime: Runtime
    fake: FakeWeChatApi
    official: MessageCipher
    work: MessageCipher
    work_token: str
    next_id: int = 1000

    def message(self, user: str, msg_type: str = "text", **fields: str) -> str:
        self.next_id += 1
        base = {"ToUserName": ACCOUNT, "FromUserName": user, "CreateTime": str(1700000000 + self.next_id)}
        if msg_type != "event":
            fields.setdefault("MsgId", str(self.next_id))
        return cdata_xml(**base, MsgType=msg_type, **fields)

    async def post_plain(self, body: str | bytes, query: dict[str, str] | None = None) -> ClientResponse:
        return await self.client.post("/wechat/callback", params=query or plain_query(TOKEN), data=body)

    async def post_safe(self, inner: str) -> ClientResponse:
        query, body = sealed(TOKEN, self.official, inner, APP_ID)
        return await self.client.post("/wechat/callback", params=query, data=body)

    async def post_wecom(self, inner: str) -> ClientResponse:
        query, body = sealed(self.work_token, self.work, inner, CORP_ID)
        del query["signature"], query["encrypt_type"]
        return await self.client.post("/wecom/callback", params=query, data=body)

    def open_reply(self, xml: str, cipher: MessageCipher, token: str, nonce: str = "461056294") -> dict[str, Any]:
        envelope = parse_xml(xml)
        encrypt = text_of(envelope, "Encrypt")
        assert text_of(envelope, "MsgSignature") == sha1_signature(
            token, text_of(envelope, "TimeStamp"), nonce, encrypt
        )
        assert text_of(envelope, "Nonce") == nonce
        return parse_xml(cipher.decrypt(encrypt))

    async def complaints(self) -> list[Complaint]:
        async with self.runtime.store.transaction() as tx:
            return await tx.complaints.list(ComplaintFilter())

    async def complaint(self, number: str) -> Complaint:
        async with self.runtime.store.transaction() as tx:
            found = await tx.complaints.get(number)
        assert found is not None
        return found

    async def customer(self, user: str, channel: ChannelName = ChannelName.WECHAT) -> Customer | None:
        async with self.runtime.store.transaction() as tx:
            return await tx.customers.find_by_identity(Identity(channel, user))

    async def history(self, user: str, channel: ChannelName = ChannelName.WECHAT) -> list[TranscriptEntry]:
        return await self.runtime.history(ConversationRef(channel, user))

    async def settle(self) -> None:
        """Wait until the outbox is empty, then check that one more dispatch round sends nothing."""
        for _ in range(400):
            async with self.runtime.store.transaction() as tx:
                if await tx.outbox.pending_count() == 0:
                    break
            await asyncio.sleep(0.05)
        assert await self.runtime.dispatcher.run_once() == 0


AppFactory = Callable[..., Awaitable[WeChatApp]]


@pytest.fixture
async def make_app(tmp_path: Path) -> AsyncIterator[AppFactory]:
    stack = AsyncExitStack()

    async def factory(
        budget_ms: int = 60_000,
        database_url: str = "",
        wecom: tuple[str, str, str] | None = None,
        fake: FakeWeChatApi | None = None,
        redis: tuple[str, str] | None = None,
        official_aes: bool = True,
    ) -> WeChatApp:
        """A tousu with both channels; `fake` shares one Tencent fake, `redis` is (url, key prefix)."""
        fake = fake or await stack.enter_async_context(running_fake())
        coordination = {"redis_url": redis[0], "redis_prefix": redis[1]} if redis else {}
        work_token, work_key, corp_id = wecom or (TOKEN, AES_KEY, CORP_ID)
        settings = settings_for(
            tmp_path,
            database_url=database_url,
            max_body_bytes=64 * 1024,
            wechat_token=TOKEN,
            wechat_aes_key=AES_KEY if official_aes else None,
            wechat_app_id=APP_ID,
            wechat_app_secret="mp-secret",
            wechat_api_base=fake.base,
            wecom_token=work_token,
            wecom_aes_key=work_key,
            wecom_corp_id=corp_id,
            wecom_agent_id="1000002",
            wecom_secret="work-secret",
            wecom_api_base=fake.base,
            wechat_reply_budget_ms=budget_ms,
            **coordination,
        )
        runtime = await build_runtime(settings)
        client = TestClient(TestServer(create_app(runtime)))
        await client.start_server()
        stack.push_async_callback(client.close)
        return WeChatApp(
            client, runtime, fake, MessageCipher(AES_KEY, APP_ID), MessageCipher(work_key, corp_id), work_token
        )

    try:
        yield factory
    finally:
        await stack.aclose()
