"""The access token is fetched once and shared by every process (Redis), refreshed before expiry."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bots.wechat_api import MessageApi, official_api, work_api
from intake.errors import DeliveryError
from intake.ports import ConversationState, Dedupe
from storage.memory import MemoryConversationState, MemoryDedupe
from storage.redis_adapters import RedisConversationState, RedisDedupe
from tests.integration.wechat_fake import running_fake


def coordination(kind: str, redis_client: Any, prefix: str) -> tuple[ConversationState, Dedupe]:
    if kind == "redis":
        return RedisConversationState(redis_client, prefix), RedisDedupe(redis_client, prefix)
    return MemoryConversationState(), MemoryDedupe()


@pytest.fixture(params=["memory", "redis"])
def shared(request: pytest.FixtureRequest, redis_prefix: str) -> tuple[ConversationState, Dedupe]:
    client = request.getfixturevalue("redis_client") if request.param == "redis" else None
    return coordination(request.param, client, redis_prefix)


async def test_processes_sharing_the_state_fetch_the_token_once(shared: tuple[ConversationState, Dedupe]) -> None:
    state, lock = shared
    async with running_fake() as fake:
        processes: list[MessageApi] = [official_api("wxapp", "secret", fake.base, state, lock) for _ in range(3)]
        await asyncio.gather(*(api.send_text(f"o_{i}", f"消息 {i}") for i, api in enumerate(processes * 3)))
        assert fake.tokens_issued == 1
        assert len(fake.sent) == 9 and {s.token for s in fake.sent} == {"TOKEN-1"}


async def test_a_token_close_to_expiry_is_refreshed_before_use(shared: tuple[ConversationState, Dedupe]) -> None:
    state, lock = shared
    async with running_fake() as fake:
        api = official_api("wxapp", "secret", fake.base, state, lock)
        await api.send_text("o_1", "第一条")
        await state.set("wechat-token:mp:wxapp", {"token": "TOKEN-1", "expires_at": time.time() + 60}, 60)
        await api.send_text("o_1", "第二条")
        assert fake.tokens_issued == 2 and fake.sent[-1].token == "TOKEN-2"
        assert [a.token for a in fake.attempts] == ["TOKEN-1", "TOKEN-2"]


async def test_invalidate_keeps_a_token_another_process_already_replaced(
    shared: tuple[ConversationState, Dedupe],
) -> None:
    state, lock = shared
    async with running_fake() as fake:
        api = official_api("wxapp", "secret", fake.base, state, lock)
        first = await api.tokens.get()
        await api.tokens.invalidate("some-older-token")
        assert await api.tokens.get() == first and fake.tokens_issued == 1
        await api.tokens.invalidate(first)
        assert await api.tokens.get() == "TOKEN-2"


async def test_a_token_refused_twice_is_a_retryable_error_not_a_loop() -> None:
    async with running_fake() as fake:
        api = official_api("wxapp", "secret", fake.base, MemoryConversationState(), MemoryDedupe())
        fake.script = [{"errcode": 40001, "errmsg": "invalid credential"}, {"errcode": 42001, "errmsg": "expired"}]
        with pytest.raises(DeliveryError) as caught:
            await api.send_text("o_1", "x")
        assert caught.value.retryable and fake.tokens_issued == 2 and fake.sent == []


async def test_api_errors_map_to_retryable_or_call_back() -> None:
    async with running_fake() as fake:
        api = work_api("wwcorp", "1000002", "secret", fake.base, MemoryConversationState(), MemoryDedupe())
        cases: list[tuple[int | dict[str, Any], bool, bool]] = [
            (500, True, False),
            ({"errcode": -1, "errmsg": "system busy"}, True, False),
            ({"errcode": 45015, "errmsg": "out of time limit"}, False, True),
            ({"errcode": 81013, "errmsg": "user not in range"}, False, True),
        ]
        for step, retryable, callback in cases:
            fake.script = [step]
            with pytest.raises(DeliveryError) as caught:
                await api.send_text("zhangsan", "x")
            assert (caught.value.retryable, caught.value.callback_needed) == (retryable, callback), step
        await api.send_text("zhangsan", "好了")
        assert [s.content for s in fake.sent] == ["好了"] and fake.sent[0].path == "/cgi-bin/message/send"


async def test_an_unreachable_api_is_a_retryable_error() -> None:
    async with running_fake() as fake:
        base = fake.base
    api = official_api("wxapp", "secret", base, MemoryConversationState(), MemoryDedupe(), timeout=2.0)
    with pytest.raises(DeliveryError) as caught:
        await api.send_text("o_1", "x")
    assert caught.value.retryable


class _OtherProcessStoresAfterOurLook(MemoryConversationState):
    """The interleaving that made two fetches: both our looks (before and inside the local
    lock) find nothing, then another process stores its token and releases the shared lock
    before we claim it."""

    def __init__(self, key: str, token: dict[str, Any], after_looks: int = 2) -> None:
        super().__init__()
        self._key, self._token, self._looks_left = key, token, after_looks

    async def get(self, key: str) -> dict[str, Any] | None:
        found = await super().get(key)
        if key == self._key:
            self._looks_left -= 1
            if self._looks_left == 0:
                await self.set(key, self._token, 7200)
        return found


async def test_a_token_stored_between_look_and_claim_is_used_not_fetched_again() -> None:
    other = {"token": "TOKEN-OTHER", "expires_at": time.time() + 7200}
    state = _OtherProcessStoresAfterOurLook("wechat-token:mp:wxapp", other)
    async with running_fake() as fake:
        api = official_api("wxapp", "secret", fake.base, state, MemoryDedupe())
        assert await api.tokens.get() == "TOKEN-OTHER"
        assert fake.tokens_issued == 0
