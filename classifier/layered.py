"""The classifier tousu runs: lexicon, trained model and entities, combined explainably.

Category: the lexicon's share of evidence and the model's probabilities are mixed; the
more lexicon evidence a text carries, the more the lexicon counts (up to
`lexicon_share`). Severity: the highest of the lexicon triggers, the combo rules, the
model's severity and the category floor, so a safety complaint is never `normal`.
Intent: greetings, thanks, praise, progress questions and enquiries are told apart
from complaints, and a text with real complaint evidence is always a complaint. Without
such evidence the lexicon's sentiment decides: more negative than positive evaluation
(太慢了, 不过有点咸 after praise) is a complaint, positive evaluation is praise, and a
text with no cue at all stays a complaint (the safe default of a complaint desk).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from classifier.entities import COMPLAINT_NUMBER, extract
from classifier.lexicon import Lexicon, Scan
from classifier.normalize import normalize
from classifier.segmenter import Segmenter
from intake.records import Category, Classification, Cue, Entity, Intent, Severity

# Lexicon evidence from which a text counts as a complaint whatever else it says.
COMPLAINT_EVIDENCE = 2.0
# Probability from which the model's word on safety raises severity by itself.
MODEL_SAFETY_PROBABILITY = 0.5
MODEL_SEVERITY_PROBABILITY = 0.75
# Probability from which the model's category alone applies the category's severity floor.
MODEL_FLOOR_PROBABILITY = 0.5
_SHORT_SOCIAL = 12  # a greeting or a thanks longer than this is probably more


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """Probabilities of the trained model for one text."""

    categories: dict[str, float]
    severities: dict[str, float]


class TextModel(Protocol):
    """A trained text model over segmented text."""

    @property
    def category_map(self) -> Mapping[str, Category]:
        """The category each of the model's category labels counts for (`classifier.labels`)."""
        ...

    @property
    def severity_map(self) -> Mapping[str, Severity]:
        """The severity each of the model's severity labels counts for."""
        ...

    def predict(self, texts: Sequence[str]) -> list[ModelOutput]:
        """Category (and, when trained, severity) probabilities for normalised texts."""
        ...


class LayeredClassifier:
    """Implements `intake.ports.Classifier` with the lexicon, an optional model and entities."""

    def __init__(self, lexicon: Lexicon, segmenter: Segmenter, model: TextModel | None = None) -> None:
        self.lexicon = lexicon
        self.segmenter = segmenter
        self.model = model
        self._label_categories: Mapping[str, Category] = model.category_map if model is not None else {}
        self._label_severities: Mapping[str, Severity] = model.severity_map if model is not None else {}

    def replace_lexicon(self, lexicon: Lexicon) -> Lexicon:
        """Use `lexicon` from the next text on (the console's lexicon save); returns the old one.

        The lexicon is one attribute read once per batch, so a swap never mixes two lexicons
        within a text; the segmenter and the model are kept.
        """
        previous, self.lexicon = self.lexicon, lexicon
        return previous

    def classify(self, text: str) -> Classification:
        """Classify one text (see the module docstring for how the layers combine)."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        """Classify a batch; the model runs once over the batch, which is much faster."""
        originals = [text or "" for text in texts]
        normalized = [normalize(text) for text in originals]
        scans = [self.lexicon.scan(text) for text in normalized]
        outputs: list[ModelOutput | None] = [None] * len(originals)
        if self.model is not None:
            wanted = [i for i, text in enumerate(normalized) if text.strip()]
            for i, output in zip(wanted, self.model.predict([normalized[i] for i in wanted]), strict=True):
                outputs[i] = output
        return [
            self._decide(original, text, scan, output)
            for original, text, scan, output in zip(originals, normalized, scans, outputs, strict=True)
        ]

    # ------------------------------------------------------------------ decisions

    def _decide(self, original: str, text: str, scan: Scan, output: ModelOutput | None) -> Classification:
        entities = extract(original, text)
        if not _ALNUM.search(text):
            return Classification(Category.OTHER, Severity.NORMAL, 0.0, Intent.COMPLAINT, (), tuple(entities))
        intent = self._intent(text, scan)
        if intent in _SOCIAL:
            # 你好, 谢谢, praise: never a complaint, whatever the model makes of it.
            social = tuple(Cue("intent", h.term, h.target, h.weight) for h in scan.intents.get(intent, []))
            if intent is Intent.PRAISE:
                social += _sentiment_cues(scan, "positive")
            return Classification(Category.OTHER, Severity.NORMAL, 0.1, intent, social, tuple(entities))
        mass = self._model_categories(output)
        category, confidence, cues = self._category(scan, output, mass)
        if intent is not Intent.COMPLAINT:
            output, mass = None, {}  # the model's severity counts only for a complaint
        severity, severity_cues = self._severity(category, scan, output, mass)
        if intent is Intent.COMPLAINT and scan.negative > 0:
            cues += _sentiment_cues(scan, "negative")
        if intent is not Intent.COMPLAINT:
            confidence = min(confidence, 0.3)
            cues += [Cue("intent", h.term, h.target, h.weight) for h in scan.intents.get(intent, [])]
        problems = [
            Entity("problem", original[h.start : h.end], h.start, h.end, h.target)
            for h in scan.hits
            if h.target == category.value
        ]
        return Classification(
            category=category,
            severity=severity,
            confidence=round(confidence, 4),
            intent=intent,
            cues=tuple(cues + severity_cues),
            entities=tuple(sorted(entities + problems, key=lambda e: e.start)),
        )

    def _category(
        self, scan: Scan, output: ModelOutput | None, model_mass: dict[Category, float]
    ) -> tuple[Category, float, list[Cue]]:
        mixed: dict[Category, float] = {}
        evidence = scan.evidence
        lexicon_weight = min(1.0, evidence / self.lexicon.saturation) if evidence else 0.0
        if model_mass:
            lexicon_weight *= self.lexicon.lexicon_share
            model_weight = 1 - lexicon_weight
            for category, probability in model_mass.items():
                mixed[category] = mixed.get(category, 0.0) + model_weight * probability
        for category, score in scan.scores.items():
            mixed[category] = mixed.get(category, 0.0) + lexicon_weight * score / evidence
        if not mixed or max(mixed.values()) <= 0:
            return Category.OTHER, 0.1, []
        category = max(mixed, key=lambda c: (mixed[c], -_ORDER[c]))
        if output is None:
            confidence = _lexicon_confidence(scan, category, lexicon_weight)
        else:
            confidence = mixed[category] / (sum(mixed.values()) or 1.0)
        cues = [Cue(h.layer, h.term, h.target, h.weight) for h in scan.hits if h.target == category.value]
        if output is not None:
            cues.append(
                Cue("model", self._top_label(output, category), category.value, round(model_mass.get(category, 0.0), 4))
            )
        return category, confidence, cues

    def _model_categories(self, output: ModelOutput | None) -> dict[Category, float]:
        """The model's probabilities summed per category its labels count for."""
        mass: dict[Category, float] = {}
        if output is not None:
            for label, probability in output.categories.items():
                category = self._label_categories.get(label)
                if category is not None:
                    mass[category] = mass.get(category, 0.0) + probability
        return mass

    def _top_label(self, output: ModelOutput, category: Category) -> str:
        """The model's own label behind `category` (the company's word for it), for the cue."""
        labels = [label for label, mapped in self._label_categories.items() if mapped is category]
        return max(labels, key=lambda label: output.categories.get(label, 0.0), default=category.value)

    def _severity(
        self, category: Category, scan: Scan, output: ModelOutput | None, model_mass: dict[Category, float]
    ) -> tuple[Severity, list[Cue]]:
        severity = scan.severity
        cues = [Cue(h.layer, h.term, h.target, h.weight) for h in scan.severity_hits]
        floor = self.lexicon.floors.get(category)
        supported = category in scan.scores or model_mass.get(category, 0.0) >= MODEL_FLOOR_PROBABILITY
        if floor is not None and supported and floor.rank > severity.rank:
            severity = floor
            cues.append(Cue("floor", category.value, floor.value, 1.0))
        if output is not None:
            safety = model_mass.get(Category.SAFETY, 0.0)
            if safety >= MODEL_SAFETY_PROBABILITY and severity is not Severity.CRITICAL:
                severity = Severity.CRITICAL
                cues.append(Cue("model", Category.SAFETY.value, Severity.CRITICAL.value, round(safety, 4)))
            for label, probability in output.severities.items():
                level = self._label_severities.get(label)
                if level is not None and probability >= MODEL_SEVERITY_PROBABILITY and level.rank > severity.rank:
                    severity = level
                    cues.append(Cue("model", label, level.value, round(probability, 4)))
        return severity, cues

    def _intent(self, text: str, scan: Scan) -> Intent:
        intents = scan.intents
        complaint = scan.evidence >= COMPLAINT_EVIDENCE or scan.severity is not Severity.NORMAL
        if complaint:
            return Intent.COMPLAINT
        if Intent.PROGRESS in intents or COMPLAINT_NUMBER.search(text):
            return Intent.PROGRESS
        if scan.negative > scan.positive:
            return Intent.COMPLAINT  # 太慢了, 挺好的，就是有点咸: unhappy, even without a category cue
        if Intent.PRAISE in intents:
            return Intent.PRAISE
        weak = scan.evidence < COMPLAINT_EVIDENCE / 2
        if Intent.THANKS in intents and (len(text) <= _SHORT_SOCIAL or weak):
            return Intent.THANKS
        if Intent.GREETING in intents and (len(text) <= _SHORT_SOCIAL or weak):
            return Intent.GREETING
        if scan.positive > 0:
            return Intent.PRAISE
        if Intent.ENQUIRY in intents:
            return Intent.ENQUIRY
        return Intent.COMPLAINT


_ORDER = {category: index for index, category in enumerate(Category)}
_ALNUM = re.compile(r"[^\W_]")  # what str.isalnum accepts: a text without one says nothing
_SOCIAL = (Intent.GREETING, Intent.THANKS, Intent.PRAISE)


def _sentiment_cues(scan: Scan, polarity: str) -> tuple[Cue, ...]:
    return tuple(Cue(h.layer, h.term, h.target, h.weight) for h in scan.sentiment if h.target == polarity)


def _lexicon_confidence(scan: Scan, category: Category, saturation_weight: float) -> float:
    share = scan.scores.get(category, 0.0) / (scan.evidence or 1.0)
    return 0.2 + 0.75 * share * saturation_weight
