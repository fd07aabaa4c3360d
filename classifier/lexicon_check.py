"""The common mistakes of an operator's lexicon, named before the lexicon is compiled.

`Lexicon` compiles what this check lets through; the check only puts into words (in
every locale, see `classifier.messages`) what compiling would refuse anyway: an unknown
category, severity or intent code, a weight that is not a number, a section that is not
a table, no category at all. Each problem names where it is (`categories.xyz`) and quotes
the offending value, so an editor can point at its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from classifier import messages as _messages  # noqa: F401 - registers the catalogue entries
from intake.messages import Message, entry
from intake.records import Category, Intent, Severity


def lexicon_problems(data: dict[str, Any]) -> list[Message]:
    """What is wrong with a parsed lexicon; an empty list when it compiles."""
    problems = [*_tables(data)]
    if problems:
        return problems
    categories = data.get("categories", {})
    if not categories:
        return [entry("classifier.lexicon.no_categories")]
    problems += _coded(categories, "categories", Category, "unknown_category")
    problems += _coded(data.get("severity", {}), "severity", Severity, "unknown_severity")
    problems += _coded(data.get("intents", {}), "intents", Intent, "unknown_intent")
    for kind in ("categories", "severity"):
        for code, section in data.get(kind, {}).items():
            problems += _weights(section.get("words", {}) if isinstance(section, dict) else {}, f"{kind}.{code}.words")
    problems += _weights(data.get("intensity", {}).get("words", {}), "intensity.words")
    for polarity in ("positive", "negative"):
        problems += _weights(data.get("sentiment", {}).get(polarity, {}), f"sentiment.{polarity}")
    for code, level in data.get("floors", {}).items():
        problems += _code(Category, code, "floors", "unknown_category")
        problems += _code(Severity, level, f"floors.{code}", "unknown_severity")
    for term, code in data.get("sarcasm", {}).get("words", {}).items():
        problems += _code(Category, code, f"sarcasm.words.{term}", "unknown_category")
    for index, combo in enumerate(data.get("combos", [])):
        if isinstance(combo, dict) and "severity" in combo:
            problems += _code(Severity, combo["severity"], f"combos[{index}].severity", "unknown_severity")
    return problems


_TABLES = ("settings", "categories", "severity", "floors", "negation", "intensity", "sarcasm", "intents", "sentiment")


def _tables(data: dict[str, Any]) -> Iterator[Message]:
    for name in _TABLES:
        if not isinstance(data.get(name, {}), dict):
            yield entry("classifier.lexicon.not_table", where=name)
    for name in ("categories", "severity", "intents"):
        section = data.get(name, {})
        for code, part in section.items() if isinstance(section, dict) else ():
            if not isinstance(part, dict):
                yield entry("classifier.lexicon.not_table", where=f"{name}.{code}")
            elif not isinstance(part.get("words", {}), dict | list):
                yield entry("classifier.lexicon.not_table", where=f"{name}.{code}.words")
    for name in ("intensity", "sarcasm"):
        if not isinstance(data.get(name, {}).get("words", {}), dict):
            yield entry("classifier.lexicon.not_table", where=f"{name}.words")
    for polarity in ("positive", "negative"):
        if not isinstance(data.get("sentiment", {}).get(polarity, {}), dict):
            yield entry("classifier.lexicon.not_table", where=f"sentiment.{polarity}")


def _coded(section: dict[str, Any], where: str, kind: type[StrEnum], key: str) -> list[Message]:
    return [problem for code in section for problem in _code(kind, code, f"{where}.{code}", key)]


def _code(kind: type[StrEnum], value: object, where: str, key: str) -> list[Message]:
    try:
        kind(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        return [entry(f"classifier.lexicon.{key}", where=where, value=repr(value), allowed=allowed)]
    return []


def _weights(words: dict[str, Any], where: str) -> list[Message]:
    problems = []
    for term, weight in words.items():
        try:
            float(weight)
        except (TypeError, ValueError):
            problems.append(entry("classifier.lexicon.bad_number", where=f"{where}.{term}", value=repr(weight)))
    return problems
