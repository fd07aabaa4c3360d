"""`tousu templates list | show KEY | validate [KEY] [--file F] | preview KEY --complaint NUMBER | set KEY --file F`.

Reply scripts (话术) for operators. Keys are `purpose[.category][.severity][.channel][.locale]`
(e.g. `acknowledgement.damage.wechat`). `set` validates (syntax, unknown variables, the
channel's length limit) and stores a new version; the previous versions stay. `validate
--file` checks a TOML file of scripts (`[scripts."KEY"] body = ...; see docs/routing.md`), or with a KEY a
file holding one script body. Problems are printed one per line (file, key, what is
wrong) with exit status 1; other errors end in one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from intake.errors import ConfigError, InvalidInput, NotFound
from intake.messages import entry, text, words
from intake.messages import register as register_messages
from intake.ports import ScriptContext
from router.scripts import ScriptBook, ScriptKey, complaint_variables, parse_script_file
from tousu import cli_text
from tousu.bootstrap import build_runtime
from tousu.config import Settings
from tousu.routing_wiring import routing_of

MESSAGES = {
    "zh": {
        "templates.header": "键\t版本\t来源\t保存时间\t作者",
        "templates.shipped": "默认",
        "templates.saved": "已修改",
        "templates.valid": "{count} 条话术检查通过。",
        "templates.invalid": "{count} 个问题。",
        "templates.saved_version": "已保存 {script} 第 {version} 版（之前的版本仍保留）。",
        "templates.preview": "话术 {script} 第 {version} 版，投诉 {number}：",
        "templates.history": "历史版本：",
    },
    "en": {
        "templates.header": "key\tversion\tsource\tsaved at\tauthor",
        "templates.shipped": "shipped",
        "templates.saved": "edited",
        "templates.valid": "{count} script(s) are valid.",
        "templates.invalid": "{count} problem(s).",
        "templates.saved_version": "Saved {script} version {version} (earlier versions are kept).",
        "templates.preview": "Script {script} version {version} for complaint {number}:",
        "templates.history": "Versions:",
    },
}


def register(subparsers: Any) -> None:
    """Add `templates` to the `tousu` command."""
    for locale, entries in MESSAGES.items():
        register_messages(locale, entries)
    cli_text.register_catalogue()
    group = subparsers.add_parser("templates", help="reply scripts (话术): list, show, validate, preview, set")
    commands = group.add_subparsers(dest="templates_command", required=True, metavar="ACTION")
    commands.add_parser("list", help="every script key with its version").set_defaults(run=run_list)
    show = commands.add_parser("show", help="a script's text and its versions")
    show.add_argument("key")
    show.add_argument("--version", type=int, help="an earlier version")
    show.set_defaults(run=run_show)
    validate = commands.add_parser("validate", help="check scripts in use, or a file")
    validate.add_argument("key", nargs="?", help="with --file: the key the file's body is for")
    validate.add_argument("--file", type=Path, help="a TOML file of scripts, or one body with KEY")
    validate.set_defaults(run=run_validate)
    preview = commands.add_parser("preview", help="render a script for a stored complaint")
    preview.add_argument("key")
    preview.add_argument("--complaint", required=True, metavar="NUMBER")
    preview.set_defaults(run=run_preview)
    setter = commands.add_parser("set", help="save a new version of a script from a file")
    setter.add_argument("key")
    setter.add_argument("--file", type=Path, required=True)
    setter.add_argument("--author", default="cli")
    setter.add_argument("--note")
    setter.set_defaults(run=run_set)


def _book(runtime: Any) -> ScriptBook:
    return routing_of(runtime).scripts


def _key(raw: str) -> str:
    return str(ScriptKey.parse(raw))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise ConfigError(entry("cli.cannot_read", path=str(path), error=reason or error)) from error


async def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """`tousu templates list`."""
    runtime = await build_runtime(settings)
    try:
        book = _book(runtime)
        names = book.keys()
        rows = [(key, book.get(key), book.is_default(key)) for key in names]
    finally:
        await runtime.close()
    locale = settings.locale
    print(text("templates.header", locale))
    for key, script, shipped in rows:
        assert script is not None
        source = text("templates.shipped" if shipped else "templates.saved", locale)
        saved = "-" if shipped else script.saved_at.isoformat(timespec="seconds")
        print(f"{key}\t{script.version}\t{source}\t{saved}\t{script.author or '-'}")
    return 0


async def run_show(args: argparse.Namespace, settings: Settings) -> int:
    """`tousu templates show KEY [--version N]`."""
    key = _key(args.key)
    runtime = await build_runtime(settings)
    try:
        book = _book(runtime)
        history = await book.history(key)
    finally:
        await runtime.close()
    if not history:
        raise NotFound(f"no script {key}", detail=key)
    chosen = history[-1] if args.version is None else next((v for v in history if v.version == args.version), None)
    if chosen is None:
        raise NotFound(f"no version {args.version} of {key}", detail=f"{key} v{args.version}")
    print(f"# {chosen.key} v{chosen.version} ({chosen.saved_at.isoformat(timespec='seconds')}, {chosen.author or '-'})")
    print(chosen.body)
    for reply in chosen.quick_replies:
        print(f"[{reply.label}] → {reply.payload}")
    print(text("templates.history", settings.locale))
    for version in history:
        note = f" — {version.note}" if version.note else ""
        print(f"  v{version.version}\t{version.saved_at.isoformat(timespec='seconds')}\t{version.author or '-'}{note}")
    return 0


async def run_validate(args: argparse.Namespace, settings: Settings) -> int:
    """`tousu templates validate [KEY] [--file F]`."""
    runtime = await build_runtime(settings)
    try:
        book = _book(runtime)
        if args.file is not None and args.key:
            checked = [(_key(args.key), _read(args.file))]
        elif args.file is not None:
            source = str(args.file)
            checked = [(v.key, v.body) for v in parse_script_file(_read(args.file), source, settings.locale)]
        else:
            names = book.keys()
            checked = [(key, script.body) for key in names if (script := book.get(key)) is not None]
        problems = [problem for key, body in checked for problem in book.validate(key, body)]
    finally:
        await runtime.close()
    prefix = f"{args.file}: " if args.file is not None else ""
    for problem in problems:
        print(f"{prefix}{words(problem, settings.locale)}", file=sys.stderr)
    if problems:
        print(text("templates.invalid", settings.locale, count=len(problems)), file=sys.stderr)
        return 1
    print(text("templates.valid", settings.locale, count=len(checked)))
    return 0


async def run_preview(args: argparse.Namespace, settings: Settings) -> int:
    """`tousu templates preview KEY --complaint NUMBER`."""
    key = ScriptKey.parse(args.key)
    runtime = await build_runtime(settings)
    try:
        book = _book(runtime)
        async with runtime.store.transaction() as tx:
            complaint = await tx.complaints.get(args.complaint, with_transcript=False)
            if complaint is None:
                raise NotFound(f"complaint {args.complaint} does not exist", detail=args.complaint)
            customer = await tx.customers.get(complaint.customer_id)
        variables = complaint_variables(complaint, customer) | {"now": runtime.clock.now().isoformat()}
        context = ScriptContext(
            key.purpose,
            key.locale,
            key.channel or complaint.channel,
            key.category or complaint.category,
            key.severity or complaint.severity,
            variables,
        )
        reply = book.render(context)
    finally:
        await runtime.close()
    version = reply.template_version if reply.template_version is not None else "-"
    print(
        text(
            "templates.preview", settings.locale, script=reply.template or "-", version=version, number=complaint.number
        )
    )
    print(reply.text)
    for button in reply.quick_replies:
        print(f"[{button.label}]")
    return 0


async def run_set(args: argparse.Namespace, settings: Settings) -> int:
    """`tousu templates set KEY --file F`."""
    key = _key(args.key)
    body = _read(args.file)
    runtime = await build_runtime(settings)
    try:
        try:
            saved = await _book(runtime).save(key, body, author=args.author, note=args.note)
        except InvalidInput as error:
            problems = error.details.get("problems") or [error.detail_text(settings.locale)]
            for problem in problems if isinstance(problems, list) else [problems]:
                print(f"{args.file}: {words(problem, settings.locale)}", file=sys.stderr)
            return 1
    finally:
        await runtime.close()
    print(text("templates.saved_version", settings.locale, script=saved.key, version=saved.version))
    return 0
