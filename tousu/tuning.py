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

A save reaches the other processes (`tousu.broadcast`): the console announces it with
`announcement` (what was saved, its SHA-256, who saved it, when) on `LEXICON_TOPIC` or
`RULES_TOPIC`, and each other process re-reads `<data_dir>/lexicon.toml` or
`<data_dir>/routing.toml` (`read_announced`), validates it with the real loader and swaps it
in (`lexicon_reloader`; the rules: `tousu.routing_wiring.Routing`). This assumes every
process has the same data directory: one host, or a shared volume. A process whose file is
not the one announced (another data directory, or a newer save already on disk whose own
announcement follows) keeps what it runs and logs it; so does one whose file does not load.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from classifier.layered import LayeredClassifier
from classifier.lexicon import Lexicon
from intake.errors import ConfigError
from intake.messages import words
from intake.ports import Classifier
from tousu.broadcast import Apply
from tousu.config import Settings

log = logging.getLogger(__name__)

LEXICON_FILE = "lexicon.toml"
RULES_FILE = "routing.toml"
MAX_BYTES = 512 * 1024  # a lexicon or a rules file is a few kB; refuse anything absurd
LEXICON_TOPIC = "tuning:lexicon"
RULES_TOPIC = "tuning:rules"

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


def announcement(text: str, actor: str, at: datetime) -> dict[str, Any]:
    """What the console publishes after saving `text`: its SHA-256 and size, who saved it, when."""
    return {"sha256": digest(text), "bytes": len(text.encode("utf-8")), "actor": actor, "at": at.isoformat()}


def read_announced(path: Path, announced: dict[str, Any]) -> str:
    """The text of the file another process saved at `path`, when it is the one `announced`.

    Raises `ConfigError` when the file cannot be read, is too large, or does not have the
    announced SHA-256 (a different data directory, or a newer save whose announcement follows).
    """
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_BYTES // 1024} kB")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from error
    found = digest(text)
    if found != announced.get("sha256"):
        raise ConfigError(
            f"{path} is not the file {announced.get('actor')} saved (sha256 {announced.get('sha256')}, found {found}): "
            "a newer save follows, or this process does not share the data directory"
        )
    return text


def lexicon_reloader(settings: Settings, classifier: Classifier) -> Apply:
    """Apply another process's lexicon save: re-read, validate, swap (see the module docstring)."""

    async def reload(announced: dict[str, Any]) -> None:
        if not isinstance(classifier, LayeredClassifier):
            raise ConfigError("the classifier of this process has no editable lexicon")
        path = settings.data_dir / LEXICON_FILE
        lexicon = Lexicon.parse(read_announced(path, announced), str(path))
        previous = classifier.replace_lexicon(lexicon)
        log.info(
            "lexicon saved by %s reloaded from %s (sha256 %s; was %s)",
            announced.get("actor"),
            path,
            announced.get("sha256"),
            previous.source,
        )

    return reload
