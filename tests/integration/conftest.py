"""A real tousu: runtime on a SQLite file, the aiohttp app on a loopback port, a real client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from tousu.auth import new_token, token_digest
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings
from tousu.web import create_app


@dataclass
class Api:
    """A test client with a bearer token per role."""

    client: TestClient
    runtime: Runtime
    tokens: dict[str, str]

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def post(self, path: str, json: Any = None, role: str = "admin", **kwargs: Any) -> ClientResponse:
        return await self.client.post(path, json=json, headers=self.headers(role), **kwargs)

    async def get(self, path: str, role: str = "admin", **kwargs: Any) -> ClientResponse:
        return await self.client.get(path, headers=self.headers(role), **kwargs)


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", env={}, **overrides)


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    built = await build_runtime(settings_for(tmp_path))
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    built = await build_runtime(settings_for(tmp_path, max_body_bytes=64 * 1024))
    tokens = {}
    async with built.store.transaction() as tx:
        for role in ("admin", "intake", "agent", "operator"):
            token = new_token()
            await tx.tokens.create(f"test-{role}", role, token_digest(token), datetime.now(UTC))
            tokens[role] = token
    client = TestClient(TestServer(create_app(built)))
    await client.start_server()
    try:
        yield Api(client, built, tokens)
    finally:
        await client.close()
