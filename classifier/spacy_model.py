"""The trained layer: spaCy's blank `zh` pipeline tokenised by tousu's segmenter, with
text categorizers for the category and, when the data has it, the severity.

A model directory is a spaCy pipeline saved with `nlp.to_disk` plus `tousu-model.json`
(labels, corpus digest, scores). The tokenizer is registered under
``tousu.segmenter.v1`` so the saved config loads back with the same segmentation.

The categorizers' model is ``tousu.TextCatWordCharBOW.v1`` by default: a bag of the
segmenter's words and of character 1–2-grams (sub-linear counts, unit length) into one
hashed sparse linear layer. Characters catch what segmentation splits differently; on the
COCC ledger it scores 0.873 macro-F1 where spaCy's word-only `TextCatBOW` scored 0.844
(benchmarks/RESULTS.md). Training holds out a stratified tenth to choose the number of
epochs, then refits on everything. Prediction feeds `LightDoc`s (text and words) to the
categorizers' models, which skips building a spaCy `Doc` per text; the scores are those
of `nlp.pipe` (tested).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy
import spacy
from spacy.language import Language
from spacy.strings import hash_string  # type: ignore[attr-defined]
from spacy.tokens import Doc
from spacy.training import Example
from spacy.vocab import Vocab
from thinc.api import Model, NumpyOps, SparseLinear_v2, chain, softmax_activation, with_cpu

from classifier.labels import as_categories, as_severities, taxonomy_map
from classifier.layered import ModelOutput
from classifier.segmenter import Segmenter
from intake.errors import ConfigError
from intake.records import Category, Severity

META_FILE = "tousu-model.json"
CATEGORY_PIPE = "textcat"
SEVERITY_PIPE = "textcat_severity"
_SEGMENTERS: dict[str, Segmenter] = {}
TEXT_KEY = "tousu.text"
FEATURES_KEY = "tousu.ngrams"
WORDS_KEY = "tousu.words"
LIGHT_DOCS = "tousu_light_docs"  # a model attribute: the model reads `LightDoc`s too


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
        # Every token is a word, white space included (the segmenter's tokens join back to
        # the text), so the fast path of `SpacyTextModel` sees the very same words.
        words = self.segmenter.cut(text)
        return Doc(self.vocab, words=words, spaces=[False] * len(words), user_data=light_user_data(text, words))

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


# Keys of character n-grams are salted so that they never meet a word's ORTH hash.
_CHAR_SALT = numpy.uint64(0x9E3779B97F4A7C15)
_NGRAM_OPS = NumpyOps()


def light_user_data(text: str, words: list[str]) -> dict[Any, Any]:
    """What the word/character n-gram features read: the text and its words."""
    return {TEXT_KEY: text, WORDS_KEY: words}


class LightDoc:
    """What `tousu.TextCatWordCharBOW.v1` reads of a doc, without building one.

    A spaCy `Doc` costs a lexeme look-up (or creation) and a token struct per word; the
    word/character n-gram model needs only the text and its words. `SpacyTextModel`
    feeds these to the categorizers' models directly when every categorizer uses that
    architecture; the scores are the same as through `nlp.pipe` (tested).
    """

    __slots__ = ("user_data",)

    def __init__(self, text: str, words: list[str]) -> None:
        self.user_data = light_user_data(text, words)


def _doc_words(doc: Doc | LightDoc) -> tuple[str, list[str]]:
    data = doc.user_data
    if TEXT_KEY in data and WORDS_KEY in data:
        return data[TEXT_KEY], data[WORDS_KEY]
    assert isinstance(doc, Doc)
    return doc.text, [token.text for token in doc]


def _grams(keys: Any, owner: Any, size: int) -> tuple[list[Any], list[Any]]:
    """The 1..size-grams of a batch's concatenated keys, minus those across two docs."""
    out_keys, out_owner = [keys], [owner]
    for n in range(2, size + 1):
        if len(keys) < n:
            break
        same = owner[: len(owner) - n + 1] == owner[n - 1 :]
        out_keys.append(_NGRAM_OPS.ngrams(n, keys)[same])
        out_owner.append(owner[: len(owner) - n + 1][same])
    return out_keys, out_owner


def word_char_features(
    docs: Sequence[Doc | LightDoc], word_ngram_size: int, char_ngram_size: int
) -> list[tuple[Any, Any]]:
    """Per doc: its distinct feature keys (word and character n-grams) and their weights.

    The weights are sub-linear counts (a word said five times is not five times the
    evidence) scaled to unit length (long and short texts weigh alike). The whole batch
    is hashed, sorted and counted at once; each doc keeps its result, so the category
    and severity categorizers (and every training epoch) compute it once.
    """
    cache_key = f"{FEATURES_KEY}:{word_ngram_size}:{char_ngram_size}"
    todo = [doc for doc in docs if cache_key not in doc.user_data]
    if todo:
        pairs = [_doc_words(doc) for doc in todo]
        index = numpy.arange(len(todo))
        word_lengths = [len(words) for _, words in pairs]
        all_words = [word for _, words in pairs for word in words]
        word_keys = numpy.fromiter(map(hash_string, all_words), dtype=numpy.uint64, count=len(all_words))
        keys, owners = _grams(word_keys, numpy.repeat(index, word_lengths), word_ngram_size)
        if char_ngram_size:
            joined = "".join(text for text, _ in pairs)
            chars = numpy.frombuffer(joined.encode("utf-32-le"), dtype=numpy.uint32).astype(numpy.uint64)
            char_owner = numpy.repeat(index, [len(text) for text, _ in pairs])
            more_keys, more_owners = _grams(chars ^ _CHAR_SALT, char_owner, char_ngram_size)
            keys, owners = keys + more_keys, owners + more_owners
        all_keys, all_owners = numpy.concatenate(keys), numpy.concatenate(owners)
        order = numpy.lexsort((all_keys, all_owners))
        all_keys, all_owners = all_keys[order], all_owners[order]
        new = numpy.ones(len(all_keys), dtype=bool)
        new[1:] = (all_keys[1:] != all_keys[:-1]) | (all_owners[1:] != all_owners[:-1])
        starts = numpy.flatnonzero(new)
        counts = numpy.diff(numpy.append(starts, len(all_keys)))
        unique_keys, unique_owners = all_keys[starts], all_owners[starts]
        weights = (1.0 + numpy.log(counts)).astype("f")
        norms = numpy.sqrt(numpy.bincount(unique_owners, weights=weights * weights, minlength=len(todo)))
        weights = (weights / numpy.maximum(norms[unique_owners], 1e-12)).astype("f")
        bounds = numpy.searchsorted(unique_owners, numpy.arange(len(todo) + 1))
        for i, doc in enumerate(todo):
            doc.user_data[cache_key] = (unique_keys[bounds[i] : bounds[i + 1]], weights[bounds[i] : bounds[i + 1]])
    return [doc.user_data[cache_key] for doc in docs]


def _word_char_ngrams_forward(model: Model, docs: Sequence[Doc], is_train: bool) -> tuple[Any, Callable[..., Any]]:
    features = word_char_features(docs, model.attrs["word_ngram_size"], model.attrs["char_ngram_size"])
    lengths = model.ops.asarray([len(keys) for keys, _ in features], dtype="int32")
    if not features:
        empty = (numpy.zeros(0, dtype=numpy.uint64), numpy.zeros(0, dtype="f"), lengths)
        return empty, lambda d_output: []
    keys = numpy.concatenate([keys for keys, _ in features])
    values = numpy.concatenate([values for _, values in features])
    return (keys, values, lengths), lambda d_output: []


@spacy.registry.architectures("tousu.TextCatWordCharBOW.v1")
def build_word_char_bow(
    exclusive_classes: bool,
    word_ngram_size: int,
    char_ngram_size: int,
    length: int = 2**18,
    nO: int | None = None,
) -> Model:
    """A bag of word n-grams and character n-grams into one sparse linear layer.

    spaCy's `TextCatBOW` over the segmenter's words, plus character n-grams of the text,
    which catch what segmentation splits differently (product names, typos, codes).
    """
    length = 2 ** (length - 1).bit_length()
    sparse = SparseLinear_v2(nO=nO, length=length)
    extract: Model = Model(
        "extract_word_char_ngrams",
        _word_char_ngrams_forward,
        attrs={"word_ngram_size": word_ngram_size, "char_ngram_size": char_ngram_size},
    )
    model = with_cpu(chain(extract, sparse), sparse.ops)
    if exclusive_classes:
        model = chain(model, with_cpu(softmax_activation(), sparse.ops))
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs[LIGHT_DOCS] = True
    return model


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """Hyper-parameters of the text categorizers."""

    epochs: int = 30
    batch_size: int = 64
    dropout: float = 0.1
    learn_rate: float = 0.005
    ngram_size: int = 1
    # Rows of the hashed weight table; 0 sizes it from the training data.
    hash_length: int = 0
    seed: int = 42
    # "bow": spaCy's TextCatBOW over words; "wordchar": words and character n-grams;
    # "ensemble": spaCy's TextCatEnsemble (the linear model plus a CNN over the words).
    architecture: str = "wordchar"
    char_ngram_size: int = 2
    cnn_width: int = 64
    patience: int = 5
    dev_fraction: float = 0.1
    min_dev_examples: int = 5


@dataclass(slots=True)
class TrainingData:
    """Texts with a category label and, optionally, a severity label each."""

    texts: list[str]
    labels: list[str]
    severities: list[str] | None = None
    label_set: list[str] = field(default_factory=list)


def blank_pipeline(data: TrainingData, settings: TrainingSettings, nlp: Language | None = None) -> Language:
    """A blank `zh` pipeline with the segmenter and untrained categorizers."""
    nlp = nlp or spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tousu.segmenter.v1"}}})
    model = _model_config(settings)
    textcat = nlp.add_pipe("textcat", name=CATEGORY_PIPE, config={"model": model})
    for label in sorted(set(data.labels)):
        textcat.add_label(label)  # type: ignore[attr-defined]
    if data.severities:
        severity = nlp.add_pipe("textcat", name=SEVERITY_PIPE, config={"model": model})
        for label in sorted(set(data.severities)):
            severity.add_label(label)  # type: ignore[attr-defined]
    return nlp


def auto_hash_length(docs: Sequence[Doc], settings: TrainingSettings) -> int:
    """Rows for the hashed weights: twice the distinct features of the data, 2**12 to 2**20."""
    keys = [keys for keys, _ in word_char_features(docs, settings.ngram_size, settings.char_ngram_size)]
    distinct = len(numpy.unique(numpy.concatenate(keys))) if keys else 0
    return int(min(2**20, max(2**12, 2 ** (2 * distinct - 1).bit_length())))


def _model_config(settings: TrainingSettings) -> dict[str, Any]:
    linear: dict[str, Any]
    if settings.architecture == "bow" or not settings.char_ngram_size:
        linear = {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": True,
            "ngram_size": settings.ngram_size,
            "no_output_layer": False,
            "length": settings.hash_length,
        }
    else:
        linear = {
            "@architectures": "tousu.TextCatWordCharBOW.v1",
            "exclusive_classes": True,
            "word_ngram_size": settings.ngram_size,
            "char_ngram_size": settings.char_ngram_size,
            "length": settings.hash_length,
        }
    if settings.architecture != "ensemble":
        return linear
    width = settings.cnn_width
    return {
        "@architectures": "spacy.TextCatEnsemble.v2",
        "linear_model": linear,
        "tok2vec": {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": width,
                "attrs": ["ORTH", "PREFIX", "SUFFIX"],
                "rows": [5000, 1000, 1000],
                "include_static_vectors": False,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": width,
                "window_size": 1,
                "maxout_pieces": 3,
                "depth": 2,
            },
        },
    }


def train_pipeline(
    data: TrainingData,
    settings: TrainingSettings | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    watch: Callable[[Language], float] | None = None,
) -> Language:
    """Train the categorizers; `progress(epoch, epochs, loss)` is called after each epoch.

    With `watch` (a score of the pipeline on held-out data, higher is better), the
    weights of the best epoch are kept, and training stops after `settings.patience`
    epochs without improvement.
    """
    settings = settings or TrainingSettings()
    if len(set(data.labels)) < 2:
        raise ConfigError("training needs at least two different labels")
    random.seed(settings.seed)
    spacy.util.fix_random_seed(settings.seed)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tousu.segmenter.v1"}}})
    docs = [nlp.make_doc(text) for text in data.texts]
    if settings.hash_length <= 0:
        settings = replace(settings, hash_length=auto_hash_length(docs, settings))
    nlp = blank_pipeline(data, settings, nlp)
    nlp.meta["tousu_hash_length"] = settings.hash_length
    category_examples = _category_examples(docs, data.labels)
    severity_examples = _category_examples(docs, data.severities) if data.severities else []
    pipes = [(CATEGORY_PIPE, category_examples)] + ([(SEVERITY_PIPE, severity_examples)] if severity_examples else [])
    optimizer = nlp.initialize()
    optimizer.learn_rate = settings.learn_rate
    for name, examples in pipes:
        nlp.get_pipe(name).initialize(lambda examples=examples: examples, nlp=nlp)  # type: ignore[attr-defined, misc]
    order = list(range(len(docs)))
    best: tuple[float, int, dict[str, bytes]] | None = None
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
        if watch is not None:
            score = watch(nlp)
            if best is None or score > best[0]:
                weights = {name: nlp.get_pipe(name).to_bytes() for name, _ in pipes}  # type: ignore[attr-defined]
                best = (score, epoch, weights)
            elif epoch - best[1] >= settings.patience:
                break
    if best is not None:
        for name, kept in best[2].items():
            nlp.get_pipe(name).from_bytes(kept)  # type: ignore[attr-defined]
        nlp.meta["tousu_best_epoch"] = best[1]
        nlp.meta["tousu_dev_score"] = best[0]
    return nlp


def train_with_early_stopping(
    data: TrainingData,
    settings: TrainingSettings | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> tuple[Language, dict[str, Any]]:
    """Find the number of epochs on a stratified dev split, then train on everything.

    A share `settings.dev_fraction` of each label is held out (when every label has at
    least `settings.min_dev_examples / dev_fraction` examples; otherwise training runs
    the fixed `settings.epochs`). Training stops when the dev macro-F1 has not improved
    for `settings.patience` epochs; the model is then trained afresh on all the data
    for the best number of epochs. Returns the pipeline and what was found.
    """
    settings = settings or TrainingSettings()
    train_idx, dev_idx = stratified_split(data.labels, settings.dev_fraction, settings.seed, settings.min_dev_examples)
    if not dev_idx:
        return train_pipeline(data, settings, progress), {"epochs": settings.epochs, "dev_examples": 0}
    part = TrainingData(
        [data.texts[i] for i in train_idx],
        [data.labels[i] for i in train_idx],
        [data.severities[i] for i in train_idx] if data.severities else None,
    )
    dev_texts, dev_labels = [data.texts[i] for i in dev_idx], [data.labels[i] for i in dev_idx]

    def watch(nlp: Language) -> float:
        labels = nlp.get_pipe(CATEGORY_PIPE).labels  # type: ignore[attr-defined]
        guesses = [max(labels, key=doc.cats.__getitem__) for doc in nlp.pipe(dev_texts, batch_size=256)]
        return macro_f1(dev_labels, guesses)

    def first_stage(epoch: int, epochs: int, loss: float) -> None:
        if progress is not None:
            progress(epoch, epochs, loss)

    probe = train_pipeline(part, settings, first_stage, watch)
    best_epoch = int(probe.meta.get("tousu_best_epoch", settings.epochs))
    found = {
        "epochs": best_epoch,
        "dev_examples": len(dev_idx),
        "dev_macro_f1": round(float(probe.meta.get("tousu_dev_score", 0.0)), 4),
    }
    final = replace(settings, epochs=best_epoch)
    return train_pipeline(data, final, progress), found


def stratified_split(
    labels: Sequence[str], fraction: float, seed: int, min_per_label: int
) -> tuple[list[int], list[int]]:
    """Indices of a stratified (train, dev) split; dev is empty when a label is too rare."""
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    if fraction <= 0 or any(round(len(ix) * fraction) < min_per_label for ix in by_label.values()):
        return list(range(len(labels))), []
    rng = random.Random(seed)
    dev: list[int] = []
    for label in sorted(by_label):
        indices = by_label[label][:]
        rng.shuffle(indices)
        dev += indices[: round(len(indices) * fraction)]
    held = set(dev)
    return [i for i in range(len(labels)) if i not in held], sorted(dev)


def macro_f1(truth: Sequence[str], guesses: Sequence[str]) -> float:
    """Macro-averaged F1 over the true labels."""
    scores = []
    for label in set(truth):
        tp = sum(1 for t, g in zip(truth, guesses, strict=True) if t == g == label)
        predicted = sum(1 for g in guesses if g == label)
        actual = sum(1 for t in truth if t == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


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
        self.pipes = [CATEGORY_PIPE] + ([SEVERITY_PIPE] if self.has_severity else [])
        tokenizer = nlp.tokenizer
        self._segmenter = tokenizer.segmenter if isinstance(tokenizer, SegmenterTokenizer) else None
        models = [nlp.get_pipe(name).model for name in self.pipes]  # type: ignore[attr-defined]
        self.light = self._segmenter is not None and all(m.attrs.get(LIGHT_DOCS) for m in models)
        # What each label counts for in the service: stored at training, else read from the labels.
        severity_labels = nlp.get_pipe(SEVERITY_PIPE).labels if self.has_severity else ()  # type: ignore[attr-defined]
        self.category_map = as_categories(meta.get("category_map") or taxonomy_map(self.category_labels(), Category))
        self.severity_map = as_severities(meta.get("severity_map") or taxonomy_map(severity_labels, Severity))

    def category_labels(self) -> tuple[str, ...]:
        """The labels of the category categorizer."""
        return tuple(self.nlp.get_pipe(CATEGORY_PIPE).labels)  # type: ignore[attr-defined]

    def predict(self, texts: Sequence[str]) -> list[ModelOutput]:
        """Category and severity probabilities for each text."""
        category_labels = self.nlp.get_pipe(CATEGORY_PIPE).labels  # type: ignore[attr-defined]
        severity_labels = self.nlp.get_pipe(SEVERITY_PIPE).labels if self.has_severity else ()  # type: ignore[attr-defined]
        if self.light:
            return self._predict_light(texts, category_labels, severity_labels)
        outputs = []
        for doc in self.nlp.pipe(texts, batch_size=256):
            cats = doc.cats
            outputs.append(ModelOutput({k: cats[k] for k in category_labels}, {k: cats[k] for k in severity_labels}))
        return outputs

    def _predict_light(
        self, texts: Sequence[str], category_labels: Sequence[str], severity_labels: Sequence[str]
    ) -> list[ModelOutput]:
        """The categorizers' models over `LightDoc`s: the same scores, no `Doc` built."""
        assert self._segmenter is not None
        docs = [LightDoc(text, self._segmenter.cut(text)) for text in texts]
        if not docs:
            return []
        category = self.nlp.get_pipe(CATEGORY_PIPE).model.predict(docs).tolist()  # type: ignore[attr-defined]
        severity = (
            self.nlp.get_pipe(SEVERITY_PIPE).model.predict(docs).tolist()  # type: ignore[attr-defined]
            if self.has_severity
            else [[] for _ in docs]
        )
        return [
            ModelOutput(dict(zip(category_labels, c, strict=True)), dict(zip(severity_labels, s, strict=True)))
            for c, s in zip(category, severity, strict=True)
        ]


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
