"""Training and evaluating the trained layer from a labelled ledger (the CLI's back end).

`train()` reads CSV/TSV/XLSX/JSONL with any label set, shows progress through a
callback and writes a model directory that `load_classifier(model_dir=...)` (the
service's `TOUSU_CLASSIFIER_MODEL`) uses. `evaluate()` scores a model on a labelled file.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from classifier import messages as _messages  # noqa: F401 - registers the catalogue entries
from classifier.labels import taxonomy_map, unnamed
from classifier.ledger import Ledger, read_ledger
from classifier.normalize import normalize
from intake.errors import InvalidInput
from intake.messages import entry, text
from intake.records import Category, Severity

Progress = Callable[[int, int, float], None]
SHIPPED_CORPUS = "corpus.jsonl"


@dataclass(slots=True)
class TrainReport:
    """What `train` did."""

    out_dir: Path
    examples: int
    skipped: int
    labels: dict[str, int]
    severity: bool
    seconds: float
    epochs: int = 0
    dev_examples: int = 0
    dev_macro_f1: float | None = None
    # Category labels that name no tousu category (the service counts them as `other`).
    unnamed_labels: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ClassScore:
    """Precision, recall and F1 of one label."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class EvalReport:
    """Accuracy, macro-F1, per-label scores and the confusion matrix (rows: truth)."""

    examples: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScore]
    labels: list[str]
    confusion: list[list[int]]
    unknown_labels: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "examples": self.examples,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {
                k: {
                    "precision": round(v.precision, 4),
                    "recall": round(v.recall, 4),
                    "f1": round(v.f1, 4),
                    "support": v.support,
                }
                for k, v in self.per_class.items()
            },
            "labels": self.labels,
            "confusion": self.confusion,
            "unknown_labels": self.unknown_labels,
        }

    def format(self, locale: str | None = None) -> str:
        """A plain-text report for a terminal, in `locale` (default Chinese)."""

        def say(key: str, **values: object) -> str:
            return text(f"classifier.eval.{key}", locale, **values)

        width = max([display_width(label) for label in self.labels] + [display_width(say("label")), 8])
        names = [say(key) for key in ("precision", "recall", "f1", "support")]
        spans = [max(display_width(name), 9) for name in names]
        summary = [(say("examples"), str(self.examples)), (say("accuracy"), f"{self.accuracy:.4f}")]
        summary.append((say("macro_f1"), f"{self.macro_f1:.4f}"))
        head = max(display_width(name) for name, _ in summary)
        lines = [f"{pad(name, head)}  {value}" for name, value in summary]
        lines += [
            "",
            "  ".join([pad(say("label"), width)] + [pad(n, s, right=True) for n, s in zip(names, spans, strict=True)]),
        ]
        for label, score in self.per_class.items():
            cells = [f"{score.precision:.4f}", f"{score.recall:.4f}", f"{score.f1:.4f}", str(score.support)]
            lines.append("  ".join([pad(label, width)] + [c.rjust(s) for c, s in zip(cells, spans, strict=True)]))
        lines += ["", say("confusion")]
        index = [str(i) for i in range(len(self.labels))]
        lines.append(" " * (width + 4) + " ".join(f"{i:>5}" for i in index))
        for i, row in enumerate(self.confusion):
            lines.append(f"{i:>2} {pad(self.labels[i], width)} " + " ".join(f"{n:>5}" for n in row))
        if self.unknown_labels:
            lines += ["", say("unknown_labels", labels=", ".join(self.unknown_labels))]
        return "\n".join(lines)


def display_width(value: str) -> int:
    """Terminal columns of `value`: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in value)


def pad(value: str, width: int, *, right: bool = False) -> str:
    """`value` padded with spaces to `width` terminal columns (left-aligned unless `right`)."""
    space = " " * max(0, width - display_width(value))
    return space + value if right else value + space


def train(
    data_path: Path,
    out_dir: Path,
    text_column: str | None = None,
    label_column: str | None = None,
    progress: Progress | None = None,
    *,
    severity_column: str | None = None,
    epochs: int | None = None,
    seed: int = 42,
    hash_length: int | None = None,
    label_map: Mapping[str, str] | None = None,
) -> TrainReport:
    """Train a model from a labelled file and write it to `out_dir`.

    When every label has enough examples, a stratified tenth is held out to find the
    number of epochs (early stopping on its macro-F1, `epochs` at most), then the model
    is trained on all rows. `hash_length` fixes the rows of the weight table (the
    shipped model uses 2**15 to stay small); by default it is sized from the data.

    `label_map` (label -> category code) says what a label of the company's own means to
    the service; labels that name a category (守时, punctuality) need none, and the rest
    count as `other` (see `classifier.labels`). The map is stored with the model.

    Raises `intake.errors.InvalidInput` for an unusable file (with the reason).
    """
    from classifier import spacy_model

    started = time.perf_counter()
    ledger = read_ledger(Path(data_path), text_column, label_column, severity_column)
    settings = spacy_model.TrainingSettings(seed=seed)
    if epochs:
        settings = replace(settings, epochs=epochs)
    if hash_length:
        settings = replace(settings, hash_length=hash_length)
    category_map, severity_map = _taxonomy(ledger, label_map)
    data = spacy_model.TrainingData([normalize(t) for t in ledger.texts], ledger.labels, ledger.severities)
    nlp, found = spacy_model.train_with_early_stopping(data, settings, progress)
    meta = {
        "tousu_model": 1,
        "source": Path(data_path).name,
        "source_digest": file_digest(Path(data_path)),
        "examples": len(ledger.texts),
        "labels": ledger.counts,
        "severity": ledger.severities is not None,
        "category_map": category_map,
        "severity_map": severity_map,
        "settings": {
            "architecture": settings.architecture,
            "max_epochs": settings.epochs,
            "epochs": found["epochs"],
            "dev_examples": found["dev_examples"],
            "dev_macro_f1": found.get("dev_macro_f1"),
            "ngram_size": settings.ngram_size,
            "char_ngram_size": settings.char_ngram_size,
            "seed": seed,
            "hash_length": nlp.meta.get("tousu_hash_length"),
        },
    }
    spacy_model.save(nlp, Path(out_dir), meta)
    return TrainReport(
        Path(out_dir),
        len(ledger.texts),
        ledger.skipped,
        ledger.counts,
        ledger.severities is not None,
        time.perf_counter() - started,
        int(found["epochs"]),
        int(found["dev_examples"]),
        found.get("dev_macro_f1"),
        unnamed(ledger.counts, Category, label_map),
    )


def _taxonomy(
    ledger: Ledger, label_map: Mapping[str, str] | None
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """What the ledger's category and severity labels mean to the service."""
    unknown = sorted(set(label_map or {}) - set(ledger.counts))
    if unknown:
        raise InvalidInput(entry("classifier.labels.not_in_file", labels=", ".join(unknown)))
    bad = sorted({code for code in (label_map or {}).values() if code not in Category._value2member_map_})
    if bad:
        codes = ", ".join(category.value for category in Category)
        raise InvalidInput(entry("classifier.labels.bad_code", codes=", ".join(bad), allowed=codes))
    categories = taxonomy_map(ledger.counts, Category, label_map)
    severities = taxonomy_map(sorted(set(ledger.severities)), Severity) if ledger.severities else {}
    return categories, severities


def evaluate(
    data_path: Path,
    model_dir: Path | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
) -> EvalReport:
    """Score the trained model of `model_dir` (the shipped one when None) on a labelled file."""
    from classifier.model import load_model

    ledger = read_ledger(Path(data_path), text_column, label_column, min_classes=1)
    model = load_model(model_dir)
    predicted = []
    for output in model.predict([normalize(t) for t in ledger.texts]):
        predicted.append(max(output.categories, key=output.categories.__getitem__) if output.categories else "")
    report = score(ledger.labels, predicted)
    known = set(model.category_labels())
    report.unknown_labels = sorted(set(ledger.labels) - known)
    return report


def score(truth: Sequence[str], predicted: Sequence[str]) -> EvalReport:
    """Accuracy, macro-F1 (over the true labels), per-label scores and the confusion matrix."""
    labels = sorted(set(truth) | set(predicted))
    index = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for gold, guess in zip(truth, predicted, strict=True):
        confusion[index[gold]][index[guess]] += 1
    per_class = {}
    for label in sorted(set(truth)):
        i = index[label]
        tp = confusion[i][i]
        predicted_count = sum(row[i] for row in confusion)
        support = sum(confusion[i])
        precision = tp / predicted_count if predicted_count else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassScore(precision, recall, f1, support)
    correct = sum(confusion[i][i] for i in range(len(labels)))
    macro = sum(s.f1 for s in per_class.values()) / len(per_class) if per_class else 0.0
    return EvalReport(len(truth), correct / len(truth) if truth else 0.0, macro, per_class, labels, confusion)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (recorded in a model's metadata)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_corpus_path() -> Path:
    """The labelled corpus shipped in the package, from which the shipped model is built."""
    return Path(str(resources.files("classifier") / "resources" / SHIPPED_CORPUS))
