"""Finding and loading the trained layer.

The model built from the shipped corpus lives in `classifier/model/` (committed, about
1.75 MB, rebuilt by `scripts/build_classifier_model.py`). Its metadata records the digest
of the corpus it was built from; when that no longer matches (the corpus was edited and
the model not rebuilt) or the directory is missing, a model is built from the corpus on
first use and cached under `cache_dir`, so a fresh checkout always works.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib import resources
from pathlib import Path

from classifier import messages as _messages  # noqa: F401 - registers the catalogue entries
from classifier.segmenter import Segmenter
from classifier.spacy_model import META_FILE, SpacyTextModel, load
from intake.errors import ConfigError
from intake.messages import entry


def shipped_model_dir() -> Path:
    """Where the model built from the shipped corpus is kept inside the package."""
    return Path(str(resources.files("classifier") / "model"))


def default_cache_dir() -> Path:
    """Where a model built on first use is cached (used when the shipped one is stale)."""
    return Path.home() / ".cache" / "tousu" / "classifier-model"


def shipped_model_is_current(model_dir: Path | None = None) -> bool:
    """True when the shipped model exists and was built from the shipped corpus as it is."""
    from classifier.training import file_digest, shipped_corpus_path

    meta_path = (model_dir or shipped_model_dir()) / META_FILE
    if not meta_path.is_file():
        return False
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(meta.get("source_digest") == file_digest(shipped_corpus_path()))


def load_model(
    model_dir: Path | None = None, segmenter: Segmenter | None = None, cache_dir: Path | None = None
) -> SpacyTextModel:
    """The model in `model_dir`, or the shipped one (built and cached if it is stale)."""
    if model_dir is not None:
        if not Path(model_dir).is_dir():
            raise ConfigError(entry("classifier.model.missing", path=str(model_dir)))
        return load(Path(model_dir), segmenter)
    if shipped_model_is_current():
        return load(shipped_model_dir(), segmenter)
    return load(ensure_built(cache_dir or default_cache_dir()), segmenter)


def ensure_built(cache_dir: Path) -> Path:
    """Build the model from the shipped corpus into `cache_dir` unless it is already there."""
    from classifier.training import file_digest, shipped_corpus_path, train

    target = cache_dir / file_digest(shipped_corpus_path())[:16]
    if (target / META_FILE).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so a concurrent process never sees half a model.
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        built = Path(scratch) / "model"
        train(shipped_corpus_path(), built, "text", "category", severity_column="severity")
        try:
            os.replace(built, target)
        except OSError:
            if not (target / META_FILE).is_file():
                raise
    return target
