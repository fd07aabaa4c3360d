"""The trained layer: spaCy's blank `zh` pipeline tokenised by tousu's segmenter, with
text categorizers for the category and, when the data has it, the severity.

A model directory is a spaCy pipeline saved with `nlp.to_disk` plus `tousu-model.json`
(labels, corpus digest, scores). The tokenizer is registered under
``tousu.segmenter.v1`` so the saved config loads back with the same segmentation.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import get_words_and_spaces
from spacy.vocab import Vocab

from classifier.layered import ModelOutput
from classifier.segmenter import Segmenter
from intake.errors import ConfigError

META_FILE = "tousu-model.json"
CATEGORY_PIPE = "textcat"
SEVERITY_PIPE = "textcat_severity"
_SEGMENTERS: dict[str, Segmenter] = {}


def shared_segmenter() -> Segmenter:
    """One segmenter per process for every pipeline (its dictionary loads once)."""
    if "default" not in _SEGMENTERS:
        _SEGMENTERS["default"] = Segmenter()
    return _SEGMENTERS["default"]


def use_segmenter(segmenter: Segmenter) -> None:
    """Make the pipelines built or loaded from now on use `segmenter`."""
    _SEGMENTERS["default"] = segmenter


class SegmenterTokenizer:
    """A spaCy tokenizer that cuts with `classifier.segmenter.Segmenter`."""

    def __init__(self, vocab: Vocab, segmenter: Segmenter) -> None:
        self.vocab = vocab
        self.segmenter = segmenter

    def __call__(self, text: str) -> Doc:
        words, spaces = get_words_and_spaces(self.segmenter.cut(text), text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # The dictionary ships with the package, so there is nothing to serialise.
    def to_disk(self, path: Path, **kwargs: Any) -> None:
        """Nothing to write."""

    def from_disk(self, path: Path, **kwargs: Any) -> SegmenterTokenizer:
        """Nothing to read."""
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        """Nothing to write."""
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> SegmenterTokenizer:
        """Nothing to read."""
        return self


@spacy.registry.tokenizers("tousu.segmenter.v1")
def create_segmenter_tokenizer() -> Callable[[Language], SegmenterTokenizer]:
    """The factory spaCy's config refers to."""

    def make(nlp: Language) -> SegmenterTokenizer:
        return SegmenterTokenizer(nlp.vocab, shared_segmenter())

    return make


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """Hyper-parameters of the text categorizers."""

    epochs: int = 20
    batch_size: int = 16
    dropout: float = 0.1
    learn_rate: float = 0.002
    ngram_size: int = 2
    hash_length: int = 2**15
    seed: int = 42


@dataclass(slots=True)
class TrainingData:
    """Texts with a category label and, optionally, a severity label each."""

    texts: list[str]
    labels: list[str]
    severities: list[str] | None = None
    label_set: list[str] = field(default_factory=list)


def blank_pipeline(data: TrainingData, settings: TrainingSettings) -> Language:
    """A blank `zh` pipeline with the segmenter and untrained categorizers."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tousu.segmenter.v1"}}})
    model = {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": True,
        "ngram_size": settings.ngram_size,
        "no_output_layer": False,
        "length": settings.hash_length,
    }
    textcat = nlp.add_pipe("textcat", name=CATEGORY_PIPE, config={"model": model})
    for label in sorted(set(data.labels)):
        textcat.add_label(label)  # type: ignore[attr-defined]
    if data.severities:
        severity = nlp.add_pipe("textcat", name=SEVERITY_PIPE, config={"model": model})
        for label in sorted(set(data.severities)):
            severity.add_label(label)  # type: ignore[attr-defined]
    return nlp


def train_pipeline(
    data: TrainingData,
    settings: TrainingSettings | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> Language:
    """Train the categorizers; `progress(epoch, epochs, loss)` is called after each epoch."""
    settings = settings or TrainingSettings()
    if len(set(data.labels)) < 2:
        raise ConfigError("training needs at least two different labels")
    random.seed(settings.seed)
    spacy.util.fix_random_seed(settings.seed)
    nlp = blank_pipeline(data, settings)
    docs = [nlp.make_doc(text) for text in data.texts]
    category_examples = _category_examples(docs, data.labels)
    severity_examples = _category_examples(docs, data.severities) if data.severities else []
    pipes = [(CATEGORY_PIPE, category_examples)] + ([(SEVERITY_PIPE, severity_examples)] if severity_examples else [])
    optimizer = nlp.initialize()
    optimizer.learn_rate = settings.learn_rate
    for name, examples in pipes:
        nlp.get_pipe(name).initialize(lambda examples=examples: examples, nlp=nlp)  # type: ignore[attr-defined, misc]
    order = list(range(len(docs)))
    for epoch in range(1, settings.epochs + 1):
        random.shuffle(order)
        loss = 0.0
        for start in range(0, len(order), settings.batch_size):
            batch = order[start : start + settings.batch_size]
            for name, examples in pipes:
                losses: dict[str, float] = {}
                nlp.get_pipe(name).update(  # type: ignore[attr-defined]
                    [examples[i] for i in batch], drop=settings.dropout, sgd=optimizer, losses=losses
                )
                loss += losses.get(name, 0.0)
        if progress is not None:
            progress(epoch, settings.epochs, loss)
    return nlp


def _category_examples(docs: Sequence[Doc], labels: Sequence[str]) -> list[Example]:
    label_set = sorted(set(labels))
    return [
        Example.from_dict(doc, {"cats": {label: float(label == gold) for label in label_set}})
        for doc, gold in zip(docs, labels, strict=True)
    ]


class SpacyTextModel:
    """`classifier.layered.TextModel` over a loaded pipeline."""

    def __init__(self, nlp: Language, meta: dict[str, Any]) -> None:
        self.nlp = nlp
        self.meta = meta
        self.has_severity = SEVERITY_PIPE in nlp.pipe_names

    def category_labels(self) -> tuple[str, ...]:
        """The labels of the category categorizer."""
        return tuple(self.nlp.get_pipe(CATEGORY_PIPE).labels)  # type: ignore[attr-defined]

    def predict(self, texts: Sequence[str]) -> list[ModelOutput]:
        """Category and severity probabilities for each text."""
        category_labels = self.nlp.get_pipe(CATEGORY_PIPE).labels  # type: ignore[attr-defined]
        severity_labels = self.nlp.get_pipe(SEVERITY_PIPE).labels if self.has_severity else ()  # type: ignore[attr-defined]
        outputs = []
        for doc in self.nlp.pipe(texts, batch_size=256):
            cats = doc.cats
            outputs.append(ModelOutput({k: cats[k] for k in category_labels}, {k: cats[k] for k in severity_labels}))
        return outputs


def save(nlp: Language, out_dir: Path, meta: dict[str, Any]) -> None:
    """Write the pipeline and its metadata to `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def load(model_dir: Path, segmenter: Segmenter | None = None) -> SpacyTextModel:
    """Load a model directory written by `save`; raises `ConfigError` when unusable."""
    if segmenter is not None:
        use_segmenter(segmenter)
    meta_path = model_dir / META_FILE
    if not meta_path.is_file():
        raise ConfigError(f"{model_dir} is not a tousu classifier model (no {META_FILE})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        nlp = spacy.load(model_dir)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the classifier model in {model_dir}: {exc}") from exc
    return SpacyTextModel(nlp, meta)


def iter_batches(items: Iterable[str], size: int) -> Iterable[list[str]]:
    """Chunks of `size` items."""
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
