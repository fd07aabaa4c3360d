"""The WeChat / WeCom message APIs through wechatpy, with one access token shared by all processes.

wechatpy's clients are synchronous (requests); they run in a worker thread. Their
`API_BASE_URL` is set per instance and `fetch_access_token` is pointed at the same base,
so `TOUSU_WECHAT_API_BASE` moves every call (tests use a loopback fake).

The access token lives in the `ConversationState` port (Redis when configured, memory
otherwise): fetched once, shared, refreshed `refresh_margin` seconds before it expires
and at once when the API answers 40001/40014/42001. A short `Dedupe` claim keeps
processes from fetching it all at the same time.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable
from typing import Any

import requests
from wechatpy.client import WeChatClient as _OfficialClient
from wechatpy.enterprise.client import WeChatClient as _WorkClient
from wechatpy.exceptions import WeChatClientException

from intake.errors import DeliveryError
from intake.ports import ConversationState, Dedupe

DEFAULT_OFFICIAL_BASE = "https://api.weixin.qq.com/cgi-bin/"
DEFAULT_WORK_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
"""The token is invalid or expired: fetch a new one and try once more."""
RETRYABLE_ERRORS = frozenset({-1, 45009, 45011})
"""System busy or rate limited: try again later."""
OUTSIDE_WINDOW = 45015
"""The customer has not written within 48 hours: the customer-service API may not reach them."""

_TOKEN: contextvars.ContextVar[str] = contextvars.ContextVar("wechat_access_token", default="")


class _TimeoutSession(requests.Session):
    """A requests session with a default timeout (wechatpy's token fetch passes none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


def _with_token(token: str, call: Callable[..., Any], *args: Any) -> Any:
    """Run `call` in the worker thread with `token` as the client's access token."""
    _TOKEN.set(token)
    return call(*args)


class _Official(_OfficialClient):  # type: ignore[misc]
    """wechatpy's Official Account client on a configurable base, token from our cache."""

    def __init__(self, app_id: str, secret: str, api_base: str, timeout: float) -> None:
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base
        self._http = _TimeoutSession(timeout)

    @property
    def access_token(self) -> str:
        return _TOKEN.get()

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(  # type: ignore[no-any-return]
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class _Work(_WorkClient):  # type: ignore[misc]
    """wechatpy's WeCom client on a configurable base, token from our cache."""

    def __init__(self, corp_id: str, secret: str, api_base: str, timeout: float) -> None:
        super().__init__(corp_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base
        self._http = _TimeoutSession(timeout)

    @property
    def access_token(self) -> str:
        return _TOKEN.get()

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(  # type: ignore[no-any-return]
            url=f"{self.API_BASE_URL}gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
        )


class AccessTokens:
    """One shared access token per app; see the module docstring."""

    def __init__(
        self,
        key: str,
        fetch: Callable[[], dict[str, Any]],
        state: ConversationState,
        lock: Dedupe,
        *,
        refresh_margin: float = 300.0,
        wait_seconds: float = 5.0,
    ) -> None:
        self._key = f"wechat-token:{key}"
        self._fetch = fetch
        self._state = state
        self._lock = lock
        self._margin = refresh_margin
        self._wait = wait_seconds
        self._local = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        """A token valid for at least `refresh_margin` more seconds."""
        token = await self._fresh()
        if token:
            return token
        async with self._local:
            token = await self._fresh()
            if token:
                return token
            lock_key = f"{self._key}:lock"
            holding = await self._lock.claim(lock_key, self._wait * 2)
            if not holding:
                token = await self._wait_for_other()
                if token:
                    return token
            try:
                # Another process may have stored a token between our look and our claim.
                token = await self._fresh() if holding else None
                return token or await self._refresh()
            finally:
                if holding:
                    await self._lock.release(lock_key)

    async def invalidate(self, token: str) -> None:
        """Forget `token` (the API refused it), unless another process already replaced it."""
        current = await self._state.get(self._key)
        if current is not None and current.get("token") == token:
            await self._state.clear(self._key)

    async def _fresh(self) -> str | None:
        current = await self._state.get(self._key)
        if current and float(current.get("expires_at", 0)) - time.time() > self._margin:
            return str(current["token"])
        return None

    async def _wait_for_other(self) -> str | None:
        deadline = time.monotonic() + self._wait
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            token = await self._fresh()
            if token:
                return token
        return None

    async def _refresh(self) -> str:
        try:
            result = await asyncio.to_thread(self._fetch)
        except WeChatClientException as error:
            raise delivery_error(error, "fetching the access token") from error
        except requests.RequestException as error:
            raise DeliveryError(f"fetching the access token: {error}", retryable=True) from error
        self.fetches += 1
        token = str(result["access_token"])
        expires_in = float(result.get("expires_in") or 7200)
        await self._state.set(self._key, {"token": token, "expires_at": time.time() + expires_in}, expires_in)
        return token


def delivery_error(error: WeChatClientException, doing: str) -> DeliveryError:
    """The `DeliveryError` of a wechatpy error: retry on 5xx/network/busy, flag a call-back otherwise."""
    code = error.errcode
    if code is None:
        status = getattr(error.response, "status_code", None)
        return DeliveryError(f"{doing}: HTTP {status}", retryable=True)
    if code == OUTSIDE_WINDOW:
        return DeliveryError(f"{doing}: outside the 48-hour window (45015)", retryable=False, callback_needed=True)
    if code in RETRYABLE_ERRORS or code in TOKEN_ERRORS:
        return DeliveryError(f"{doing}: errcode {code} {error.errmsg}", retryable=True)
    return DeliveryError(f"{doing}: errcode {code} {error.errmsg}", retryable=False, callback_needed=True)


class MessageApi:
    """Sends text through the customer-service API (Official Account) or the app message API (WeCom)."""

    def __init__(self, client: Any, tokens: AccessTokens, send: Callable[[Any, str, str], Any]) -> None:
        self._client = client
        self.tokens = tokens
        self._send = send

    def close(self) -> None:
        """Release the HTTP connections of the client."""
        self._client._http.close()

    async def send_text(self, to_user: str, content: str) -> None:
        """Deliver one text; `DeliveryError` (retryable or not) on failure."""
        for attempt in range(2):
            token = await self.tokens.get()
            try:
                await asyncio.to_thread(_with_token, token, self._send, self._client, to_user, content)
                return
            except WeChatClientException as error:
                if error.errcode in TOKEN_ERRORS and attempt == 0:
                    await self.tokens.invalidate(token)
                    continue
                raise delivery_error(error, "sending a message") from error
            except requests.RequestException as error:
                raise DeliveryError(f"sending a message: {error}", retryable=True) from error


def official_api(
    app_id: str, secret: str, api_base: str, state: ConversationState, lock: Dedupe, timeout: float = 10.0
) -> MessageApi:
    """The customer-service message API of an Official Account."""
    client = _Official(app_id, secret, api_base, timeout)
    tokens = AccessTokens(f"mp:{app_id}", client.fetch_access_token, state, lock)
    return MessageApi(client, tokens, lambda c, to, text: c.message.send_text(to, text))


def work_api(
    corp_id: str,
    agent_id: str,
    secret: str,
    api_base: str,
    state: ConversationState,
    lock: Dedupe,
    timeout: float = 10.0,
) -> MessageApi:
    """The app message API of a WeCom application."""
    client = _Work(corp_id, secret, api_base, timeout)
    tokens = AccessTokens(f"work:{corp_id}:{agent_id}", client.fetch_access_token, state, lock)
    return MessageApi(client, tokens, lambda c, to, text: c.message.send_text(agent_id, to, text))
