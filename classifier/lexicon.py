"""The operator lexicon: words and weights per category, severity triggers, intents, sentiment.

The lexicon is a TOML file (`classifier/resources/lexicon.toml` is the shipped one; its header
documents the format). `Lexicon.load` validates it and compiles its terms; `Lexicon.scan`
finds the cues in a normalised text, honouring negation, intensity, sarcasm and contrast
(挺好的，不过有点慢: what follows 不过 is what the customer means).
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from classifier.lexicon_check import lexicon_problems
from classifier.trie import compile_terms
from intake.errors import ConfigError
from intake.messages import entry
from intake.records import Category, Intent, Severity

_CLAUSE_BREAK = re.compile(r"[,.!?;:，。！？；：、\n~～]")
# From where it starts matching, everything up to the last clause break (greedy).
_UP_TO_LAST_BREAK = re.compile(r".*" + _CLAUSE_BREAK.pattern, re.DOTALL)
_ASCII_ALNUM = re.compile(r"[a-z0-9]")
_NEGATION_NOISE = (
    "不但",
    "不仅",
    "不光",
    "不只",
    "不过",
    "不停",
    "不断",
    "不少",
    "不到",
    "不管",
    "不然",
    "不得不",
    "不行",
    "没想到",
    "没办法",
    "没法",
    "无法",
    "别的",
    "别人",
    "未来",
    "无论",
    "不知道",
    "没多久",
    "特别",
    "个别",
    "分别",
    "区别",
    "差别",
    "级别",
    "类别",
    "识别",
    "告别",
)
# What the customer says after the last contrast word counts this much more, and before it
# this much less: 服务挺好，但是太慢了 is a complaint about the speed.
CONTRAST_FOCUS = 2.0
CONTRAST_BACKGROUND = 0.5
# A category cue of at most this weight is a topic word (态度, 客服) rather than a verdict:
# followed in its clause by praise (态度特别好) it is no complaint.
TOPIC_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class Hit:
    """One cue found in a text: the term, where, and what it counts for."""

    term: str
    start: int
    end: int
    target: str
    weight: float
    layer: str


@dataclass(frozen=True, slots=True)
class Combo:
    """A severity rule: one term of every group present raises to `severity`."""

    name: str
    severity: Severity
    groups: tuple[tuple[str, ...], ...]

    def matched(self, text: str) -> list[str] | None:
        """The first term of each group found in `text`, or None if a group is missing."""
        found = []
        for group in self.groups:
            term = next((t for t in group if t in text), None)
            if term is None:
                return None
            found.append(term)
        return found


@dataclass(slots=True)
class Scan:
    """What the lexicon found in one text."""

    scores: dict[Category, float] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    severity: Severity = Severity.NORMAL
    severity_hits: list[Hit] = field(default_factory=list)
    intents: dict[Intent, list[Hit]] = field(default_factory=dict)
    sentiment: list[Hit] = field(default_factory=list)
    positive: float = 0.0
    negative: float = 0.0

    @property
    def evidence(self) -> float:
        """Total weight of the category cues."""
        return sum(self.scores.values())


@dataclass(frozen=True, slots=True)
class _Role:
    kind: str  # "category", "severity", "shadow", "sarcasm"
    target: str
    weight: float


class Lexicon:
    """A validated, compiled operator lexicon."""

    def __init__(self, data: dict[str, Any], source: str = "<memory>") -> None:
        self.source = source
        problems = lexicon_problems(data)
        if problems:
            summary = entry("classifier.lexicon.problems", source=source, count=len(problems), lines=problems)
            raise ConfigError(summary, problems=[str(problem) for problem in problems], messages=problems)
        try:
            self._build(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(entry("classifier.lexicon.invalid", source=source, error=str(exc))) from exc

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Read a lexicon TOML file (the shipped one by default)."""
        path = path or default_lexicon_path()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(entry("classifier.lexicon.cannot_read", source=str(path), error=str(exc))) from exc
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str = "<text>") -> Lexicon:
        """Validate and compile a lexicon given as TOML text (what `load` does after reading)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(entry("classifier.lexicon.bad_toml", source=source, error=str(exc))) from exc
        return cls(data, source)

    # ------------------------------------------------------------------ building

    def _build(self, data: dict[str, Any]) -> None:
        settings = data.get("settings", {})
        self.saturation = float(settings.get("saturation", 4.0))
        self.lexicon_share = float(settings.get("lexicon_share", 0.6))
        self.labels: dict[Category, str] = {}
        roles: dict[str, list[_Role]] = defaultdict(list)
        for code, section in data.get("categories", {}).items():
            category = Category(code)
            self.labels[category] = str(section.get("label", code))
            for term, weight in section.get("words", {}).items():
                roles[term].append(_Role("category", category.value, float(weight)))
        for level, section in data.get("severity", {}).items():
            severity = Severity(level)
            for term, weight in section.get("words", {}).items():
                roles[term].append(_Role("severity", severity.value, float(weight)))
        for term in data.get("shadow", {}).get("words", []):
            roles[term].append(_Role("shadow", "", 0.0))
        sarcasm = data.get("sarcasm", {})
        self.sarcasm_words = {term: Category(code) for term, code in sarcasm.get("words", {}).items()}
        self.quotes = [(pair[0], pair[1]) for pair in sarcasm.get("quotes", []) if len(pair) == 2]
        # Every quoted form (真是太"准时"了) in one pattern: one pass over the text.
        self._sarcasm_targets = {
            f"{left}{term}{right}": category
            for term, category in self.sarcasm_words.items()
            for left, right in self.quotes
        }
        self._sarcasm_pattern = compile_terms(self._sarcasm_targets)
        self.combos = [
            Combo(str(c.get("name", "combo")), Severity(c["severity"]), tuple(tuple(g) for g in c["groups"]))
            for c in data.get("combos", [])
        ]
        self.floors = {Category(k): Severity(v) for k, v in data.get("floors", {}).items()}
        negation = data.get("negation", {})
        self.negation_window = int(negation.get("window", 4))
        self.negation_keep = frozenset(negation.get("keep", []))
        self._negation = compile_terms(negation.get("words", []))
        self._negation_noise = compile_terms(_NEGATION_NOISE)
        intensity = data.get("intensity", {})
        self.intensity_window = int(intensity.get("window", 3))
        self.intensity = {term: float(w) for term, w in intensity.get("words", {}).items()}
        self._intensity = compile_terms(self.intensity)
        self._roles = dict(roles)
        self._pattern = compile_terms(roles)
        self.intent_words: dict[Intent, list[str]] = {
            Intent(name): list(section.get("words", [])) for name, section in data.get("intents", {}).items()
        }
        self._intent_roles: dict[str, list[Intent]] = defaultdict(list)
        for intent, words in self.intent_words.items():
            for term in words:
                self._intent_roles[term].append(intent)
        self._intent_pattern = compile_terms(self._intent_roles)
        self._build_sentiment(data.get("sentiment", {}))
        if not self.labels:
            raise ValueError("no [categories.*] section")

    def _build_sentiment(self, section: dict[str, Any]) -> None:
        roles: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for polarity in ("positive", "negative"):
            for term, weight in section.get(polarity, {}).items():
                roles[term].append((polarity, float(weight)))
        for term in section.get("hedges", []):
            roles[term].append(("hedge", 1.0))
        for term in section.get("contrast", []):
            roles[term].append(("contrast", 0.0))
        for term in section.get("neutral", []):
            roles.setdefault(term, [])  # matched, so it hides the shorter terms inside it
        self.sentiment_words = {polarity: dict(section.get(polarity, {})) for polarity in ("positive", "negative")}
        self._sentiment_roles = dict(roles)
        # Only a term starting or ending in a Latin letter or digit can be part of a longer word.
        self._ascii_edged = frozenset(t for t in roles if _ASCII_ALNUM.match(t[0]) or _ASCII_ALNUM.match(t[-1]))
        self._sentiment_pattern = compile_terms(roles)

    # ------------------------------------------------------------------ scanning

    def scan(self, text: str) -> Scan:
        """Cues, category scores, severity and intent words of a normalised text."""
        scan = Scan()
        self._sentiment(scan, text)
        if self._pattern is not None:
            for match in self._pattern.finditer(text):
                self._take(scan, text, match)
        self._sarcasm(scan, text)
        self._combos(scan, text)
        self._intents(scan, text)
        return scan

    def _take(self, scan: Scan, text: str, match: re.Match[str]) -> None:
        term, start, end = match.group(), match.start(), match.end()
        if not _standalone(text, start, end):
            return
        roles = self._roles[term]
        if any(role.kind == "shadow" for role in roles):
            return
        if term not in self.negation_keep and self._negated(text, start):
            return
        boost = self._boost(text, start)
        praised: bool | None = None  # worked out once, when a topic cue asks
        for role in roles:
            if role.kind == "category" and role.weight <= TOPIC_WEIGHT:
                praised = _praised_after(scan, text, end) if praised is None else praised
                if praised:
                    continue
            if role.kind == "category":
                hit = Hit(term, start, end, role.target, round(role.weight * boost, 3), "lexicon")
                scan.hits.append(hit)
                category = Category(role.target)
                scan.scores[category] = scan.scores.get(category, 0.0) + hit.weight
            elif role.kind == "severity":
                severity = Severity(role.target)
                scan.severity_hits.append(Hit(term, start, end, severity.value, role.weight, "severity"))
                if severity.rank > scan.severity.rank:
                    scan.severity = severity

    def _clause_start(self, text: str, start: int, window: int) -> int:
        lo = max(0, start - window)
        last = _UP_TO_LAST_BREAK.match(text, lo, start)
        return last.end() if last else lo

    def _negated(self, text: str, start: int) -> bool:
        window_start = max(0, start - self.negation_window)
        if self._negation is None or self._negation.search(text, window_start, start) is None:
            return False  # the common case, decided by one search
        lo = self._clause_start(text, start, self.negation_window)
        before = text[lo:start]
        if self._negation_noise is not None:
            before = self._negation_noise.sub("_", before)
        return self._negation.search(before) is not None

    def _boost(self, text: str, start: int) -> float:
        window_start = max(0, start - self.intensity_window)
        if self._intensity is None or self._intensity.search(text, window_start, start) is None:
            return 1.0
        lo = self._clause_start(text, start, self.intensity_window)
        factors = [self.intensity[m.group()] for m in self._intensity.finditer(text, lo, start)]
        return max(factors, default=1.0)

    def _sarcasm(self, scan: Scan, text: str) -> None:
        if self._sarcasm_pattern is None:
            return
        seen: set[str] = set()
        for match in self._sarcasm_pattern.finditer(text):
            quoted = match.group()
            if quoted in seen:  # each quoted form counts once
                continue
            seen.add(quoted)
            category = self._sarcasm_targets[quoted]
            hit = Hit(quoted, match.start(), match.end(), category.value, 3.0, "sarcasm")
            scan.hits.append(hit)
            scan.scores[category] = scan.scores.get(category, 0.0) + hit.weight

    def _combos(self, scan: Scan, text: str) -> None:
        for combo in self.combos:
            terms = combo.matched(text)
            if terms is None:
                continue
            joined = "+".join(terms)
            at = text.find(terms[0])
            scan.severity_hits.append(Hit(joined, at, at + len(terms[0]), combo.severity.value, 1.0, "combo"))
            if combo.severity.rank > scan.severity.rank:
                scan.severity = combo.severity

    def _intents(self, scan: Scan, text: str) -> None:
        if self._intent_pattern is None:
            return
        for match in self._intent_pattern.finditer(text):
            term, start, end = match.group(), match.start(), match.end()
            if not _standalone(text, start, end):
                continue
            for intent in self._intent_roles[term]:
                if intent is Intent.PRAISE and self._negated(text, start):
                    continue
                scan.intents.setdefault(intent, []).append(Hit(term, start, end, intent.value, 1.0, "intent"))

    def _sentiment(self, scan: Scan, text: str) -> None:
        """Positive and negative evaluation, weighted by negation, intensity and contrast."""
        if self._sentiment_pattern is None:
            return
        found: list[tuple[str, str, int, int, float]] = []
        contrast_end = -1
        for match in self._sentiment_pattern.finditer(text):
            term, start, end = match.group(), match.start(), match.end()
            if term in self._ascii_edged and not _standalone(text, start, end):
                continue
            for kind, weight in self._sentiment_roles[term]:
                if kind == "contrast":
                    contrast_end = end
                else:
                    found.append((kind, term, start, end, weight))
        for kind, term, start, end, weight in found:
            after = contrast_end >= 0 and start >= contrast_end
            if kind == "hedge" and not after:
                continue  # 有点 counts only as the point after a contrast: 不错，就是有点咸
            polarity = "negative" if kind == "hedge" else kind
            if kind != "hedge" and term not in self.negation_keep and self._negated(text, start):
                if polarity == "negative":
                    continue  # 不慢, 没失望: no complaint, but no praise either
                polarity = "negative"  # 不好吃, 不是很满意
            focus = CONTRAST_FOCUS if after else CONTRAST_BACKGROUND if contrast_end >= 0 else 1.0
            value = round(weight * focus * self._boost(text, start), 3)
            scan.sentiment.append(Hit(term, start, end, polarity, value, "sentiment"))
            if polarity == "positive":
                scan.positive += value
            else:
                scan.negative += value


def _praised_after(scan: Scan, text: str, end: int) -> bool:
    """True when praise follows position `end` in its clause and nothing negative is said there."""
    found = _CLAUSE_BREAK.search(text, end)
    clause_end = found.start() if found else len(text)
    in_clause = [hit for hit in scan.sentiment if end <= hit.start < clause_end]
    return any(h.target == "positive" for h in in_clause) and not any(h.target == "negative" for h in in_clause)


def _standalone(text: str, start: int, end: int) -> bool:
    """False when an English word or a number is only part of a longer one (hi in this)."""
    if _ASCII_ALNUM.match(text[start]) and start > 0 and _ASCII_ALNUM.match(text[start - 1]):
        return False
    return not (_ASCII_ALNUM.match(text[end - 1]) and end < len(text) and _ASCII_ALNUM.match(text[end]))


def default_lexicon_path() -> Path:
    """The lexicon shipped in the package."""
    return Path(str(resources.files("classifier") / "resources" / "lexicon.toml"))
