"""Agent notifiers (implementations of `intake.ports.Notifier`).

- `ConsoleFeedNotifier`: the console's live feed, through the `EventBus` (memory in one
  process, Redis pub/sub across processes), topic `console:notices`.
- `WeComRobotNotifier`: a WeCom (企业微信) group robot webhook, markdown message; agents are
  mentioned with `<@id>` (their WeCom user id is their agent id).
- `TelegramAgentNotifier`: the agents' Telegram group chat, through python-telegram-bot;
  the API base is configurable (a loopback fake in tests, a local Bot API server in production).
"""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bots.telegram import retry_after_seconds
from intake.errors import DeliveryError
from intake.ports import EventBus, Notice

NOTICE_TOPIC = "console:notices"
WECOM_MARKDOWN_LIMIT = 4096  # bytes of the markdown content
TELEGRAM_LIMIT = 4096  # characters of a message
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def notice_json(notice: Notice) -> dict[str, Any]:
    """A notice as the console's live feed carries it."""
    return {
        "type": "notice",
        "kind": str(notice.kind),
        "number": notice.complaint_number,
        "recipients": list(notice.recipients),
        "names": list(notice.names),
        "team": notice.team,
        "priority": notice.priority,
        "text": notice.text,
        "at": notice.at.isoformat(),
        "template": notice.template,
        "template_version": notice.template_version,
    }


class ConsoleFeedNotifier:
    """Publishes each notice on the event bus for the agent console's live feed."""

    name = "console"

    def __init__(self, bus: EventBus, topic: str = NOTICE_TOPIC) -> None:
        self._bus = bus
        self._topic = topic

    async def notify(self, notice: Notice) -> None:
        await self._bus.publish(self._topic, notice_json(notice))


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


class WeComRobotNotifier:
    """Posts a markdown message to a WeCom group robot webhook (`…/cgi-bin/webhook/send?key=…`)."""

    name = "wecom_robot"

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def markdown(self, notice: Notice) -> str:
        """The markdown content: the notice text, then a mention of each recipient."""
        mentions = " ".join(f"<@{person}>" for person in notice.recipients)
        content = f"{notice.text}\n{mentions}" if mentions else notice.text
        return _cut_bytes(content, WECOM_MARKDOWN_LIMIT)

    async def notify(self, notice: Notice) -> None:
        payload = {"msgtype": "markdown", "markdown": {"content": self.markdown(notice)}}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self._url, json=payload) as response:
                if response.status >= 500 or response.status == 429:
                    raise DeliveryError(f"WeCom robot answered HTTP {response.status}", retryable=True)
                if response.status >= 400:
                    raise DeliveryError(f"WeCom robot answered HTTP {response.status}", retryable=False)
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"WeCom robot unreachable: {error}", retryable=True) from error
        code = body.get("errcode", -1) if isinstance(body, dict) else -1
        if code != 0:
            message = body.get("errmsg") if isinstance(body, dict) else body
            raise DeliveryError(f"WeCom robot refused the message: {code} {message}", retryable=code == 45009)

    async def close(self) -> None:
        """Release the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def telegram_html(notice: Notice) -> str:
    """The notice as Telegram HTML: escaped text, **bold** as <b>, recipients named at the end."""
    body = _BOLD.sub(lambda match: f"<b>{match[1]}</b>", html.escape(notice.text, quote=False))
    names = "、".join(html.escape(name, quote=False) for name in notice.names)
    text = f"{body}\n👤 {names}" if names else body
    return text if len(text) <= TELEGRAM_LIMIT else text[: TELEGRAM_LIMIT - 1] + "…"


class TelegramAgentNotifier:
    """Sends each notice to the agents' Telegram chat with python-telegram-bot."""

    name = "telegram_agents"

    def __init__(self, token: str, chat_id: str | int, *, api_base: str | None = None) -> None:
        # `TOUSU_TELEGRAM_API_BASE` is python-telegram-bot's base_url (…/bot, the channel's
        # reading); a bare host is accepted too.
        base = (api_base or "https://api.telegram.org/bot").rstrip("/")
        self._bot = Bot(token, base_url=base if base.endswith("/bot") else f"{base}/bot")
        self._chat_id = chat_id
        self._ready = False

    async def notify(self, notice: Notice) -> None:
        try:
            if not self._ready:
                await self._bot.initialize()
                self._ready = True
            await self._bot.send_message(self._chat_id, telegram_html(notice), parse_mode=ParseMode.HTML)
        except (BadRequest, Forbidden, InvalidToken) as error:
            raise DeliveryError(f"Telegram refused the notice: {error}", retryable=False) from error
        except RetryAfter as error:  # flood control: say how long Telegram asks to wait
            wait = retry_after_seconds(error)
            raise DeliveryError(f"Telegram flood control: {error}", retryable=True, retry_after_seconds=wait) from error
        except (TimedOut, NetworkError) as error:
            raise DeliveryError(f"Telegram unreachable: {error}", retryable=True) from error
        except TelegramError as error:
            raise DeliveryError(f"Telegram refused the notice: {error}", retryable=False) from error

    async def close(self) -> None:
        """Release the HTTP client."""
        if self._ready:
            await self._bot.shutdown()
            self._ready = False
