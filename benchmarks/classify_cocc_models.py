"""How far bag-of-n-gram models go on COCC: tousu's trainer next to scikit-learn models.

    python benchmarks/classify_cocc_models.py [--seeds 42,0,1,2,3] [--skip-tousu]

Each model is trained on the 80 % of a stratified 80/20 split and scored (macro-F1) on the
20 %, for several split seeds: seed 42 is the split of the datasets README and of
`classify_cocc.py`; the others show how much one split's figure owes to chance. The
scikit-learn models (a dev extra) are the strongest linear and non-linear bag-of-n-gram
models we found; none of them was tuned on the seed-42 test split beyond what the table
shows. COCC is read from ../shared/datasets and never copied.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.classify_cocc import write_tsv
from benchmarks.datasets import cocc


def sklearn_models() -> dict[str, Callable[[], Any]]:
    """Name -> a fresh scikit-learn pipeline (text in, label out)."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import SVC, LinearSVC

    jieba.setLogLevel(logging.WARNING)
    cache: dict[str, list[str]] = {}

    def words(text: str) -> list[str]:
        if text not in cache:
            cache[text] = jieba.lcut(text)
        return cache[text]

    def w(ngrams: tuple[int, int] = (1, 2), **kw: Any) -> TfidfVectorizer:
        return TfidfVectorizer(tokenizer=words, token_pattern=None, ngram_range=ngrams, lowercase=False, **kw)

    def c(ngrams: tuple[int, int] = (1, 3)) -> TfidfVectorizer:
        return TfidfVectorizer(analyzer="char", ngram_range=ngrams, lowercase=False, sublinear_tf=True)

    return {
        "README reference: jieba words 1-2 TF-IDF + LR (default C)": lambda: make_pipeline(
            w(), LogisticRegression(max_iter=3000)
        ),
        "jieba words 1-2 TF-IDF (sublinear) + LR C=10": lambda: make_pipeline(
            w(sublinear_tf=True), LogisticRegression(max_iter=3000, C=10)
        ),
        "chars 1-3 TF-IDF + LinearSVC": lambda: make_pipeline(c(), LinearSVC(C=0.5)),
        "words 1 + chars 1-3 TF-IDF + LinearSVC": lambda: make_pipeline(
            make_union(w((1, 1), sublinear_tf=True), c()), LinearSVC(C=0.5)
        ),
        "words 1-2 + chars 1-3 TF-IDF + Ridge": lambda: make_pipeline(
            make_union(w(sublinear_tf=True), c()), RidgeClassifier()
        ),
        "words 1-2 + chars 1-3 TF-IDF + RBF SVC": lambda: make_pipeline(
            make_union(w(sublinear_tf=True), c()), SVC(C=10, gamma=1.0)
        ),
    }


def tousu_score(train_x: list[str], train_y: list[str], test_x: list[str], test_y: list[str], seed: int) -> float:
    """tousu's own trainer and evaluator (the code of `tousu classifier train/eval`)."""
    from classifier.training import evaluate, train

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        train(write_tsv(folder / "train.tsv", train_x, train_y), folder / "model", "text", "label", None, seed=seed)
        return evaluate(write_tsv(folder / "test.tsv", test_x, test_y), folder / "model", "text", "label").macro_f1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="42,0,1,2,3")
    parser.add_argument("--skip-tousu", action="store_true")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    texts, labels = cocc()
    try:
        from sklearn.metrics import f1_score
        from sklearn.model_selection import train_test_split
    except ImportError:
        print("scikit-learn is needed: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    splits = [train_test_split(texts, labels, test_size=0.2, stratify=labels, random_state=s) for s in seeds]
    print(f"COCC: {len(texts)} tickets; split seeds {seeds}; macro-F1 per seed, then the mean")
    rows: list[tuple[str, list[float], float]] = []
    if not args.skip_tousu:
        started = time.perf_counter()
        scores = [tousu_score(a, ya, b, yb, 42) for a, b, ya, yb in splits]
        rows.append(("tousu trainer (spaCy textcat, words 1 + chars 1-2)", scores, time.perf_counter() - started))
    for name, make in sklearn_models().items():
        started = time.perf_counter()
        scores = [float(f1_score(yb, make().fit(a, ya).predict(b), average="macro")) for a, b, ya, yb in splits]
        rows.append((name, scores, time.perf_counter() - started))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'model':{width}}  " + "  ".join(f"s{seed:<5}" for seed in seeds) + "  mean    time")
    for name, scores, seconds in rows:
        cells = "  ".join(f"{score:.4f}" for score in scores)
        print(f"{name:{width}}  {cells}  {sum(scores) / len(scores):.4f}  {seconds:.0f} s")
    print("target (seed 42): 0.9000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
