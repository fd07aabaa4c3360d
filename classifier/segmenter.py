"""Chinese word segmentation: jieba's dictionary and algorithm, with tousu's domain words.

Two engines give the same tokens:

- `rjieba` (the binding of jieba-rs): about 15–25 times faster. Two differences from
  jieba are known and handled here: jieba splits runs such as ``11-45`` or ``T_T``
  into ``11 - 45`` (its HMM fallback's rule), which `_jieba_compatible` re-applies; and
  in strings of a repeated unit (``赞赞赞赞赞``) equal-cost paths are broken the other
  way, so those rare texts are handed to jieba itself (loaded lazily, only then).
- `jieba`: the reference, used when rjieba is not installed or ``backend="jieba"``.

`tests/unit/classifier/test_segmenter.py` proves the equivalence over thousands of texts.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from intake.errors import ConfigError

Backend = Literal["auto", "rjieba", "jieba"]

_ASCII_RUN = re.compile(r"^[A-Za-z0-9+#&._%\-]+$")
# jieba.finalseg's rule for the non-Chinese part of an unknown run of characters.
_FINALSEG_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
# A unit of one to three characters repeated three times or more: where jieba and
# jieba-rs may break a tie between equally likely paths differently.
_REPEATED_UNIT = re.compile(r"([\u4E00-\u9FD5]{1,3})\1\1")


@dataclass(frozen=True, slots=True)
class DictEntry:
    """One word of a user dictionary: `word freq tag`, as jieba's own format."""

    word: str
    freq: int | None
    tag: str | None


def default_dictionary_path() -> Path:
    """The domain dictionary shipped in the package."""
    return Path(str(resources.files("classifier") / "resources" / "domain_dict.txt"))


def read_dictionary(path: Path) -> list[DictEntry]:
    """Parse a jieba-format user dictionary; raises `ConfigError` on a malformed line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read dictionary {path}: {exc}") from exc
    entries = []
    for number, line in enumerate(lines, 1):
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) > 3 or (len(parts) > 1 and not parts[1].isdigit()):
            raise ConfigError(f"{path}:{number}: expected 'word [freq] [tag]', got {line!r}")
        freq = int(parts[1]) if len(parts) > 1 else None
        entries.append(DictEntry(parts[0], freq, parts[2] if len(parts) > 2 else None))
    return entries


class Segmenter:
    """Cuts text into words; thread-safe after construction.

    `backend` is "auto" (rjieba when installed, else jieba), "rjieba" or "jieba".
    """

    def __init__(self, backend: Backend = "auto", dictionary: Path | None = None) -> None:
        self._entries = read_dictionary(dictionary or default_dictionary_path())
        self._lock = threading.Lock()
        self._fast: Any = None
        if backend in ("auto", "rjieba"):
            self._fast = self._load_rjieba(required=backend == "rjieba")
        self.backend: str = "rjieba" if self._fast is not None else "jieba"
        if self._fast is None:
            _ = self._reference

    def _load_rjieba(self, *, required: bool) -> Any:
        try:
            import rjieba
        except ImportError as exc:
            if required:
                raise ConfigError("rjieba is not installed") from exc
            return None
        engine = rjieba.Jieba()
        for entry in self._entries:
            engine.add_word(entry.word, entry.freq, entry.tag)
        return engine

    @cached_property
    def _reference(self) -> Any:
        """jieba itself, with the same user words; built on first need (about 0.6 s)."""
        import jieba

        jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter is not ours to print
        with self._lock:
            engine = jieba.Tokenizer()
            engine.initialize()
            for entry in self._entries:
                engine.add_word(entry.word, entry.freq, entry.tag)
            return engine

    def cut(self, text: str) -> list[str]:
        """The words of `text` in order; joined they give `text` back."""
        if not text:
            return []
        if self._fast is None or _REPEATED_UNIT.search(text):
            return list(self._reference.cut(text))
        return self._jieba_compatible(self._fast.cut(text))

    def cut_reference(self, text: str) -> list[str]:
        """The words as plain jieba cuts them (for tests and benchmarks)."""
        return list(self._reference.cut(text)) if text else []

    def cut_many(self, texts: Iterable[str]) -> list[list[str]]:
        """`cut` over several texts."""
        return [self.cut(text) for text in texts]

    def _jieba_compatible(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        for token in tokens:
            if len(token) > 1 and not token.isalnum() and _ASCII_RUN.match(token) and not self._fast.has_word(token):
                out.extend(piece for piece in _FINALSEG_SKIP.split(token) if piece)
            else:
                out.append(token)
        return out
