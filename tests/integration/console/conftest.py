"""A real tousu with the console: runtime on a SQLite file, aiohttp test server, one user per role."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession
from aiohttp.test_utils import TestClient, TestServer

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind
from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings
from tousu.console.security import hash_password, set_hasher_parameters
from tousu.routing_wiring import routing_of
from tousu.web import create_app

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')

# Login name → (role, team). Agent ids and team codes are those of router/rules.toml.
USERS = {
    "agent": ("zhang.min", "customer_service"),
    "other_agent": ("wu.lei", "dispatch"),
    "lead": ("chen.jing", "customer_service"),
    "manager": ("boss", None),
    "operator": ("op", None),
    "admin": ("root", None),
}


@dataclass
class Browser:
    """A logged-in (or not) client with its own cookie jar."""

    client: TestClient
    csrf: str = ""

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.client.get(path, allow_redirects=False, **kwargs)

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> ClientResponse:
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf
        return await self.client.post(path, data=form, allow_redirects=False, **kwargs)


@dataclass
class Console:
    """The server, the runtime and a browser per role."""

    runtime: Runtime
    server: TestServer
    browsers: dict[str, Browser] = field(default_factory=dict)
    clients: list[TestClient] = field(default_factory=list)

    async def new_browser(self) -> Browser:
        client = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return Browser(client)

    async def login(self, username: str, password: str = PASSWORD) -> tuple[Browser, ClientResponse]:
        browser = await self.new_browser()
        page = await browser.get("/console/login")
        token = CSRF.search(await page.text())
        assert token is not None
        browser.csrf = token.group(1)
        response = await browser.post("/console/login", {"username": username, "password": password})
        if response.status == 303:
            home = await browser.client.get("/console/queue" if username not in ("op", "root") else "/console/")
            found = META_CSRF.search(await home.text())
            browser.csrf = found.group(1) if found else ""
        return browser, response

    async def complaint(
        self, text: str, *, channel: ChannelName = ChannelName.WEBCHAT, address: str | None = None
    ) -> str:
        address = address or uuid.uuid4().hex
        message = InboundMessage(
            channel=channel,
            external_id=uuid.uuid4().hex,
            sender=Identity(channel, address, display_name="王女士"),
            conversation=ConversationRef(channel, address),
            kind=MessageKind.TEXT,
            text=text,
            received_at=datetime.now(UTC),
            phone="13900139000",
        )
        result = await self.runtime.intake.receive(message, force_new=True)
        assert result.complaint is not None
        return result.complaint.number

    async def assign(self, number: str, team: str | None, assignee: str | None) -> None:
        async with self.runtime.store.transaction() as tx:
            complaint = await tx.complaints.get(number, with_transcript=False)
            assert complaint is not None
            complaint.team, complaint.assignee = team, assignee
            await tx.complaints.save(complaint)


async def add_user(runtime: Runtime, name: str, role: str, team: str | None, password: str = PASSWORD) -> None:
    assert isinstance(runtime.store, SqlStore)
    async with SqlConsoleStore(runtime.store).transaction() as tx:
        await tx.users.add(name, role, hash_password(password), datetime.now(UTC), team=team)


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2() -> None:
    """Real argon2id at a low cost: the role table logs in many times on 2 shared cores."""
    set_hasher_parameters(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    runtime = await build_runtime(Settings(data_dir=tmp_path / "data", env={}))
    for key, (name, team) in USERS.items():
        role = "agent" if key == "other_agent" else key
        await add_user(runtime, name, role, team)
    server = TestServer(create_app(runtime, start_background=False))
    await server.start_server()
    instance = Console(runtime, server)
    try:
        for key, (name, _team) in USERS.items():
            browser, response = await instance.login(name)
            assert response.status == 303, await response.text()
            instance.browsers[key] = browser
        yield instance
    finally:
        for client in instance.clients:
            await client.close()
        await server.close()


@pytest.fixture
async def routed(tmp_path: Path, database_url: str) -> AsyncIterator[Console]:
    """The console over a runtime on SQLite, then on PostgreSQL."""
    runtime = await build_runtime(Settings(data_dir=tmp_path / "data", database_url=database_url, env={}))
    for key, (name, team) in USERS.items():
        await add_user(runtime, name, "agent" if key == "other_agent" else key, team)
    server = TestServer(create_app(runtime, start_background=False))
    await server.start_server()
    instance = Console(runtime, server)
    try:
        for key, (name, _team) in USERS.items():
            browser, response = await instance.login(name)
            assert response.status == 303, await response.text()
            instance.browsers[key] = browser
        yield instance
    finally:
        await routing_of(runtime).settle()
        for client in instance.clients:
            await client.close()
        await server.close()


__all__ = ["PASSWORD", "USERS", "Browser", "ClientSession", "Console", "add_user"]
