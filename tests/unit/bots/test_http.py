"""The shared JSON body reader: whole bodies, however they arrive, and clear 4xx answers."""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bots.http import read_json_object

LIMIT = 1024 * 1024


async def echo(request: web.Request) -> web.Response:
    data = await read_json_object(request, LIMIT)
    return web.json_response({"length": len(data["x"])})


async def test_a_large_body_arriving_in_many_chunks_is_read_whole() -> None:
    app = web.Application(client_max_size=4 * LIMIT)
    app.router.add_post("/", echo)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/", data=json.dumps({"x": "a" * 300_000}))
        assert response.status == 200 and (await response.json())["length"] == 300_000

        async def chunks():  # no Content-Length: chunked transfer encoding
            yield b'{"x": "'
            for _ in range(100):
                yield b"b" * 1000
            yield b'"}'

        response = await client.post("/", data=chunks())
        assert response.status == 200 and (await response.json())["length"] == 100_000

        async def too_much():
            for _ in range(LIMIT // 65536 + 2):
                yield b" " * 65536

        response = await client.post("/", data=too_much())
        assert response.status == 413
