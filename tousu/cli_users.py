"""`tousu user create NAME --role ROLE [--team TEAM] [--password-stdin]` and `tousu user list`.

The password is asked for twice on the terminal, or read from the first line of stdin
with `--password-stdin` (for scripts). `tousu/cli.py` calls `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import Any

from intake.errors import InvalidInput
from intake.messages import text
from intake.permissions import ROLES, check_role
from intake.records import Event
from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore
from tousu.bootstrap import build_runtime
from tousu.config import Settings
from tousu.console.security import hash_password


def register(subparsers: Any) -> None:
    """Add `user create` and `user list` to the `tousu` sub-parsers."""
    user = subparsers.add_parser("user", help="console users (agents, leads, managers, operators, admins)")
    commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = commands.add_parser("create", help="create a console user")
    create.add_argument("name")
    create.add_argument("--role", required=True, help=f"one of {', '.join(ROLES)}")
    create.add_argument("--team", help="team code from the routing rules (agents and leads)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create.set_defaults(run=_create)
    listing = commands.add_parser("list", help="list console users")
    listing.set_defaults(run=_list)


def _read_password(args: argparse.Namespace, locale: str) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(text("cli.password_prompt", locale))
    if getpass.getpass(text("cli.password_again", locale)) != first:
        raise InvalidInput(text("cli.passwords_differ", locale), field="password")
    return first


def _check_name(name: str, locale: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 64 or any(ch.isspace() for ch in cleaned):
        raise InvalidInput(text("cli.user_name_invalid", locale), field="name")
    return cleaned


async def _create(args: argparse.Namespace, settings: Settings) -> int:
    role = check_role(args.role)
    name = _check_name(args.name, settings.locale)
    password_hash = hash_password(_read_password(args, settings.locale))
    runtime = await build_runtime(settings)
    try:
        assert isinstance(runtime.store, SqlStore)
        now = datetime.now(UTC)
        async with SqlConsoleStore(runtime.store).transaction() as tx:
            await tx.users.add(name, role, password_hash, now, team=args.team or None)
            await tx.audit.append(Event("cli", "user.created", now, None, {"user": name, "role": role}))
    finally:
        await runtime.close()
    print(text("cli.user_created", settings.locale, name=name, role=role), file=sys.stderr)
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    runtime = await build_runtime(settings)
    try:
        assert isinstance(runtime.store, SqlStore)
        async with SqlConsoleStore(runtime.store).transaction() as tx:
            users = await tx.users.list()
    finally:
        await runtime.close()
    for user in users:
        state = "\tdisabled" if user.disabled else ""
        print(f"{user.username}\t{user.role}\t{user.team or '-'}{state}")
    return 0
