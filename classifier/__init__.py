"""tousu's complaint classifier: jieba segmentation, an operator lexicon, a trained spaCy
text categorizer and entity extraction, behind `intake.ports.Classifier`.

The shell calls `load_classifier()`; nothing here reads the environment or loads a model
at import time.
"""

from __future__ import annotations

from pathlib import Path

from classifier.layered import LayeredClassifier
from classifier.lexicon import Lexicon
from classifier.segmenter import Segmenter

__all__ = ["LayeredClassifier", "Lexicon", "Segmenter", "load_classifier"]


def load_classifier(
    model_dir: Path | None = None,
    lexicon_path: Path | None = None,
    *,
    use_model: bool = True,
) -> LayeredClassifier:
    """The classifier the service runs.

    `model_dir` is a model written by `tousu classifier train` (the shell passes
    `TOUSU_CLASSIFIER_MODEL`); None means the model shipped in the package. `lexicon_path`
    is an operator's lexicon TOML; None means the shipped one. `use_model=False` gives the
    lexicon-only classifier. Raises `intake.errors.ConfigError` when a file is unusable.
    """
    segmenter = Segmenter()
    lexicon = Lexicon.load(lexicon_path)
    model = None
    if use_model:
        from classifier.model import load_model

        model = load_model(model_dir, segmenter)
    return LayeredClassifier(lexicon, segmenter, model)
