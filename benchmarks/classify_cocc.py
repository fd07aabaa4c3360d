"""Learning from a real ledger: COCC (2,400 China Mobile complaint tickets, 8 classes).

    python benchmarks/classify_cocc.py [--seed 42] [--no-baseline]

The split is the datasets README's: 80/20, stratified, seed 42 (scikit-learn's
`train_test_split`, a dev extra). The training 80 % is written to a temporary TSV and
trained with tousu's own trainer, `classifier.training.train` (the code path of
`tousu classifier train --data FILE --out DIR`), then scored with
`classifier.training.evaluate` (that of `tousu classifier eval`) on the held-out 20 %.
Beside it, in the same run: the README's reference, jieba + TF-IDF (1–2 grams) +
logistic regression, on the same split. The README reports 0.8626 for that reference.
Nothing of COCC is kept: its licence forbids copying it into the project.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import cocc

README_REFERENCE = 0.8626


def write_tsv(path: Path, texts: list[str], labels: list[str]) -> Path:
    path.write_text("text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in zip(texts, labels, strict=True)))
    return path


def baseline(train_x: list[str], train_y: list[str], test_x: list[str], test_y: list[str]) -> float:
    """jieba + TF-IDF (1–2 grams) + logistic regression, as the datasets README describes it."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    jieba.setLogLevel(logging.WARNING)
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, ngram_range=(1, 2), lowercase=False)
    model = LogisticRegression(max_iter=2000)
    model.fit(vectorizer.fit_transform(train_x), train_y)
    return float(f1_score(test_y, model.predict(vectorizer.transform(test_x)), average="macro"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", type=Path, help="also keep the trained model in this directory (outside the repo)")
    args = parser.parse_args()
    texts, labels = cocc()
    try:
        from sklearn.model_selection import train_test_split
    except ImportError:
        print("scikit-learn is needed for the split and the baseline: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=args.seed
    )
    print(f"COCC: {len(texts)} tickets, {len(set(labels))} classes; train {len(train_x)}, test {len(test_x)}")

    from classifier.training import evaluate, train

    def progress(epoch: int, epochs: int, loss: float) -> None:
        print(f"  epoch {epoch}/{epochs} loss {loss:.3f}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        train_file = write_tsv(folder / "train.tsv", train_x, train_y)
        test_file = write_tsv(folder / "test.tsv", test_x, test_y)
        model_dir = args.keep or folder / "model"
        started = time.perf_counter()
        report = train(train_file, model_dir, "text", "label", progress, seed=args.seed)
        trained_s = time.perf_counter() - started
        started = time.perf_counter()
        result = evaluate(test_file, model_dir, "text", "label")
        eval_s = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(model_dir).rglob("*") if p.is_file())
    print(result.format())
    print(
        f"\ntousu trainer: trained in {trained_s:.1f} s ({report.examples} examples), scored in {eval_s:.1f} s, "
        f"model {size / 1e6:.1f} MB"
    )
    print(f"tousu (spaCy textcat)            macro-F1 {result.macro_f1:.4f}  accuracy {result.accuracy:.4f}")
    if not args.no_baseline:
        started = time.perf_counter()
        reference = baseline(train_x, train_y, test_x, test_y)
        print(f"jieba + TF-IDF + LR (this run)   macro-F1 {reference:.4f}  ({time.perf_counter() - started:.1f} s)")
    print(f"jieba + TF-IDF + LR (README)     macro-F1 {README_REFERENCE:.4f}")
    print("target                           macro-F1 0.9000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
