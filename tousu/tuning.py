"""The operator-tunable files: the classifier lexicon and the routing rules.

Which file is in use (`lexicon_path`, `rules_path`): the setting when it is set
(TOUSU_LEXICON_PATH, TOUSU_ROUTING_RULES); else the copy the console saved into the data
directory (`<data_dir>/lexicon.toml`, `<data_dir>/routing.toml`) when it exists; else the
file shipped in the package (None). So an operator's save survives a restart, and an
explicit setting still wins.

`problems_of` turns a loader's `ConfigError` into messages with the line they refer to
(TOML syntax errors carry it; for the checks of the loaders the line is the first one that
names the offending value or key, None when no line does). `save_file` writes a new file
atomically and keeps the previous one next to it as `<name>.<UTC timestamp>.bak`.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from intake.errors import ConfigError
from intake.messages import words
from tousu.config import Settings

LEXICON_FILE = "lexicon.toml"
RULES_FILE = "routing.toml"
MAX_BYTES = 512 * 1024  # a lexicon or a rules file is a few kB; refuse anything absurd

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")
_WHERE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[\d+\])?$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of an edited file: its message and, when known, its 1-based line."""

    message: str
    line: int | None = None


def lexicon_path(settings: Settings) -> Path | None:
    """The lexicon file to load (None: the shipped one); see the module docstring."""
    if settings.lexicon_path is not None:
        return settings.lexicon_path
    saved = settings.data_dir / LEXICON_FILE
    return saved if saved.is_file() else None


def rules_path(settings: Settings) -> Path | None:
    """The routing rules file to load (None: the shipped one); see the module docstring."""
    if settings.routing_rules is not None:
        return settings.routing_rules
    saved = settings.data_dir / RULES_FILE
    return saved if saved.is_file() else None


def problems_of(error: ConfigError, text: str, locale: str | None = None) -> list[Problem]:
    """The problems of a loader's `ConfigError` in `locale`, each with its line in `text` when found.

    The line is found from the English text of a problem (`str()`); what is shown comes
    from its catalogue `Message` (the `messages` detail, or the error's own) when it has one.
    """
    lines = text.splitlines()
    items = error.details.get("problems")
    found = error.details.get("messages")
    if isinstance(items, list) and items:
        shown = found if isinstance(found, list) and len(found) == len(items) else items
        pairs = list(zip(map(str, items), shown, strict=True))
    else:
        pairs = [(str(error), error.entry or str(error))]
    return [Problem(words(message, locale), _line_of(english, lines)) for english, message in pairs]


def _line_of(message: str, lines: list[str]) -> int | None:
    found = _TOML_LINE.search(message)
    if found:
        return int(found.group(1))
    where, _, _rest = message.partition(": ")
    for match in _QUOTED.finditer(message):
        value = match.group(1) or match.group(2)
        for number, line in enumerate(lines, start=1):
            if value in line and not line.lstrip().startswith("#"):
                return number
    key = _WHERE_KEY.search(where.strip())
    if key:
        pattern = re.compile(rf"^\s*\"?{re.escape(key.group(1))}\"?\s*=")
        for number, line in enumerate(lines, start=1):
            if pattern.match(line):
                return number
    return None


def digest(text: str) -> str:
    """SHA-256 of the UTF-8 text (what the audit trail records)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_file(path: Path, text: str, at: datetime) -> Path | None:
    """Write `text` to `path` atomically; the previous file is kept as a timestamped backup.

    Returns the backup's path (None when there was no previous file).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.exists():
        stamp = at.strftime("%Y%m%dT%H%M%S%fZ")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        backup.write_bytes(path.read_bytes())
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return backup
