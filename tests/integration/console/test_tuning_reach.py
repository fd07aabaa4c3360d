"""A lexicon or routing rules save on the console reaches the other running processes: the
save is announced on the event bus (Redis between processes, the memory bus inside one) and
every other process re-reads the file from the shared data directory, validates it and swaps
it in; the process that saved does not reload its own save, and a file that does not load,
or is not the one announced, never replaces a working lexicon or working rules.

Two runtimes on one data directory, one database (SQLite, then PostgreSQL) and one Redis,
each started as `tousu serve` starts it (the app's background start)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from classifier.layered import LayeredClassifier
from tests.conftest import _redis_url
from tests.integration.console.conftest import Browser, Console, add_user
from tests.integration.console.test_tuning import (
    BILLING,
    FIRST_TO_FINANCE,
    FIRST_TO_SENIOR,
    SAMPLE,
    _category,
    _receive,
    _textarea,
)
from tousu.bootstrap import Runtime, build_runtime
from tousu.broadcast import SaveBroadcast
from tousu.config import Settings
from tousu.routing_wiring import routing_of
from tousu.tuning import LEXICON_TOPIC, RULES_TOPIC, announcement
from tousu.web import create_app

REFUSED = "from another process refused, keeping the running one"


@dataclass
class Pair:
    """Process A (the operator's browser saves here) and process B (it only follows)."""

    a: Console
    b: Runtime
    operator: Browser
    servers: list[TestServer] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.a.runtime.settings.data_dir


async def _until(check: Any, what: str) -> None:
    """Wait until `check()` is true (the other process applies saves in the background)."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _lexicon_of(runtime: Runtime) -> Any:
    assert isinstance(runtime.classifier, LayeredClassifier)
    return runtime.classifier.lexicon


def _reloads(caplog: pytest.LogCaptureFixture, what: str) -> int:
    return sum(1 for r in caplog.records if f"{what} saved by user:op reloaded" in r.getMessage())


def _refusals(caplog: pytest.LogCaptureFixture, kind: str) -> int:
    return sum(1 for r in caplog.records if r.levelno == logging.ERROR and f"{kind} {REFUSED}" in r.getMessage())


@asynccontextmanager
async def _pair(settings: dict[str, Any]) -> AsyncIterator[Pair]:
    """Two runtimes on the same settings, both started (they follow saves); A has the console."""
    a = await build_runtime(Settings(**settings))
    b = await build_runtime(Settings(**settings), migrate=False)
    servers = [TestServer(create_app(a)), TestServer(create_app(b))]
    console = Console(a, servers[0])
    try:
        for server in servers:
            await server.start_server()
        await add_user(a, "op", "operator", None)
        operator, response = await console.login("op")
        assert response.status == 303
        yield Pair(console, b, operator, servers)
    finally:
        for client in console.clients:
            await client.close()
        for server in servers:
            await server.close()  # closes its runtime


@pytest.fixture
async def pair(tmp_path: Path, database_url: str, redis_client: Any, redis_prefix: str) -> AsyncIterator[Pair]:
    settings = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "redis_url": _redis_url(),
        "redis_prefix": redis_prefix,
        "env": {},
    }
    async with _pair(settings) as made:
        yield made


async def _announce_as_third(runtime: Runtime, topic: str, kind: str, text: str) -> None:
    """Announce `text` as a save of a third process (an origin nobody else has)."""

    async def never(_: dict[str, Any]) -> None:
        raise AssertionError("a third process only announces")

    third = SaveBroadcast(runtime.coordination.bus, topic, kind, never)
    await third.announce(announcement(text, "user:third", datetime.now(UTC)))


async def test_a_saved_lexicon_reaches_the_other_process(pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    shipped = _textarea(await (await pair.operator.get("/console/lexicon")).text())
    edited, count = BILLING.subn(r'\1"咕噜咕噜" = 9.0, ', shipped)
    assert count == 1
    b_before = _lexicon_of(pair.b)
    assert pair.b.classifier.classify(SAMPLE).category == "punctuality"

    saved = await pair.operator.post("/console/lexicon/save", {"body": edited})
    assert saved.status == 303
    a_saved = _lexicon_of(pair.a.runtime)
    await _until(lambda: _lexicon_of(pair.b) is not b_before, "B took the saved lexicon")
    target = pair.data_dir / "lexicon.toml"
    assert _lexicon_of(pair.b).source == str(target)
    assert pair.b.classifier.classify(SAMPLE).category == "billing"
    number = await _receive(pair.b, "13700000011")  # through B's IntakeService
    assert (await _category(pair.b, number))[0] == "billing"

    # a file that is not the one announced (another data directory, or a newer save on its way)
    await _announce_as_third(pair.b, LEXICON_TOPIC, "lexicon_saved", edited + "\n# elsewhere\n")
    await _until(lambda: _refusals(caplog, "lexicon_saved") == 2, "A and B refused the mismatching file")
    # A handled everything up to here in order: only B reloaded the save, A never reloaded its own
    assert _reloads(caplog, "lexicon") == 1
    assert _lexicon_of(pair.a.runtime) is a_saved
    # a broken file, even the announced one, never replaces the working lexicon
    working = _lexicon_of(pair.b)
    broken = edited.replace("[categories.other]", "[categories.nonsense]")
    target.write_text(broken, encoding="utf-8")
    await _announce_as_third(pair.b, LEXICON_TOPIC, "lexicon_saved", broken)
    await _until(lambda: _refusals(caplog, "lexicon_saved") == 4, "A and B refused the broken file")
    assert _lexicon_of(pair.b) is working and _lexicon_of(pair.a.runtime) is a_saved
    assert pair.b.classifier.classify(SAMPLE).category == "billing"


async def test_saved_rules_reach_the_other_process(pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    shipped = _textarea(await (await pair.operator.get("/console/rules")).text())
    assert FIRST_TO_SENIOR in shipped
    edited = shipped.replace(FIRST_TO_SENIOR, FIRST_TO_FINANCE).replace('name = "财务部"', 'name = "财务结算部"')
    b_routing, a_routing = routing_of(pair.b), routing_of(pair.a.runtime)
    before = await _receive(pair.b, "13700000021")
    assert (await _category(pair.b, before)) == ("punctuality", "senior")
    b_before = b_routing.config

    saved = await pair.operator.post("/console/rules/save", {"body": edited})
    assert saved.status == 303
    a_saved = a_routing.config
    await _until(lambda: b_routing.config is not b_before, "B took the saved rules")
    target = pair.data_dir / "routing.toml"
    assert b_routing.config.source == str(target) and b_routing.router.config is b_routing.config
    assert b_routing.scripts.directory.teams["finance"]["zh"] == "财务结算部"
    after = await _receive(pair.b, "13700000022")  # a new customer: the first-complaint rule
    assert (await _category(pair.b, after)) == ("punctuality", "finance")

    # a broken rules file, even the announced one, never replaces the working rules
    working = b_routing.config
    broken = edited.replace('team = "finance"', 'team = "nosuchteam"', 1)
    target.write_text(broken, encoding="utf-8")
    await _announce_as_third(pair.b, RULES_TOPIC, "rules_saved", broken)
    await _until(lambda: _refusals(caplog, "rules_saved") == 2, "A and B refused the broken rules")
    assert b_routing.config is working and b_routing.router.config is working
    assert _reloads(caplog, "routing rules") == 1  # B only: A never reloaded its own save
    assert a_routing.config is a_saved
    again = await _receive(pair.b, "13700000023")
    assert (await _category(pair.b, again)) == ("punctuality", "finance")


async def test_one_process_on_the_memory_bus(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Without Redis the memory bus serves one process: its own saves are not reloaded, and a
    save announced on the bus by anyone else is applied from the file."""
    caplog.set_level(logging.INFO)
    async with _pair({"data_dir": tmp_path / "data", "env": {}}) as made:
        runtime = made.a.runtime
        assert runtime.coordination.redis is None and runtime.lexicon_saves is not None
        assert runtime.lexicon_saves.following and routing_of(runtime).rule_saves.following
        shipped = _textarea(await (await made.operator.get("/console/lexicon")).text())
        edited, _ = BILLING.subn(r'\1"咕噜咕噜" = 9.0, ', shipped)
        assert (await made.operator.post("/console/lexicon/save", {"body": edited})).status == 303
        own = _lexicon_of(runtime)
        assert runtime.classifier.classify(SAMPLE).category == "billing"
        # B has its own memory bus: nothing reaches it (one process per memory bus)
        assert made.b.classifier.classify(SAMPLE).category == "punctuality"

        # an announcement on this process's bus from another origin is applied from the file
        await _announce_as_third(runtime, LEXICON_TOPIC, "lexicon_saved", edited)
        await _until(lambda: _lexicon_of(runtime) is not own, "the announced save was applied")
        assert runtime.classifier.classify(SAMPLE).category == "billing"
        reloads = [r for r in caplog.records if "lexicon saved by" in r.getMessage()]
        assert len(reloads) == 1 and "user:third" in reloads[0].getMessage()
