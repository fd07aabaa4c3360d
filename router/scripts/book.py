"""The reply scripts (话术): defaults shipped as TOML, operator versions from a repository.

`ScriptBook.render` is synchronous (the pipeline calls it inside its transaction): it reads
the scripts held in memory. `reload()` refreshes them from the `ScriptRepository`;
`save()` validates, stores a new version and updates the memory copy.
"""

from __future__ import annotations

import logging
import tomllib
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jinja2 import ChainableUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from intake.errors import ConfigError, InvalidInput
from intake.messages import Message, entry
from intake.ports import Clock, ScriptContext
from intake.records import QuickReply, Reply
from intake.routing_ports import ScriptRepository, ScriptVersion
from router.scripts.keys import LOCALES, ScriptKey
from router.scripts.validate import CHANNEL_LIMITS, validate_script
from router.scripts.variables import Directory, build_variables

log = logging.getLogger(__name__)

SHIPPED_AT = datetime(2026, 1, 1, tzinfo=UTC)
BUILTIN = "builtin"
_LAST_RESORT = {
    "zh": "您好，您的消息我们已收到，客服同事会尽快与您联系。",
    "en": "Hello, we have received your message and a colleague will contact you soon.",
}


class NeutralUndefined(ChainableUndefined):
    """A missing variable renders as nothing, and so does anything taken from it."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""


def make_environment() -> SandboxedEnvironment:
    """The sandbox every script runs in: no autoescape (plain text), missing values are empty."""
    return SandboxedEnvironment(undefined=NeutralUndefined, autoescape=False, keep_trailing_newline=False)


def parse_script_file(text: str, source: str, locale: str | None = None) -> list[ScriptVersion]:
    """Scripts from TOML text: `[scripts."purpose[.category][.severity][.channel][.locale]"]`.

    A key without a locale takes `locale` (the file's locale, "zh" when None).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(entry("router.script.bad_toml", source=source, error=str(error))) from error
    scripts = data.get("scripts")
    if not isinstance(scripts, dict):
        raise ConfigError(entry("router.script.no_tables", source=source))
    versions: list[ScriptVersion] = []
    for raw_key, spec in scripts.items():
        key = _file_key(raw_key, locale, source)
        if not isinstance(spec, dict) or not isinstance(spec.get("body"), str):
            raise ConfigError(entry("router.script.no_body", source=source, script=raw_key))
        replies = _quick_replies(spec.get("quick_replies", []), f"{source}: scripts.{raw_key}")
        versions.append(ScriptVersion(str(key), 1, spec["body"], SHIPPED_AT, "tousu", replies))
    return versions


def _file_key(raw_key: str, locale: str | None, source: str) -> ScriptKey:
    try:
        key = ScriptKey.parse(raw_key)
    except InvalidInput as error:
        raise ConfigError(entry("router.script.in_file", source=source, problem=error.entry or str(error))) from error
    has_locale = raw_key.split(".")[-1] in LOCALES
    return (
        key if has_locale or locale is None else ScriptKey(key.purpose, key.category, key.severity, key.channel, locale)
    )


def _quick_replies(value: object, where: str) -> tuple[QuickReply, ...]:
    if not isinstance(value, list):
        raise ConfigError(entry("router.script.bad_replies", where=where))
    replies = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("label"), str)
            or not isinstance(item.get("payload"), str)
        ):
            raise ConfigError(entry("router.script.reply_fields", where=where))
        replies.append(QuickReply(item["label"], item["payload"]))
    return tuple(replies)


def default_scripts() -> dict[str, ScriptVersion]:
    """The scripts shipped in the package, every purpose in zh and en."""
    scripts: dict[str, ScriptVersion] = {}
    folder = resources.files("router.scripts").joinpath("defaults")
    for locale in LOCALES:
        text = folder.joinpath(f"{locale}.toml").read_text(encoding="utf-8")
        for version in parse_script_file(text, f"router/scripts/defaults/{locale}.toml", locale):
            scripts[version.key] = version
    return scripts


class ScriptBook:
    """Implements `intake.ports.ReplyScripts` over defaults and a `ScriptRepository`."""

    def __init__(
        self,
        defaults: dict[str, ScriptVersion] | None = None,
        directory: Directory | None = None,
        repository: ScriptRepository | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.directory = directory or Directory()
        self.repository = repository
        self.env = make_environment()
        self._defaults = dict(defaults if defaults is not None else default_scripts())
        self._current: dict[str, ScriptVersion] = dict(self._defaults)
        self._compiled: dict[tuple[str, int], Template] = {}
        self._clock = clock

    # ------------------------------------------------------------------ reading

    def keys(self) -> list[str]:
        """Every key that has a script, sorted."""
        return sorted(self._current)

    def get(self, key: str) -> ScriptVersion | None:
        """The script in use for an exact key."""
        return self._current.get(str(ScriptKey.parse(key)))

    def is_default(self, key: str) -> bool:
        """True when the script in use is the shipped one."""
        current = self.get(key)
        return current is not None and self._defaults.get(current.key) is current

    def resolve(self, context: ScriptContext) -> list[ScriptVersion]:
        """The scripts that could answer `context`, most specific first."""
        chain = ScriptKey.for_context(context).fallbacks()
        return [self._current[str(key)] for key in chain if str(key) in self._current]

    def render(self, context: ScriptContext) -> Reply:
        """Render the most specific script that renders cleanly (see `ReplyScripts`)."""
        variables = build_variables(context, self.directory)
        for script in self.resolve(context):
            text = self._render_one(script, variables)
            if text:
                return Reply(self._fit(text, context), script.quick_replies, script.key, script.version)
        locale = context.locale if context.locale in _LAST_RESORT else "zh"
        return Reply(_LAST_RESORT[locale], (), BUILTIN, 0)

    def _render_one(self, script: ScriptVersion, variables: dict[str, Any]) -> str:
        try:
            template = self._compiled.get((script.key, script.version))
            if template is None:
                template = self.env.from_string(script.body)
                self._compiled[(script.key, script.version)] = template
            return template.render(variables).strip()
        except Exception:  # a broken operator script must never stop a reply: fall back
            log.exception("reply script %s v%s failed to render; falling back", script.key, script.version)
            return ""

    def _fit(self, text: str, context: ScriptContext) -> str:
        limit = CHANNEL_LIMITS.get(context.channel) if context.channel else None
        if limit is None or len(text) <= limit:
            return text
        return text[: limit - 1] + "…"

    # ------------------------------------------------------------------ writing

    def validate(self, key: str, body: str) -> list[Message]:
        """Problems of `body` as the script for `key` (syntax, unknown variables, length); `str()` is English."""
        return validate_script(self.env, ScriptKey.parse(key), body, self.directory)

    async def reload(self) -> None:
        """Take the latest saved versions from the repository (defaults stay for the rest)."""
        if self.repository is None:
            return
        saved = await self.repository.current()
        self._current = {**self._defaults, **saved}

    async def save(
        self,
        key: str,
        body: str,
        *,
        author: str | None = None,
        quick_replies: tuple[QuickReply, ...] | None = None,
        note: str | None = None,
    ) -> ScriptVersion:
        """Validate and store a new version of `key`; raises `InvalidInput` listing the problems.

        The first save of a shipped script stores the shipped text as version 1 first, so
        the history always holds what customers were sent before.
        """
        if self.repository is None:
            raise ConfigError(entry("router.script.read_only"))
        canonical = str(ScriptKey.parse(key))
        problems = self.validate(canonical, body)
        if problems:
            raise InvalidInput("; ".join(map(str, problems)), problems=problems)
        at = self._now()
        previous = await self.repository.get(canonical)
        shipped = self._defaults.get(canonical)
        if previous is None and shipped is not None:
            await self.repository.save(
                canonical, shipped.body, at, author="tousu", quick_replies=shipped.quick_replies, note="shipped default"
            )
        replies = quick_replies if quick_replies is not None else _replies_of(previous or shipped)
        version = await self.repository.save(canonical, body, at, author=author, quick_replies=replies, note=note)
        self._current[canonical] = version
        return version

    async def history(self, key: str) -> list[ScriptVersion]:
        """Every version of a key, oldest first (the shipped one when never saved)."""
        canonical = str(ScriptKey.parse(key))
        saved = await self.repository.history(canonical) if self.repository is not None else []
        if saved:
            return saved
        shipped = self._defaults.get(canonical)
        return [shipped] if shipped else []

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)


def _replies_of(version: ScriptVersion | None) -> tuple[QuickReply, ...]:
    return version.quick_replies if version is not None else ()
