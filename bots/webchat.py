"""The web-chat channel: a page at `/chat`, a WebSocket at `/chat/ws`, an embeddable widget.

An anonymous visitor gets a session id (cookie, also kept by the page so an embedded
widget on another site works); every message it sends is taken in by the pipeline with
the client's message id as the idempotency key, so a resend after a reconnect is
harmless. Replies come back through the outbox: `send` publishes them on the event bus
topic of the session and every open socket of that session shows them. History comes
back after a reload from the stored conversation.

Wire protocol (JSON text frames):
  server → {"type": "hello", "session", "greeting"} then {"type": "history", "messages": […]}
  client → {"type": "message", "id": client-message-id, "text": …}
  server → {"type": "ack", "id", "complaint"} · {"type": "reply", "id", "text", "quick_replies", "at"}
  server → {"type": "error", "message"}
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

from aiohttp import WSMsgType, web

from bots.gateway import IntakeGateway
from intake.messages import text as catalogue_text
from intake.ports import EventBus, MessageHandler
from intake.records import (
    ChannelName,
    ConversationRef,
    Identity,
    InboundMessage,
    MessageKind,
    OutboundMessage,
    TranscriptEntry,
)

STATIC_DIR = Path(__file__).parent / "static" / "webchat"
COOKIE = "tousu_chat"
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HistoryReader = Callable[[ConversationRef], Awaitable[list[TranscriptEntry]]]


class WebChatChannel:
    """The `Channel` of the web-chat widget."""

    name = ChannelName.WEBCHAT

    def __init__(
        self,
        intake: IntakeGateway,
        history: HistoryReader,
        bus: EventBus,
        *,
        locale: str = "zh",
        max_text: int = 2000,
        max_messages_per_minute: int = 30,
    ) -> None:
        self._intake = intake
        self._history = history
        self._bus = bus
        self._locale = locale
        self._max_text = max_text
        self._rate = max_messages_per_minute

    # ------------------------------------------------------------------ Channel port

    async def start(self, on_message: MessageHandler) -> None:
        """Nothing to start: messages arrive on the WebSocket route."""

    async def stop(self) -> None:
        """Nothing to release: sockets close with the web application."""

    async def send(self, message: OutboundMessage) -> None:
        """Show a reply on every open socket of the session; it is in the history anyway."""
        await self._bus.publish(_topic(message.conversation.address), _reply_frame(message))

    # ------------------------------------------------------------------ routes

    def routes(self) -> list[web.AbstractRouteDef]:
        """The aiohttp routes of the web chat."""
        return [
            web.get("/chat", self.page),
            web.get("/chat/ws", self.socket),
            web.get("/chat/embed.js", self.embed_script),
            web.static("/chat/static", STATIC_DIR),
        ]

    async def page(self, request: web.Request) -> web.Response:
        """The chat page (also shown inside the embedded widget's frame)."""
        session = self._session_of(request) or _new_session()
        body = Template((STATIC_DIR / "chat.html").read_text(encoding="utf-8")).substitute(
            lang="zh-CN" if self._locale == "zh" else "en",
            title=html.escape(catalogue_text("webchat.title", self._locale)),
            placeholder=html.escape(catalogue_text("webchat.placeholder", self._locale)),
            send=html.escape(catalogue_text("webchat.send", self._locale)),
            connecting=html.escape(catalogue_text("webchat.connecting", self._locale)),
            offline=html.escape(catalogue_text("webchat.offline", self._locale)),
            embedded="true" if request.query.get("embed") == "1" else "false",
        )
        response = web.Response(text=body, content_type="text/html")
        response.headers["Content-Security-Policy"] = "default-src 'self'; connect-src 'self' ws: wss:"
        response.set_cookie(COOKIE, session, max_age=365 * 86400, httponly=True, samesite="Lax")
        return response

    async def embed_script(self, request: web.Request) -> web.Response:
        """The snippet a company site includes to host the widget."""
        script = (STATIC_DIR / "embed.js").read_text(encoding="utf-8")
        return web.Response(text=script, content_type="application/javascript")

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """One visitor's live connection."""
        session = self._session_of(request) or _new_session()
        conversation = ConversationRef(ChannelName.WEBCHAT, session)
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
        await ws.prepare(request)
        async with self._bus.subscribe(_topic(session)) as replies:
            forward = asyncio.create_task(self._forward(replies, ws))
            try:
                await ws.send_json(
                    {"type": "hello", "session": session, "greeting": catalogue_text("webchat.greeting", self._locale)}
                )
                await ws.send_json({"type": "history", "messages": await self._history_frames(conversation)})
                await self._read_loop(ws, conversation)
            finally:
                forward.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await forward
        return ws

    # ------------------------------------------------------------------ internals

    def _session_of(self, request: web.Request) -> str | None:
        for candidate in (request.query.get("session"), request.cookies.get(COOKIE)):
            if candidate and SESSION_PATTERN.match(candidate):
                return candidate
        return None

    async def _history_frames(self, conversation: ConversationRef) -> list[dict[str, Any]]:
        entries = await self._history(conversation)
        return [
            {"direction": e.direction, "text": e.text, "at": e.at.isoformat(), "kind": str(e.kind)} for e in entries
        ]

    async def _forward(self, replies: Any, ws: web.WebSocketResponse) -> None:
        async for frame in replies:
            if ws.closed:
                return
            await ws.send_json(frame)

    async def _read_loop(self, ws: web.WebSocketResponse, conversation: ConversationRef) -> None:
        window: list[float] = []
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            error = self._check_rate(window)
            if error is None:
                error = await self._handle_frame(ws, conversation, frame.data)
            if error:
                await ws.send_json({"type": "error", "message": error})

    def _check_rate(self, window: list[float]) -> str | None:
        now = time.monotonic()
        window[:] = [t for t in window if now - t < 60]
        window.append(now)
        if len(window) > self._rate:
            return catalogue_text("error.invalid_input", self._locale, detail="too many messages, slow down")
        return None

    async def _handle_frame(self, ws: web.WebSocketResponse, conversation: ConversationRef, raw: str) -> str | None:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            return catalogue_text("error.invalid_json", self._locale)
        if not isinstance(data, dict) or data.get("type") != "message":
            return catalogue_text("error.invalid_input", self._locale, detail="expected a message frame")
        client_id, content = data.get("id"), data.get("text")
        if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.match(client_id):
            return catalogue_text("error.bad_field", self._locale, field="id", detail="1–64 letters, digits, - or _")
        if not isinstance(content, str) or not content.strip() or len(content) > self._max_text:
            return catalogue_text("error.bad_field", self._locale, field="text", detail=f"1–{self._max_text} chars")
        result = await self._intake.receive(self._message(conversation, client_id, content.strip()))
        await ws.send_json(
            {"type": "ack", "id": client_id, "complaint": result.complaint.number if result.complaint else None}
        )
        return None

    def _message(self, conversation: ConversationRef, client_id: str, content: str) -> InboundMessage:
        is_rating = content.startswith("rate:")
        return InboundMessage(
            channel=ChannelName.WEBCHAT,
            external_id=f"{conversation.address}:{client_id}",
            sender=Identity(ChannelName.WEBCHAT, conversation.address),
            conversation=conversation,
            kind=MessageKind.CALLBACK if is_rating else MessageKind.TEXT,
            text=content,
            received_at=datetime.now(UTC),
            locale=self._locale,
        )


def _topic(session: str) -> str:
    return f"webchat:{session}"


def _new_session() -> str:
    return secrets.token_urlsafe(24)


def _reply_frame(message: OutboundMessage) -> dict[str, Any]:
    return {
        "type": "reply",
        "id": message.id,
        "text": message.reply.text,
        "quick_replies": [{"label": q.label, "payload": q.payload} for q in message.reply.quick_replies],
        "at": datetime.now(UTC).isoformat(),
    }
