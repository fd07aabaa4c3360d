"""End to end: `tousu serve` as a process, a complaint posted, the record read back."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
from typing import Any

from tests.e2e.conftest import Server


def call(server: Server, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_takes_a_complaint_and_keeps_it_across_a_crash(server: Server) -> None:
    created = server.cli("token", "create", "e2e", "--role", "admin")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("tsu_")
    server.start()
    status, body = call(
        server,
        "POST",
        "/api/v1/messages",
        token,
        {
            "channel_user_id": "e2e-user",
            "text": "阿姨把我家的电视屏幕碰坏了，要求赔偿",
            "external_id": "e2e-1",
            "phone": "13712345678",
            "name": "钱女士",
        },
    )
    assert status == 201, body
    number = body["complaint"]["number"]
    assert re.fullmatch(r"TS-\d{8}-\d{6}", number)
    server.kill()
    server.start()
    status, again = call(
        server,
        "POST",
        "/api/v1/messages",
        token,
        {"channel_user_id": "e2e-user", "text": "阿姨把我家的电视屏幕碰坏了，要求赔偿", "external_id": "e2e-1"},
    )
    assert status == 200 and again["complaint"]["number"] == number
    status, record = call(server, "GET", f"/api/v1/complaints/{number}", token)
    assert status == 200
    assert record["complaint"]["category"] == "damage"
    server.stop()
    raw = (server.data_dir / "tousu.db").read_bytes()
    assert b"13712345678" not in raw
    with sqlite3.connect(server.data_dir / "tousu.db") as connection:
        count = connection.execute("select count(*) from complaints").fetchone()[0]
    assert count == 1


def test_cli_errors_are_one_clear_line(server: Server) -> None:
    result = server.cli("token", "create", "x", "--role", "emperor")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "emperor" in result.stderr


def test_classify_streams_json_lines(server: Server) -> None:
    result = server.cli(
        "classify", stdin='{"text": "阿姨迟到了两个小时"}\n{"text": "保洁员偷了我的项链，我已经报警"}\n'
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["category"] == "punctuality"
    assert lines[1]["severity"] in ("serious", "critical")
    for line in lines:
        assert {"category", "severity", "confidence"} <= set(line)
