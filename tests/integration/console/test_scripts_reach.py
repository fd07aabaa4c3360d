"""A script saved (or rolled back) on the console's scripts page reaches the other running
processes: the save is published on the event bus (Redis) and every process reloads its
book from the shared database. Two runtimes, one database (SQLite, then PostgreSQL), one Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from intake.ports import Purpose, ScriptContext
from router.scripts import ScriptBook
from tests.conftest import _redis_url
from tests.integration.console.conftest import Console, add_user
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings
from tousu.routing_wiring import SCRIPTS_TOPIC, routing_of
from tousu.web import create_app

KEY = "agent_message.zh"


async def _until(check: Any, what: str) -> None:
    """Wait until `check()` is true (the other process reloads in the background)."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _book(runtime: Runtime) -> ScriptBook:
    assert isinstance(runtime.scripts, ScriptBook)
    return runtime.scripts


async def test_a_saved_script_reaches_the_other_process(
    tmp_path: Path, database_url: str, redis_client: Any, redis_prefix: str
) -> None:
    settings = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "redis_url": _redis_url(),
        "redis_prefix": redis_prefix,
        "env": {},
    }
    web_process = await build_runtime(Settings(**settings))
    worker = await build_runtime(Settings(**settings))
    server = TestServer(create_app(web_process, start_background=False))
    await server.start_server()
    console = Console(web_process, server)
    try:
        await routing_of(worker).start()  # as `tousu serve` does: the watcher and the follower
        await routing_of(web_process).follow_saves()
        await add_user(web_process, "op", "operator", None)
        operator, response = await console.login("op")
        assert response.status == 303

        before = _book(worker).get(KEY)
        assert before is not None and "【客服】" not in before.body
        saved = await operator.post("/console/scripts/save", {"key": KEY, "body": "【客服】{{ text }}"})
        assert saved.status == 303
        await _until(lambda: _book(worker).get(KEY).version == 2, "the worker took version 2")  # type: ignore[union-attr]
        assert _book(worker).get(KEY).body == "【客服】{{ text }}"  # type: ignore[union-attr]
        context = ScriptContext(Purpose.AGENT_MESSAGE, "zh", None, None, None, {"text": "明天上门"})
        assert _book(worker).render(context).text == "【客服】明天上门"

        back = await operator.post("/console/scripts/rollback", {"key": KEY, "version": "1"})
        assert back.status == 303
        await _until(lambda: _book(worker).get(KEY).version == 3, "the worker took the rollback")  # type: ignore[union-attr]
        assert "【客服】" not in _book(worker).get(KEY).body  # type: ignore[union-attr]
        assert _book(web_process).get(KEY).version == 3  # type: ignore[union-attr]

        # a refused save publishes nothing and changes nothing anywhere
        bad = await operator.post("/console/scripts/save", {"key": KEY, "body": "{{ nosuchvar }}"})
        assert bad.status == 422
        assert _book(worker).get(KEY).version == 3  # type: ignore[union-attr]
        # a malformed message on the topic is ignored; the follower keeps going
        await worker.coordination.bus.publish(SCRIPTS_TOPIC, {"type": "something else"})
        again = await operator.post("/console/scripts/save", {"key": KEY, "body": "您好：{{ text }}"})
        assert again.status == 303
        await _until(lambda: _book(worker).get(KEY).version == 4, "the worker took version 4")  # type: ignore[union-attr]
    finally:
        for client in console.clients:
            await client.close()
        await server.close()
        await worker.close()
