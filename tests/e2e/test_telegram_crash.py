"""End to end: the foundation's guarantee shown with Telegram.

`tousu serve` runs as a process with Telegram pointed at a loopback fake of the Bot API
whose sendMessage fails (HTTP 500) or hangs. An update is posted and answered 200 — the
complaint is committed — and the server is killed with SIGKILL before any reply got out.
Restarted with the fake working, it sends the acknowledgement exactly once, to the right
chat, with the complaint number.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Server
from tests.telegram_fake import TOKEN, FakeTelegram

SECRET = "e2e-secret_42"
CHAT = 98765
COMPLAINT = "阿姨把我家的电视屏幕碰坏了，要求赔偿"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start_in_thread()
    try:
        yield server
    finally:
        server.send_mode = "ok"
        server.stop_thread()


def post_update(server: Server, update: dict[str, object], secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"{server.url}/telegram/webhook", data=json.dumps(update).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def stored_numbers(server: Server) -> list[str]:
    with sqlite3.connect(server.data_dir / "tousu.db") as connection:
        return [row[0] for row in connection.execute("select number from complaints")]


def acknowledgements(fake: FakeTelegram, number: str) -> list[str]:
    return [
        str(call.params["text"])
        for call in fake.delivered()
        if int(call.params["chat_id"]) == CHAT and number in str(call.params["text"])
    ]


@pytest.mark.parametrize("failure", ["fail", "hang"])
def test_a_kill_between_commit_and_dispatch_loses_nothing_and_sends_once(
    server: Server, fake: FakeTelegram, failure: str
) -> None:
    server.env.update(
        {
            "TOUSU_TELEGRAM_TOKEN": TOKEN,
            "TOUSU_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TOUSU_TELEGRAM_API_BASE": fake.base_url,
        }
    )
    fake.send_mode = failure
    server.start()
    user = {"id": CHAT, "is_bot": False, "first_name": "钱", "language_code": "zh-hans"}
    update = {
        "update_id": 700001,
        "message": {
            "message_id": 17,
            "date": int(time.time()),
            "chat": {"id": CHAT, "type": "private", "first_name": "钱"},
            "from": user,
            "text": COMPLAINT,
        },
    }
    assert post_update(server, update, secret=None) == 403
    assert post_update(server, update) == 200
    # The dispatcher tried (and the platform did not take it) before the crash.
    assert fake.wait_for(lambda: len(fake.called("sendMessage")) >= 1, 60)
    server.kill()
    assert fake.delivered() == []
    [number] = stored_numbers(server)
    assert re.fullmatch(r"TS-\d{8}-\d{6}", number)

    fake.send_mode = "ok"
    server.start()
    # A hung send keeps its lease (30 s) before the restarted process may take it over.
    assert fake.wait_for(lambda: bool(acknowledgements(fake, number)), 90)
    assert post_update(server, update) == 200  # Telegram's redelivery of the same update: harmless
    time.sleep(1.5)  # room for a wrong second delivery to show up
    server.stop()
    assert len(acknowledgements(fake, number)) == 1
    assert stored_numbers(server) == [number]
