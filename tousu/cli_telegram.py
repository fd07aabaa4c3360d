"""`tousu telegram set-webhook URL` and `tousu telegram poll`.

`set-webhook` registers the webhook with Telegram, with `TOUSU_TELEGRAM_WEBHOOK_SECRET` as
the secret token Telegram then sends on every request. `poll` is for development without
a public URL: it removes the webhook and long-polls `getUpdates`, feeding every update to
the same pipeline as the webhook. Around it runs the same service as under `tousu serve`
(`Runtime.start_background`): the outbox dispatcher sends the replies, complaints are routed
and their SLA watched and escalated, and the other processes' script, lexicon and rules
saves are followed. Ctrl+C (or SIGTERM) stops it cleanly. Both print one clear line on
error (exit status 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from bots import telegram_messages  # noqa: F401 - registers the catalogue entries
from intake.errors import ConfigError, DeliveryError
from intake.messages import text
from tousu.bootstrap import Runtime, build_runtime
from tousu.config import Settings


def register(subparsers: Any) -> None:
    """Add `telegram set-webhook` and `telegram poll` to the `tousu` sub-parsers."""
    group = subparsers.add_parser("telegram", help="Telegram channel: set the webhook, or poll for development")
    commands = group.add_subparsers(dest="telegram_command", required=True, metavar="ACTION")
    webhook = commands.add_parser("set-webhook", help="register URL (https://…/telegram/webhook) with Telegram")
    webhook.add_argument("url")
    webhook.set_defaults(run=set_webhook)
    poll = commands.add_parser("poll", help="long-poll Telegram for updates (no public URL needed)")
    poll.add_argument("--poll-seconds", type=int, default=30, help="long-poll timeout per getUpdates call")
    poll.set_defaults(run=run_poll)


async def set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    """Register the webhook URL with its secret."""
    if not args.url.startswith("https://") and not args.url.startswith("http://"):
        print(f"tousu: {text('telegram.bad_url', settings.locale, url=args.url)}", file=sys.stderr)
        return 2
    runtime = await build_runtime(settings)
    try:
        channel = _channel(runtime, settings)
        if not settings.telegram_webhook_secret:
            raise ConfigError("secret missing", detail=text("telegram.secret_required", settings.locale))
        await _api(settings, channel.set_webhook(args.url))
    finally:
        await runtime.close()
    print(text("telegram.webhook_set", settings.locale, url=args.url))
    return 0


async def run_poll(args: argparse.Namespace, settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Long-poll until SIGINT/SIGTERM (or `stop`), with the runtime's background parts running."""
    runtime = await build_runtime(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
    try:
        channel = _channel(runtime, settings)
        await runtime.start_background()
        print(text("telegram.polling", settings.locale), flush=True)
        await _api(settings, channel.poll(stop, poll_seconds=max(0, args.poll_seconds)))
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
        await runtime.close()
    return 0


def _channel(runtime: Runtime, settings: Settings) -> Any:
    channel = runtime.channels.get("telegram")
    if channel is None:
        raise ConfigError("telegram not configured", detail=text("telegram.not_configured", settings.locale))
    return channel


async def _api(settings: Settings, call: Any) -> Any:
    try:
        return await call
    except DeliveryError as error:
        raise ConfigError(str(error), detail=text("telegram.api_error", settings.locale, detail=str(error))) from error
