"""The Telegram channel: a webhook at `POST /telegram/webhook`, long polling for development,
and replies through the Bot API with python-telegram-bot (which never leaves `bots/`).

Every webhook request must carry `X-Telegram-Bot-Api-Secret-Token` equal to the configured
secret (compared in constant time), else 403 and nothing is read or stored. The body is
parsed with `telegram.Update.de_json` after `telegram_compat.normalise` has filled the
fields older payloads lack; `telegram_updates.to_inbound` decides what the bot handles.
The update is durable (committed by the pipeline) before Telegram gets its 200; replies go
through the outbox and `send`, so a crash between the two loses nothing.

Answers: 200 `{"ok": true, …}` for every update, handled or ignored; 400 for a body that is
not JSON or not an update, 413 when too large, 403 without the secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from bots import telegram_messages  # noqa: F401 - registers the catalogue entries
from bots.gateway import IntakeGateway
from bots.http import fail, read_json_object
from bots.telegram_compat import normalise
from bots.telegram_updates import BotIdentity, to_inbound
from bots.textsplit import split_message
from intake.errors import ConfigError, DeliveryError
from intake.ports import MessageHandler
from intake.records import ChannelName, OutboundMessage

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.telegram.org/bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
MAX_UPDATE_BYTES = 256 * 1024
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
READY_RETRY_SECONDS = 30.0
SECRET_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def check_secret(secret: str | None) -> str | None:
    """The secret when it is one Telegram accepts (1–256 of A-Z a-z 0-9 _ -), else ConfigError."""
    if secret is None or secret == "":
        return None
    if len(secret) > 256 or not set(secret) <= SECRET_CHARACTERS:
        raise ConfigError(
            "TOUSU_TELEGRAM_WEBHOOK_SECRET: 1–256 letters, digits, _ or -",
            detail="TOUSU_TELEGRAM_WEBHOOK_SECRET: 1–256 letters, digits, _ or -",
        )
    return secret


def retry_after_seconds(error: RetryAfter) -> float:
    """How many seconds Telegram's flood control asks to wait (`parameters.retry_after`).

    python-telegram-bot gives an int, or a `timedelta` with `PTB_TIMEDELTA=true`; both are read,
    without the deprecation warning the int form now carries.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(0.0, seconds)


def make_bot(token: str, base_url: str = DEFAULT_API_BASE, *, timeout: float = 20.0) -> Bot:
    """A python-telegram-bot `Bot` talking to `base_url` (Telegram's by default)."""
    request = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout)
    polling = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout + 60, write_timeout=timeout)
    return Bot(token, base_url=base_url, request=request, get_updates_request=polling)


class TelegramChannel:
    """The `Channel` of a Telegram bot (see the module docstring)."""

    name = ChannelName.TELEGRAM

    def __init__(
        self,
        intake: IntakeGateway,
        *,
        token: str,
        secret: str | None,
        base_url: str = DEFAULT_API_BASE,
        max_body_bytes: int = MAX_UPDATE_BYTES,
        timeout: float = 20.0,
        bot_factory: Callable[[], Bot] | None = None,
    ) -> None:
        bot_id = token.split(":", 1)[0]
        if not bot_id.isdigit():
            raise ConfigError("TOUSU_TELEGRAM_TOKEN: expected <bot id>:<secret>", detail="TOUSU_TELEGRAM_TOKEN")
        self._intake = intake
        self._secret = check_secret(secret)
        self._limit = min(max_body_bytes, MAX_UPDATE_BYTES)
        self.bot = bot_factory() if bot_factory else make_bot(token, base_url, timeout=timeout)
        self.identity = BotIdentity(int(bot_id))
        self._ready = False
        self._last_attempt = -READY_RETRY_SECONDS
        self._identity_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sent_parts: dict[str, int] = {}
        if self._secret is None:
            log.warning("TOUSU_TELEGRAM_WEBHOOK_SECRET is not set: /telegram/webhook refuses every request")

    # ------------------------------------------------------------------ Channel port

    async def start(self, on_message: MessageHandler) -> None:
        """Webhook mode needs nothing started; learn the bot's @username in the background."""
        self._spawn(self._ensure_ready())

    async def stop(self) -> None:
        """Finish pending callback answers and close the HTTP client."""
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    async def send(self, message: OutboundMessage) -> None:
        """Send one reply (split at 4,096 characters, quick replies as an inline keyboard)."""
        parts = split_message(message.reply.text or " ", MESSAGE_LIMIT)
        keyboard = _keyboard(message)
        extra = message.conversation.extra
        reply = None
        if "reply_to" in extra:
            reply = ReplyParameters(int(extra["reply_to"]), allow_sending_without_reply=True)
        done = self._sent_parts.get(message.id, 0)
        try:
            chat_id = int(message.conversation.address)
        except ValueError as error:
            raise DeliveryError(f"bad chat id {message.conversation.address!r}", retryable=False) from error
        for index, part in enumerate(parts[done:], start=done):
            last = index == len(parts) - 1
            await self._call(
                self.bot.send_message,
                chat_id=chat_id,
                text=part,
                reply_markup=keyboard if last else None,
                reply_parameters=reply if index == 0 else None,
            )
            self._sent_parts[message.id] = index + 1
        self._sent_parts.pop(message.id, None)

    # ------------------------------------------------------------------ webhook

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp route of the webhook."""
        return [web.post("/telegram/webhook", self.webhook)]

    async def webhook(self, request: web.Request) -> web.Response:
        """Check the secret, parse the update, take it in, answer 200."""
        given = request.headers.get(SECRET_HEADER, "")
        if self._secret is None or not hmac.compare_digest(given.encode(), self._secret.encode()):
            fail(request, 403, "telegram.bad_secret")
        data = await read_json_object(request, self._limit)
        try:
            update = self.parse(data)
        except NotAnUpdate as error:
            fail(request, 400, "telegram.not_update", detail=str(error))
        if update is None:
            return web.json_response({"ok": True, "handled": False})
        handled = await self.handle_update(update)
        return web.json_response({"ok": True, "handled": handled})

    def parse(self, data: dict[str, Any]) -> Update | None:
        """The `Update` of a JSON object; None for an update too odd to parse (ignored).

        Raises `NotAnUpdate` for JSON that is not an update at all.
        """
        update_id = data.get("update_id")
        if isinstance(update_id, bool) or not isinstance(update_id, int) or update_id < 0:
            raise NotAnUpdate("update_id must be a non-negative integer")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return Update.de_json(normalise(data), self.bot)
        except Exception as error:  # python-telegram-bot raises TypeError, KeyError, ValueError …
            log.info("ignoring Telegram update %s that does not parse: %s", update_id, error)
            return None

    async def handle_update(self, update: Update) -> bool:
        """Feed one update to the pipeline; False when the bot does not handle its kind."""
        if self.identity.username is None and _needs_username(update):
            await self._ensure_ready()
        message = to_inbound(update, self.identity)
        if message is None:
            if update.callback_query is not None:
                self._spawn(self._answer_callback(update.callback_query.id))
            return False
        await self._intake.receive(message)
        if update.callback_query is not None:
            self._spawn(self._answer_callback(update.callback_query.id))
        return True

    # ------------------------------------------------------------------ polling and webhook set-up

    async def set_webhook(self, url: str) -> None:
        """Register `url` with Telegram, with the secret, for the update kinds we handle."""
        if self._secret is None:
            raise ConfigError("webhook secret missing", detail="TOUSU_TELEGRAM_WEBHOOK_SECRET")
        await self._call(self.bot.set_webhook, url=url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES)

    async def poll(self, stop: asyncio.Event, *, poll_seconds: int = 30) -> int:
        """Long-poll `getUpdates` until `stop` is set; returns how many updates were handled."""
        await self._call(self.bot.delete_webhook, drop_pending_updates=False)
        offset: int | None = None
        handled = 0
        while not stop.is_set():
            fetch = asyncio.ensure_future(self._get_updates(offset, poll_seconds))
            halt = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, halt}, return_when=asyncio.FIRST_COMPLETED)
            halt.cancel()
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await fetch
                break
            try:
                updates = fetch.result()
            except TelegramError as error:
                log.warning("getUpdates failed: %s", error)
                pause = max(2.0, retry_after_seconds(error)) if isinstance(error, RetryAfter) else 2.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                continue
            for data in updates:
                if not isinstance(data, dict):
                    continue
                try:
                    update = self.parse(data)
                except NotAnUpdate:
                    continue
                offset = max(offset or 0, int(data["update_id"]) + 1)
                if update is not None and await self.handle_update(update):
                    handled += 1
        return handled

    async def _get_updates(self, offset: int | None, poll_seconds: int) -> list[Any]:
        """Raw `getUpdates` (each update parsed on its own, so one odd update cannot block the rest)."""
        kwargs: dict[str, Any] = {"timeout": poll_seconds, "allowed_updates": list(ALLOWED_UPDATES)}
        if offset is not None:
            kwargs["offset"] = offset
        with warnings.catch_warnings():  # PTB prefers get_updates, which parses the whole batch at once
            warnings.simplefilter("ignore")
            result = await self.bot.do_api_request("getUpdates", api_kwargs=kwargs, read_timeout=poll_seconds + 10)
        return result if isinstance(result, list) else []

    # ------------------------------------------------------------------ internals

    async def _ensure_ready(self) -> None:
        async with self._identity_lock:
            now = asyncio.get_running_loop().time()
            if self._ready or now - self._last_attempt < READY_RETRY_SECONDS:
                return
            self._last_attempt = now
            try:
                await asyncio.wait_for(self.bot.initialize(), 10)
            except (TelegramError, TimeoutError) as error:
                log.warning("Telegram getMe failed (%s); group mentions are not recognised yet", error)
                return
            self.identity = BotIdentity(self.identity.id, self.bot.username)
            self._ready = True

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self._call(self.bot.answer_callback_query, callback_query_id=query_id)
        except DeliveryError as error:  # the spinner stops by itself; nothing else depends on it
            log.info("answerCallbackQuery failed: %s", error)

    async def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        if not self._ready:
            await self._ensure_ready_or_raise()
        try:
            return await method(**kwargs)
        except RetryAfter as error:  # flood control: the next call must wait as long as Telegram says
            wait = retry_after_seconds(error)
            raise DeliveryError(f"Telegram flood control: {error}", retryable=True, retry_after_seconds=wait) from error
        except Forbidden as error:  # blocked by the user, kicked from the group
            raise DeliveryError(f"Telegram refused: {error}", retryable=False, callback_needed=True) from error
        except ChatMigrated as error:
            raise DeliveryError(f"chat moved to {error.new_chat_id}", retryable=False, callback_needed=True) from error
        except BadRequest as error:  # chat not found, message too long …: trying again will not help
            raise DeliveryError(f"Telegram bad request: {error}", retryable=False, callback_needed=True) from error
        except (NetworkError, InvalidToken) as error:  # timeouts, 5xx, a token fixed by a restart
            raise DeliveryError(f"Telegram unavailable: {error}", retryable=True) from error
        except TelegramError as error:
            raise DeliveryError(f"Telegram error: {error}", retryable=True) from error

    async def _ensure_ready_or_raise(self) -> None:
        await self._ensure_ready()
        if not self._ready:
            raise DeliveryError("Telegram getMe failed", retryable=True)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class NotAnUpdate(ValueError):
    """The JSON object is not a Telegram update."""


def _needs_username(update: Update) -> bool:
    message = update.message or update.edited_message
    return message is not None and message.chat.type in ("group", "supergroup")


def _keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(quick.label, callback_data=quick.payload)
        for quick in message.reply.quick_replies
        if 0 < len(quick.payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup([[button] for button in buttons])
