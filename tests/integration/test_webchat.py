"""The web chat round trip over a real WebSocket against a real server."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

from aiohttp import ClientWebSocketResponse

from tests.integration.conftest import Api

NUMBER = re.compile(r"TS-\d{8}-\d{6}")


async def next_frame(ws: ClientWebSocketResponse, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout)
        frame = json.loads(message.data)
        if frame["type"] == kind:
            return frame


async def say(ws: ClientWebSocketResponse, text: str) -> dict[str, Any]:
    client_id = uuid.uuid4().hex
    await ws.send_json({"type": "message", "id": client_id, "text": text})
    ack = await next_frame(ws, "ack")
    assert ack["id"] == client_id
    return ack


async def test_page_sets_a_session_cookie_and_serves_the_widget(api: Api) -> None:
    page = await api.client.get("/chat")
    assert page.status == 200
    html = await page.text()
    assert "/chat/static/chat.js" in html and 'lang="zh-CN"' in html
    assert "tousu_chat" in page.cookies
    for path in ("/chat/static/chat.js", "/chat/static/chat.css", "/chat/embed.js"):
        assert (await api.client.get(path)).status == 200


async def test_a_complaint_is_acknowledged_live_and_the_phone_is_asked_for(api: Api) -> None:
    async with api.client.ws_connect("/chat/ws") as ws:
        hello = await next_frame(ws, "hello")
        assert hello["greeting"]
        assert (await next_frame(ws, "history"))["messages"] == []
        ack = await say(ws, "阿姨今天迟到了一个多小时，打扫也很马虎")
        number = ack["complaint"]
        assert number and NUMBER.fullmatch(number)
        first = await next_frame(ws, "reply")
        second = await next_frame(ws, "reply")
        assert number in first["text"]
        assert "手机" in second["text"] or "电话" in second["text"]
        await say(ws, "13800138000")
        saved = await next_frame(ws, "reply")
        assert saved["text"]
    async with api.runtime.store.transaction() as tx:
        complaint = await tx.complaints.get(number)
        assert complaint is not None
        customer = await tx.customers.get(complaint.customer_id)
    assert customer is not None and customer.phone == "13800138000"


async def test_history_comes_back_after_a_reload(api: Api) -> None:
    async with api.client.ws_connect("/chat/ws") as ws:
        session = (await next_frame(ws, "hello"))["session"]
        await say(ws, "工具箱里什么都没有，阿姨让我自己买清洁剂")
        await next_frame(ws, "reply")
    async with api.client.ws_connect(f"/chat/ws?session={session}") as ws:
        assert (await next_frame(ws, "hello"))["session"] == session
        history = (await next_frame(ws, "history"))["messages"]
    assert history[0]["direction"] == "in" and "清洁剂" in history[0]["text"]
    assert any(m["direction"] == "out" for m in history)


async def test_a_resent_message_after_reconnect_is_taken_once(api: Api) -> None:
    async with api.client.ws_connect("/chat/ws") as ws:
        session = (await next_frame(ws, "hello"))["session"]
        frame = {"type": "message", "id": "same-id-1", "text": "保洁员打碎了我的花瓶"}
        await ws.send_json(frame)
        first = await next_frame(ws, "ack")
    async with api.client.ws_connect(f"/chat/ws?session={session}") as ws:
        await ws.send_json(frame)
        second = await next_frame(ws, "ack")
    assert first["complaint"] == second["complaint"]
    listing = await (await api.get("/api/v1/complaints")).json()
    assert listing["total"] == 1


async def test_bad_frames_get_an_error_and_the_socket_keeps_serving(api: Api) -> None:
    async with api.client.ws_connect("/chat/ws") as ws:
        await next_frame(ws, "history")
        await ws.send_str("{oops")
        assert (await next_frame(ws, "error"))["message"]
        await ws.send_json({"type": "message", "id": "../../etc", "text": "hi"})
        assert (await next_frame(ws, "error"))["message"]
        await ws.send_json({"type": "message", "id": "ok1", "text": "x" * 5000})
        assert (await next_frame(ws, "error"))["message"]
        ack = await say(ws, "阿姨没有按时到")
        assert ack["complaint"]
