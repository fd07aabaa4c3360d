"""The `tousu` command: serve, db upgrade, token create, classify, demo and the
subcommands of the classifier, the reply scripts and the Telegram channel.

Every failure the user can fix ends in one line on stderr and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from intake.errors import TousuError
from intake.messages import text
from tousu import cli_classifier, cli_duty, cli_reports, cli_telegram, cli_templates, cli_users
from tousu.auth import ROLES, check_role, new_token, token_digest
from tousu.bootstrap import build_runtime
from tousu.config import Settings, load_settings, locale_setting
from tousu.corrections import stored_corrections

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="tousu", description="投诉受理与派单系统 · complaint intake and routing")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web server (web chat, REST API, webhooks)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1 or TOUSU_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080 or TOUSU_PORT)")
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply the schema migrations").set_defaults(run=_db_upgrade)

    token = commands.add_parser("token", help="REST API bearer tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create a token; it is printed as the last line")
    create.add_argument("name")
    create.add_argument("--role", required=True, help=f"one of {', '.join(ROLES)}")
    create.set_defaults(run=_token_create)
    revoke = token_commands.add_parser("revoke", help="revoke the tokens of a name")
    revoke.add_argument("name")
    revoke.set_defaults(run=_token_revoke)

    classify = commands.add_parser("classify", help='classify JSON lines {"text": …} from stdin')
    classify.set_defaults(run=_classify)

    demo = commands.add_parser("demo", help="send sample complaints through the real pipeline")
    demo.set_defaults(run=_demo)
    cli_duty.register(commands)
    cli_templates.register(commands)
    cli_telegram.register(commands)
    cli_users.register(commands)
    cli_reports.register(commands)
    cli_classifier.register(commands, stored_corrections, include_classify=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "handler", None) is not None:
        return int(args.handler(args))
    settings: Settings | None = None
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
        return asyncio.run(args.run(args, settings))
    except TousuError as error:
        locale = settings.locale if settings is not None else locale_setting()
        print(f"tousu: {error.text(locale)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from tousu.web import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    runtime = await build_runtime(settings)
    runner = web.AppRunner(create_app(runtime), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(text("cli.serving", settings.locale, host=host, port=port), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()
    return 0


async def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade(settings.effective_database_url)
    print(text("cli.db_upgraded", settings.locale, url=_redacted(settings.effective_database_url)))
    return 0


async def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    role = check_role(args.role)
    token = new_token()
    runtime = await build_runtime(settings)
    try:
        async with runtime.store.transaction() as tx:
            await tx.tokens.create(args.name, role, token_digest(token), datetime.now(UTC))
    finally:
        await runtime.close()
    print(text("cli.token_created", settings.locale, name=args.name, role=role), file=sys.stderr)
    print(token)
    return 0


async def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    runtime = await build_runtime(settings)
    try:
        async with runtime.store.transaction() as tx:
            found = await tx.tokens.revoke(args.name, datetime.now(UTC))
    finally:
        await runtime.close()
    if not found:
        print(f"tousu: {text('cli.no_token', settings.locale, name=args.name)}", file=sys.stderr)
        return 2
    return 0


async def _classify(args: argparse.Namespace, settings: Settings) -> int:
    from classifier import load_classifier
    from tousu.tuning import lexicon_path

    classifier = load_classifier(settings.classifier_model, lexicon_path(settings))  # the lexicon the service uses
    # Batched streaming (the model runs once per batch of lines): see cli_classifier.stream.
    failures = cli_classifier.stream(classifier, sys.stdin, sys.stdout, locale=settings.locale)
    return 1 if failures else 0


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from tousu.demo import run_demo

    runtime = await build_runtime(settings)
    try:
        messages, complaints = await run_demo(runtime)
    finally:
        await runtime.close()
    print(text("cli.demo_done", settings.locale, count=messages, complaints=complaints))
    return 0


def _redacted(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


if __name__ == "__main__":
    sys.exit(main())
