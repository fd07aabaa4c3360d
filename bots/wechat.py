"""The WeChat Official Account (`/wechat/callback`) and WeCom app (`/wecom/callback`) channels.

One adapter class serves both platforms (they share the callback protocol):

- GET with `echostr`: URL verification. The Official Account signs token/timestamp/nonce
  and gets `echostr` back as is; WeCom signs the encrypted `echostr` too and gets it
  decrypted.
- POST: a callback in plaintext, compatible or safe (AES) mode. Every signature is
  checked (`msg_signature` over the `Encrypt` text in the encrypted modes); a bad or
  missing one is 403 before anything is parsed or stored. With an EncodingAESKey configured,
  plaintext callbacks are refused (their signature does not cover the body). Bodies over the size limit are
  413, broken XML and any DTD (entity bombs) are 400. Kinds the channel does not handle
  are answered `success` and ignored.
- The message goes to the pipeline with its replies held back from the dispatcher for a
  little longer than the reply budget (default 4 s; WeChat waits 5 s). When the pipeline
  finishes inside the budget, the replies that fit one text are taken out of the outbox
  and answered passively (encrypted in the encrypted modes); otherwise the answer is
  `success` (still only after the message is committed, so nothing is lost; WeChat
  retries a request that takes over 5 s, and dedupe makes the retry harmless) and the
  outbox dispatcher delivers the replies through `send` (customer-service message API,
  or WeCom's app message API).
- Quick replies become numbered options ("回复 1 …"); the last options of a conversation
  are kept in `ConversationState`, so a bare "1" from the customer means the first payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from bots.gateway import IntakeGateway
from bots.http import fail, read_body
from bots.textsplit import split_message, utf8_bytes
from bots.wechat_api import DEFAULT_OFFICIAL_BASE, DEFAULT_WORK_BASE, MessageApi, official_api, work_api
from bots.wechat_crypto import CryptoError, MessageCipher, check_signature, signature
from bots.wechat_parse import (
    Fields,
    XmlError,
    encrypted_reply_xml,
    parse_xml,
    text_of,
    text_reply_xml,
    to_inbound,
)
from intake.errors import ConfigError
from intake.messages import register
from intake.messages import text as catalogue_text
from intake.pipeline import IntakeResult
from intake.ports import ConversationState, Dedupe, MessageHandler
from intake.records import ChannelName, ConversationRef, InboundMessage, MessageKind, OutboundMessage, Reply

log = logging.getLogger(__name__)

TEXT_LIMIT = 2048
"""WeChat's limit of one text message, in UTF-8 bytes."""
OPTION_PATTERN = re.compile(r"^\s*(\d{1,2})\s*$")
OPTIONS_TTL_SECONDS = 24 * 3600
PROGRESS_TTL_SECONDS = 24 * 3600
SUCCESS = "success"

register(
    "zh",
    {
        "wechat.option": "回复 {number}：{label}",
        "error.bad_signature": "签名校验失败",
        "error.invalid_xml": "XML 无效：{detail}",
        "error.missing_echostr": "缺少 echostr 参数",
        "error.plaintext_refused": "已启用消息加密，不接受明文回调",
    },
)
register(
    "en",
    {
        "wechat.option": "Reply {number}: {label}",
        "error.bad_signature": "The signature does not match",
        "error.invalid_xml": "Invalid XML: {detail}",
        "error.missing_echostr": "The echostr parameter is missing",
        "error.plaintext_refused": "Message encryption is on: plaintext callbacks are refused",
    },
)


@dataclass(frozen=True, slots=True)
class WeChatConfig:
    """One Official Account or one WeCom application."""

    channel: ChannelName
    token: str
    receive_id: str
    """The app id (Official Account) or the corp id (WeCom): the encrypted envelope names it."""
    secret: str
    aes_key: str | None = None
    agent_id: str | None = None
    api_base: str = DEFAULT_OFFICIAL_BASE
    reply_budget_seconds: float = 4.0
    hold_margin_seconds: float = 1.0
    max_body_bytes: int = 1024 * 1024
    locale: str = "zh"

    @property
    def path(self) -> str:
        """The callback route."""
        return "/wecom/callback" if self.channel == ChannelName.WECOM else "/wechat/callback"


class WeChatChannel:
    """The `Channel` of an Official Account or a WeCom app; see the module docstring."""

    def __init__(self, config: WeChatConfig, intake: IntakeGateway, state: ConversationState, api: MessageApi) -> None:
        self.name = config.channel
        self.config = config
        self._intake = intake
        self._state = state
        self.api = api
        self._cipher = MessageCipher(config.aes_key, config.receive_id) if config.aes_key else None
        self._tasks: set[asyncio.Task[IntakeResult]] = set()

    @property
    def is_work(self) -> bool:
        """True for a WeCom app (always encrypted, echostr decrypted)."""
        return self.name == ChannelName.WECOM

    # ------------------------------------------------------------------ Channel port

    async def start(self, on_message: MessageHandler) -> None:
        """Nothing to start: messages arrive on the callback route."""

    async def stop(self) -> None:
        """Let messages still in the pipeline finish (their replies are in the outbox)."""
        if self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait(set(self._tasks), timeout=10)
        self.api.close()

    async def send(self, message: OutboundMessage) -> None:
        """Deliver one reply through the message API, split at 2,048 bytes, each piece once."""
        pieces = split_message(self.render_text(message.reply), TEXT_LIMIT, utf8_bytes)
        progress_key = f"wechat-sent:{message.id}"
        progress = await self._state.get(progress_key) if len(pieces) > 1 else None
        for index in range(int((progress or {}).get("pieces", 0)), len(pieces)):
            await self.api.send_text(message.conversation.address, pieces[index])
            if len(pieces) > 1:
                await self._state.set(progress_key, {"pieces": index + 1}, PROGRESS_TTL_SECONDS)
        await self._remember_options(message.conversation, message.reply)

    # ------------------------------------------------------------------ replies

    def render_text(self, reply: Reply) -> str:
        """The reply's text with its quick replies as numbered options."""
        if not reply.quick_replies:
            return reply.text
        options = [
            catalogue_text("wechat.option", self.config.locale, number=number, label=option.label)
            for number, option in enumerate(reply.quick_replies, start=1)
        ]
        return reply.text.rstrip() + "\n\n" + "\n".join(options)

    def _options_key(self, conversation: ConversationRef) -> str:
        return f"wechat-options:{conversation.channel}:{conversation.address}"

    async def _remember_options(self, conversation: ConversationRef, reply: Reply) -> None:
        key = self._options_key(conversation)
        if reply.quick_replies:
            await self._state.set(key, {"options": [q.payload for q in reply.quick_replies]}, OPTIONS_TTL_SECONDS)
        else:
            await self._state.clear(key)

    async def _map_option(self, message: InboundMessage) -> InboundMessage:
        """A bare number answering the last numbered options becomes that option's payload."""
        match = OPTION_PATTERN.match(message.text or "") if message.kind == MessageKind.TEXT else None
        if match is None:
            return message
        state = await self._state.get(self._options_key(message.conversation))
        options = (state or {}).get("options") or []
        index = int(match.group(1)) - 1
        if 0 <= index < len(options):
            return dataclasses.replace(message, text=str(options[index]))
        return message

    # ------------------------------------------------------------------ routes

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes of this channel."""
        return [web.get(self.config.path, self.verify), web.post(self.config.path, self.callback)]

    async def verify(self, request: web.Request) -> web.Response:
        """URL verification: answer `echostr` (decrypted on WeCom) when the signature matches."""
        query = request.query
        echostr = query.get("echostr")
        if not echostr:
            fail(request, 400, "error.missing_echostr")
        timestamp, nonce = query.get("timestamp"), query.get("nonce")
        if self.is_work:
            echostr = echostr.replace(" ", "+")  # base64 has no spaces: an unescaped '+' was read as one
            if not check_signature(query.get("msg_signature"), self.config.token, timestamp, nonce, echostr):
                fail(request, 403, "error.bad_signature")
            try:
                echostr = self._require_cipher().decrypt(echostr)
            except CryptoError as error:
                fail(request, 400, "error.invalid_input", detail=f"echostr: {error}")
        elif not check_signature(query.get("signature"), self.config.token, timestamp, nonce):
            fail(request, 403, "error.bad_signature")
        return web.Response(text=echostr, content_type="text/plain")

    async def callback(self, request: web.Request) -> web.Response:
        """One message or event from the platform."""
        body = await read_body(request, self.config.max_body_bytes)
        fields, encrypted = self._open(request, body)
        message = to_inbound(self.name, fields)
        if message is None:
            return _success()
        message = await self._map_option(message)
        content = await self._passive_text(message)
        if content is None:
            return _success()
        xml = text_reply_xml(text_of(fields, "FromUserName"), text_of(fields, "ToUserName"), content, int(time.time()))
        if encrypted:
            xml = self._seal(xml, request.query.get("nonce") or secrets.token_hex(8))
        return web.Response(text=xml, content_type="application/xml")

    # ------------------------------------------------------------------ protocol

    def _open(self, request: web.Request, body: bytes) -> tuple[Fields, bool]:
        """Check the signature and return the callback's fields and whether it was encrypted."""
        query = request.query
        timestamp, nonce = query.get("timestamp"), query.get("nonce")
        encrypted = self._cipher is not None
        if encrypted and not self.is_work and query.get("encrypt_type", "").lower() != "aes":
            # With an EncodingAESKey the account is in compatible or safe mode, where Tencent always
            # encrypts. A plaintext signature covers only the query, never the body: refuse it.
            fail(request, 403, "error.plaintext_refused")
        if not encrypted:
            if not check_signature(query.get("signature"), self.config.token, timestamp, nonce):
                fail(request, 403, "error.bad_signature")
            fields = _parse(request, body)
            if "Encrypt" in fields and "MsgType" not in fields:
                # Safe mode on the platform, no key here: fail loudly (WeChat retries) instead of dropping it.
                raise ConfigError(f"{self.name} sends encrypted callbacks but TOUSU_WECHAT_AES_KEY is not set")
            return fields, False
        envelope = _parse(request, body)
        encrypt = text_of(envelope, "Encrypt")
        if not check_signature(query.get("msg_signature"), self.config.token, timestamp, nonce, encrypt or None):
            fail(request, 403, "error.bad_signature")
        if "signature" in query and not check_signature(query.get("signature"), self.config.token, timestamp, nonce):
            fail(request, 403, "error.bad_signature")
        try:
            plaintext = self._require_cipher().decrypt(encrypt)
        except CryptoError as error:
            fail(request, 400, "error.invalid_input", detail=f"Encrypt: {error}")
        return _parse(request, plaintext.encode("utf-8")), True

    def _require_cipher(self) -> MessageCipher:
        if self._cipher is None:  # WeCom always has one (checked when configured)
            raise ConfigError(f"{self.name}: no EncodingAESKey configured")
        return self._cipher

    def _seal(self, xml: str, nonce: str) -> str:
        encrypt = self._require_cipher().encrypt(xml)
        timestamp = str(int(time.time()))
        return encrypted_reply_xml(encrypt, signature(self.config.token, timestamp, nonce, encrypt), timestamp, nonce)

    async def _passive_text(self, message: InboundMessage) -> str | None:
        """Run the pipeline; the passive reply text when it finished within the budget, else None."""
        budget = self.config.reply_budget_seconds
        task = asyncio.ensure_future(
            self._intake.receive(message, hold_replies_seconds=budget + self.config.hold_margin_seconds)
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        try:
            result = await asyncio.wait_for(asyncio.shield(task), budget)
        except TimeoutError:
            log.info("%s message %s took longer than %.1fs: replies go by API", self.name, message.external_id, budget)
            await asyncio.shield(task)  # answer only once the message is durable; a failure is a 5xx, so WeChat retries
            return None
        chosen = self._fitting(result)
        if not chosen:
            return None
        taken = await self._intake.take_for_passive_reply(IntakeResult(result.complaint, tuple(chosen), True))
        if not taken:
            return None
        with_options = next((r.reply for r in taken if r.reply.quick_replies), taken[-1].reply)
        await self._remember_options(message.conversation, with_options)
        return "\n\n".join(self.render_text(reply.reply) for reply in taken)

    def _fitting(self, result: IntakeResult) -> list[OutboundMessage]:
        """The leading replies that fit one passive text (at most one with options)."""
        chosen: list[OutboundMessage] = []
        parts: list[str] = []
        with_options = False
        for reply in result.replies:
            if reply.reply.quick_replies and with_options:
                break
            rendered = self.render_text(reply.reply)
            if utf8_bytes("\n\n".join([*parts, rendered])) > TEXT_LIMIT:
                break
            chosen.append(reply)
            parts.append(rendered)
            with_options = with_options or bool(reply.reply.quick_replies)
        return chosen

    def _finished(self, task: asyncio.Task[IntakeResult]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s pipeline failed", self.name, exc_info=task.exception())


def _success() -> web.Response:
    return web.Response(text=SUCCESS, content_type="text/plain")


def _parse(request: web.Request, body: bytes) -> Fields:
    try:
        return parse_xml(body)
    except XmlError as error:
        fail(request, 400, "error.invalid_xml", detail=str(error))


# --------------------------------------------------------------------------- construction


def _required(env: Mapping[str, str | None], names: list[str], channel: str) -> None:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise ConfigError(
            f"{channel} is half configured: set {', '.join(missing)}",
            detail=f"{channel} is half configured: set {', '.join(missing)}",
        )


def official_account(
    config: WeChatConfig, intake: IntakeGateway, state: ConversationState, lock: Dedupe
) -> WeChatChannel:
    """The Official Account channel with wechatpy's customer-service API behind `send`."""
    if config.aes_key is not None:
        _check_key(config.aes_key, "TOUSU_WECHAT_AES_KEY")
    api = official_api(config.receive_id, config.secret, config.api_base, state, lock)
    return WeChatChannel(config, intake, state, api)


def wecom_app(config: WeChatConfig, intake: IntakeGateway, state: ConversationState, lock: Dedupe) -> WeChatChannel:
    """The WeCom app channel with wechatpy's app message API behind `send`."""
    if not config.aes_key or not config.agent_id:
        raise ConfigError("WeCom needs TOUSU_WECOM_AES_KEY and TOUSU_WECOM_AGENT_ID")
    _check_key(config.aes_key, "TOUSU_WECOM_AES_KEY")
    api = work_api(config.receive_id, config.agent_id, config.secret, config.api_base, state, lock)
    return WeChatChannel(config, intake, state, api)


def _check_key(aes_key: str, name: str) -> None:
    try:
        MessageCipher(aes_key, "")
    except ValueError as error:
        raise ConfigError(f"{name}: {error}", detail=f"{name}: {error}") from error


def channels_from_settings(
    values: Mapping[str, str | None],
    intake: IntakeGateway,
    state: ConversationState,
    lock: Dedupe,
    *,
    reply_budget_seconds: float = 4.0,
    max_body_bytes: int = 1024 * 1024,
    locale: str = "zh",
) -> list[WeChatChannel]:
    """The configured channels from `TOUSU_WECHAT_*` / `TOUSU_WECOM_*` values (absent → off)."""
    found: list[WeChatChannel] = []
    if reply_budget_seconds < 0:
        raise ConfigError("TOUSU_WECHAT_REPLY_BUDGET_MS must not be negative")
    if reply_budget_seconds >= 5:
        log.warning(
            "a reply budget of %.1f s is beyond WeChat's 5 s wait: passive replies may be lost", reply_budget_seconds
        )
    common = {"reply_budget_seconds": reply_budget_seconds, "max_body_bytes": max_body_bytes, "locale": locale}
    if values.get("TOUSU_WECHAT_TOKEN"):
        _required(values, ["TOUSU_WECHAT_APP_ID", "TOUSU_WECHAT_APP_SECRET"], "the WeChat Official Account")
        config = WeChatConfig(
            ChannelName.WECHAT,
            token=str(values["TOUSU_WECHAT_TOKEN"]),
            receive_id=str(values["TOUSU_WECHAT_APP_ID"]),
            secret=str(values["TOUSU_WECHAT_APP_SECRET"]),
            aes_key=values.get("TOUSU_WECHAT_AES_KEY") or None,
            api_base=_base(values.get("TOUSU_WECHAT_API_BASE"), DEFAULT_OFFICIAL_BASE),
            **common,  # type: ignore[arg-type]
        )
        found.append(official_account(config, intake, state, lock))
    if values.get("TOUSU_WECOM_TOKEN"):
        names = ["TOUSU_WECOM_AES_KEY", "TOUSU_WECOM_CORP_ID", "TOUSU_WECOM_AGENT_ID", "TOUSU_WECOM_SECRET"]
        _required(values, names, "the WeCom app")
        config = WeChatConfig(
            ChannelName.WECOM,
            token=str(values["TOUSU_WECOM_TOKEN"]),
            receive_id=str(values["TOUSU_WECOM_CORP_ID"]),
            secret=str(values["TOUSU_WECOM_SECRET"]),
            aes_key=str(values["TOUSU_WECOM_AES_KEY"]),
            agent_id=str(values["TOUSU_WECOM_AGENT_ID"]),
            api_base=_base(values.get("TOUSU_WECOM_API_BASE"), DEFAULT_WORK_BASE),
            **common,  # type: ignore[arg-type]
        )
        found.append(wecom_app(config, intake, state, lock))
    return found


def _base(value: str | None, default: str) -> str:
    base = value or default
    return base if base.endswith("/") else base + "/"
