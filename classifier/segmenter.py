"""Chinese word segmentation: jieba's dictionary and algorithm, with tousu's domain words.

Two engines give the same tokens:

- `rjieba` (the binding of jieba-rs): about 15–25 times faster. It runs jieba's
  algorithm (a DAG of dictionary words, the most probable route through it, an HMM over
  runs of single characters) on the same dictionary, and three differences are handled:

  - the word total. jieba adds up every line of its dictionary (``B超`` is listed twice)
    and adds a user word's frequency on top of the one it replaces; jieba-rs keeps one
    frequency per word and replaces it. Route scores are sums of ``log(freq) - log(total)``,
    so where two routes tie exactly (``最最|最最|最`` against ``最|最最|最最``, the same
    words in another order) the last bit of rounding decides, and it depends on the total.
    `_total_gap` works the difference out from jieba's dictionary file and the user words,
    and an entry no text can contain (`_FILLER`) makes up the gap: both engines then
    compute the same floats and choose the same routes, ties included.
  - the HMM on runs of single characters ties too when a character repeats
    (``赞赞赞赞赞``), and jieba-rs breaks such ties otherwise. For texts with a repeated
    unit (`_REPEATED_UNIT`) `_cut_like_jieba` replays jieba's loop: rjieba gives the
    route (``hmm=False``) and ``jieba.finalseg`` (jieba's own HMM, a small table, not its
    dictionary) cuts the runs, as jieba does.
  - jieba splits runs such as ``11-45`` or ``T_T`` into ``11 - 45`` (its HMM fallback's
    rule), which `_jieba_compatible` re-applies.

  jieba itself (its dictionary: about 1 s of CPU) is loaded only when asked for
  (`cut_reference`), for texts with a repeated unit when a user word has no positive
  frequency (the gap cannot be worked out), and for those whose route hides single ASCII
  letters that are words (see `_route`): none in the shipped dictionaries.
- `jieba`: the reference, used when rjieba is not installed or ``backend="jieba"``.

`tests/unit/classifier/test_segmenter.py` proves the equivalence over thousands of texts,
every text with a repeated unit in the benchmark corpora and a table of repeated units.

Measured with ``python benchmarks/classify_speed.py --rounds 5`` (benchmarks/RESULTS.md,
"Speed"): `tousu classify` over waimai_10k no longer loads jieba for its 144 texts with a
repeated unit. Its stream took 1.70 s of CPU before and takes 1.07–1.13 s now (0.46× to
0.72–0.76× plain ``jieba.cut``). Cutting those 144 texts by the replay takes 6.3 ms. Working
out the gap costs about 0.11 s at load (``python benchmarks/classify_load.py``: segmenter
0.156 → 0.287 s, peak memory after load 157 → 185 MiB, after all texts 233 → 185 MiB).
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from intake.errors import ConfigError

Backend = Literal["auto", "rjieba", "jieba"]

_ASCII_RUN = re.compile(r"^[A-Za-z0-9+#&._%\-]+$")
# A token `_jieba_compatible` may split holds one of these; most texts have none.
_ASCII_JOINER = re.compile(r"[+#&._%\-]")
# jieba.finalseg's rule for the non-Chinese part of an unknown run of characters.
_FINALSEG_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
# A unit of one to three characters repeated three times or more: where jieba's HMM and
# jieba-rs's may break a tie between equally likely labellings differently.
_REPEATED_UNIT = re.compile(r"([\u4E00-\u9FD5]{1,3})\1\1")
# A word no text can reach: a private-use character is outside the runs either engine
# looks up in its dictionary. Its frequency makes jieba-rs's word total equal jieba's.
_FILLER = "\ue000"
# Bytes of jieba's dictionary file parsed at a time (see `_dictionary_frequencies`).
_SLICE = 1 << 18
# Single ASCII letters and digits that jieba-rs's route without HMM glues together.
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]+")


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


def _jieba_dictionary_file() -> Path | None:
    """jieba's main dictionary (``dict.txt`` inside the package), found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "dict.txt"
    return path if path.is_file() else None


def _dictionary_frequencies(path: Path) -> tuple[int, dict[bytes, int]]:
    """The sum over every line of a jieba dictionary file, and each word's last frequency.

    Read in slices of whole lines, which keeps the peak memory near that of the result.
    """
    data = path.read_bytes()
    total = 0
    last: dict[bytes, int] = {}
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _SLICE)
        end = len(data) if end < 0 else end + 1
        total += _add_lines(data[start:end], last)
        start = end
    return total, last


def _add_lines(lines: bytes, last: dict[bytes, int]) -> int:
    """Record each line's `word freq` in `last` (a later line wins); the sum of the freqs."""
    fields = lines.split()
    if len(fields) == 3 * lines.count(b"\n"):  # "word freq tag" on every line: the fast way
        freqs = list(map(int, fields[1::3]))
        last.update(zip(fields[0::3], freqs, strict=True))
        return sum(freqs)
    total = 0
    for line in lines.splitlines():
        parts = line.split()
        if parts:
            freq = int(parts[1]) if len(parts) > 1 else 0
            last[parts[0]] = freq
            total += freq
    return total


@cache
def _total_gap(entries: tuple[DictEntry, ...], dictionary: Path | None) -> int | None:
    """How much larger jieba's word total is than jieba-rs's, both on `dictionary` (jieba's
    ``dict.txt``, which jieba-rs ships too) with the same user words `entries`.

    jieba's total is the sum of every line of ``dict.txt`` plus every user word's frequency
    (``add_word`` adds the new frequency without taking the old one off). jieba-rs keeps the
    last frequency of a word listed twice and replaces a word's frequency on ``add_word``.
    So the gap is what jieba counts twice: the earlier lines of a word listed more than
    once, and the frequency each user word replaces. None when there is no dictionary
    (jieba is not installed) or a user word has no positive frequency (each engine would
    suggest its own, and jieba leaves words of frequency 0 out of its graph while jieba-rs
    keeps them). Reading the file takes about 0.1 s of CPU, once per process.
    """
    if dictionary is None or any(not entry.freq for entry in entries):
        return None
    every_line, last = _dictionary_frequencies(dictionary)
    gap = every_line - sum(last.values())
    current: dict[str, int] = {}
    for entry in entries:
        replaced = current.get(entry.word, last.get(entry.word.encode("utf-8"), 0))
        gap += replaced
        current[entry.word] = entry.freq or 0  # `or 0` for the type checker: every freq is positive here
    return gap


class _Ambiguous(Exception):
    """rjieba's route without HMM does not show whether a token is one step or several."""


class Segmenter:
    """Cuts text into words; thread-safe after construction.

    `backend` is "auto" (rjieba when installed, else jieba), "rjieba" or "jieba".
    """

    def __init__(self, backend: Backend = "auto", dictionary: Path | None = None) -> None:
        self._entries = read_dictionary(dictionary or default_dictionary_path())
        self._lock = threading.Lock()
        self._fast: Any = None
        self._aligned = False  # rjieba's word total made equal to jieba's (see `_total_gap`)
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
        gap = _total_gap(tuple(self._entries), _jieba_dictionary_file())
        if gap is not None and not engine.has_word(_FILLER):
            if gap:
                engine.add_word(_FILLER, gap, None)
            self._aligned = True
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

    @property
    def reference_loaded(self) -> bool:
        """Whether jieba itself (its dictionary, about 1 s of CPU) has been loaded."""
        return "_reference" in self.__dict__

    def cut(self, text: str) -> list[str]:
        """The words of `text` in order; joined they give `text` back."""
        if not text:
            return []
        if self._fast is None:
            return list(self._reference.cut(text))
        if _REPEATED_UNIT.search(text):
            if not self._aligned:
                return list(self._reference.cut(text))
            try:
                return self._cut_like_jieba(text)
            except _Ambiguous:
                return list(self._reference.cut(text))
        tokens = self._fast.cut(text)
        return self._jieba_compatible(tokens) if _ASCII_JOINER.search(text) else tokens

    def cut_reference(self, text: str) -> list[str]:
        """The words as plain jieba cuts them (for tests and benchmarks)."""
        return list(self._reference.cut(text)) if text else []

    def cut_many(self, texts: Iterable[str]) -> list[list[str]]:
        """`cut` over several texts."""
        return [self.cut(text) for text in texts]

    def _cut_like_jieba(self, text: str) -> list[str]:
        """jieba's `Tokenizer.cut` (HMM on), each block's route taken from rjieba."""
        from jieba import re_han_default, re_skip_default

        out: list[str] = []
        for block in re_han_default.split(text):
            if not block:
                continue
            if re_han_default.match(block):
                out.extend(self._cut_block(block))
                continue
            for piece in re_skip_default.split(block):
                if re_skip_default.match(piece):
                    out.append(piece)
                else:
                    out.extend(piece)
        return out

    def _cut_block(self, block: str) -> Iterator[str]:
        """jieba's `__cut_DAG`: route words as they are, runs of single characters to the HMM."""
        run = ""
        for step in self._route(block):
            if len(step) == 1:
                run += step
                continue
            yield from self._cut_run(run)
            run = ""
            yield step
        yield from self._cut_run(run)

    def _route(self, block: str) -> Iterator[str]:
        """The steps of rjieba's most probable route through `block`, one word or character each.

        Without its HMM, jieba-rs glues consecutive single ASCII letters and digits of the
        route into one token. Such a token is a run of single steps unless it is itself a
        word, and then it is the word: going through it one character at a time would score
        ``log(1) - log(total)`` per character, far below any word, unless one of its
        characters is a word too. That case is left to jieba itself.
        """
        for token in self._fast.cut(block, False):
            if len(token) == 1 or not _ASCII_ALNUM.fullmatch(token):
                yield token
            elif not self._fast.has_word(token):
                yield from token
            elif any(self._fast.has_word(char) for char in token):
                raise _Ambiguous(token)
            else:
                yield token

    def _cut_run(self, run: str) -> Iterable[str]:
        """A run of single-character route steps, as jieba cuts it."""
        if len(run) < 2:
            return [run] if run else []
        if self._fast.has_word(run):
            return list(run)
        from jieba import finalseg

        return list(finalseg.cut(run))

    def _jieba_compatible(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        for token in tokens:
            if len(token) > 1 and not token.isalnum() and _ASCII_RUN.match(token) and not self._fast.has_word(token):
                out.extend(piece for piece in _FINALSEG_SKIP.split(token) if piece)
            else:
                out.append(token)
        return out
