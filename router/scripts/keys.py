"""Keys of reply scripts and their fallback chain.

A key names a purpose and, optionally, a category, a severity, a channel and a locale,
written with dots in any order after the purpose: `acknowledgement.damage.critical.wechat.zh`,
`acknowledgement.en`, `status`. Each part is recognised by its vocabulary (the sets do not
overlap). The canonical form is purpose, category, severity, channel, locale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product

from intake.errors import InvalidInput
from intake.messages import entry
from intake.ports import Purpose, ScriptContext
from intake.records import Category, ChannelName, Severity
from router import messages as _messages  # noqa: F401 - registers the catalogue entries

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"


@dataclass(frozen=True, slots=True)
class ScriptKey:
    """Which script: the purpose and the optional specialisations."""

    purpose: Purpose
    category: Category | None = None
    severity: Severity | None = None
    channel: ChannelName | None = None
    locale: str = DEFAULT_LOCALE

    def __str__(self) -> str:
        parts = [self.purpose.value, self.category, self.severity, self.channel, self.locale]
        return ".".join(str(part) for part in parts if part is not None)

    @classmethod
    def parse(cls, text: str) -> ScriptKey:
        """Parse a key; raises `InvalidInput` naming the part it does not know."""
        parts = [part for part in text.strip().split(".") if part]
        if not parts:
            raise InvalidInput(entry("router.script.key_empty"))
        try:
            purpose = Purpose(parts[0])
        except ValueError:
            known = ", ".join(p.value for p in Purpose)
            problem = entry("router.script.unknown_purpose", purpose=repr(parts[0]), text=repr(text), known=known)
            raise InvalidInput(problem) from None
        fields: dict[str, object] = {}
        for part in parts[1:]:
            name, value = _recognise(part, text)
            if name in fields:
                raise InvalidInput(
                    entry("router.script.part_twice", text=repr(text), part=entry(f"router.script.part.{name}"))
                )
            fields[name] = value
        return cls(purpose, **fields)  # type: ignore[arg-type]

    @classmethod
    def for_context(cls, context: ScriptContext) -> ScriptKey:
        """The most specific key a context asks for."""
        locale = context.locale if context.locale in LOCALES else DEFAULT_LOCALE
        return cls(context.purpose, context.category, context.severity, context.channel, locale)

    def fallbacks(self) -> list[ScriptKey]:
        """This key, then ever more generic ones; the requested locale first, then the default one.

        Category is the strongest specialisation, then severity, then channel.
        """
        chain: list[ScriptKey] = []
        locales = [self.locale] if self.locale == DEFAULT_LOCALE else [self.locale, DEFAULT_LOCALE]
        for locale in locales:
            for keep_category, keep_severity, keep_channel in product((True, False), repeat=3):
                key = replace(
                    self,
                    category=self.category if keep_category else None,
                    severity=self.severity if keep_severity else None,
                    channel=self.channel if keep_channel else None,
                    locale=locale,
                )
                if key not in chain:
                    chain.append(key)
        return chain


def _recognise(part: str, text: str) -> tuple[str, object]:
    if part in LOCALES:
        return "locale", part
    for name, kind in (("category", Category), ("severity", Severity), ("channel", ChannelName)):
        try:
            return name, kind(part)
        except ValueError:
            continue
    locales = ", ".join(LOCALES)
    raise InvalidInput(entry("router.script.unknown_part", part=repr(part), text=repr(text), locales=locales))
