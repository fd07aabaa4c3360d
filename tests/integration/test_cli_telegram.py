"""`tousu telegram set-webhook` and `tousu telegram poll` against the loopback fake Bot API."""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from intake.ports import ComplaintFilter
from tests.telegram_fake import TOKEN, FakeTelegram
from tousu import cli_telegram
from tousu.bootstrap import build_runtime
from tousu.config import Settings

SECRET = "cli_secret-1"


def settings(tmp_path: Path, fake: FakeTelegram, secret: str | None = SECRET) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        env={},
        telegram_token=TOKEN,
        telegram_webhook_secret=secret,
        telegram_api_base=fake.base_url,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def threaded_fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop_thread()


async def test_set_webhook_registers_the_url_with_the_secret(tmp_path: Path, fake: FakeTelegram) -> None:
    url = "https://tousu.example.com/telegram/webhook"
    assert await cli_telegram.set_webhook(argparse.Namespace(url=url), settings(tmp_path, fake)) == 0
    assert fake.webhook["url"] == url
    assert fake.webhook["secret_token"] == SECRET
    assert set(fake.webhook["allowed_updates"]) == {"message", "edited_message", "callback_query"}


async def test_poll_feeds_the_same_pipeline_and_replies(tmp_path: Path, fake: FakeTelegram) -> None:
    fake.webhook = {"url": "https://old.example.com/hook"}  # poll must remove it first
    user = {"id": 777, "is_bot": False, "first_name": "张"}
    chat = {"id": 777, "type": "private"}
    text = "保洁阿姨把我家的花瓶打碎了，要求赔偿"
    fake.updates = [
        {"update_id": 5, "message": {"message_id": 1, "date": 1764547200, "chat": chat, "from": user, "text": text}},
        {"update_id": 6, "poll": {"id": "x"}},  # not handled, must not block the rest
        {
            "update_id": 7,
            "message": {"message_id": 2, "date": 1764547200, "chat": chat, "from": user, "text": "/status"},
        },
    ]
    stop = asyncio.Event()
    config = settings(tmp_path, fake)
    task = asyncio.create_task(cli_telegram.run_poll(argparse.Namespace(poll_seconds=1), config, stop))

    def acknowledged() -> bool:
        return sum(bool(re.search(r"TS-\d{8}-\d{6}", str(c.params["text"]))) for c in fake.delivered()) >= 2

    try:
        assert await fake.until(acknowledged, 60)
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 60) == 0
    assert fake.called("deleteWebhook")
    offsets = [int(c.params.get("offset") or 0) for c in fake.called("getUpdates")]
    assert max(offsets) == 8  # every update, the ignored one too, was confirmed
    runtime = await build_runtime(config)
    try:
        async with runtime.store.transaction() as tx:
            [complaint] = await tx.complaints.list(ComplaintFilter())
        assert complaint.content == text
    finally:
        await runtime.close()


def run_cli(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "TOUSU_DATA_DIR": str(tmp_path / "data"), "TOUSU_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "tousu", "telegram", *args],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_commands_as_processes(tmp_path: Path, threaded_fake: FakeTelegram) -> None:
    env = {"TOUSU_TELEGRAM_TOKEN": TOKEN, "TOUSU_TELEGRAM_API_BASE": threaded_fake.base_url}
    missing_secret = run_cli(tmp_path, "set-webhook", "https://x.example.com/telegram/webhook", env=env)
    assert missing_secret.returncode == 2 and "Traceback" not in missing_secret.stderr
    assert "TOUSU_TELEGRAM_WEBHOOK_SECRET" in missing_secret.stderr
    env["TOUSU_TELEGRAM_WEBHOOK_SECRET"] = SECRET
    done = run_cli(tmp_path, "set-webhook", "https://x.example.com/telegram/webhook", env=env)
    assert done.returncode == 0, done.stderr
    assert threaded_fake.webhook["secret_token"] == SECRET
    off = run_cli(tmp_path, "poll", env={})
    assert off.returncode == 2 and "TOUSU_TELEGRAM_TOKEN" in off.stderr and "Traceback" not in off.stderr
    bad_secret = run_cli(tmp_path, "set-webhook", "https://x", env=env | {"TOUSU_TELEGRAM_WEBHOOK_SECRET": "a b"})
    assert bad_secret.returncode == 2 and "Traceback" not in bad_secret.stderr
    not_url = run_cli(tmp_path, "set-webhook", "tousu.example.com", env=env)
    assert not_url.returncode == 2 and "tousu.example.com" in not_url.stderr
    threaded_fake.token = "0:other"  # every call now 401: a clear line, not a traceback
    refused = run_cli(tmp_path, "set-webhook", "https://x.example.com/telegram/webhook", env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def test_poll_as_a_process_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, threaded_fake: FakeTelegram) -> None:
    user = {"id": 31, "is_bot": False, "first_name": "赵"}
    chat = {"id": 31, "type": "private"}
    threaded_fake.updates = [
        {"update_id": 1, "message": {"message_id": 1, "date": 1764547200, "chat": chat, "from": user, "text": "/start"}}
    ]
    env = {
        "PATH": "/usr/bin:/bin",
        "TOUSU_DATA_DIR": str(tmp_path / "data"),
        "TOUSU_LOG_LEVEL": "WARNING",
        "TOUSU_TELEGRAM_TOKEN": TOKEN,
        "TOUSU_TELEGRAM_API_BASE": threaded_fake.base_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tousu", "telegram", "poll", "--poll-seconds", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert threaded_fake.wait_for(lambda: any(int(c.params["chat_id"]) == 31 for c in threaded_fake.delivered()))
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "getUpdates" not in err and "长轮询" in out  # the polling banner, from the catalogue
