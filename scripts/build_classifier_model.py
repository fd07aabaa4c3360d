"""Build the classifier model shipped in the package from the shipped corpus.

    python scripts/build_classifier_model.py [--out classifier/model] [--epochs N] [--hash-length 32768]

Run it after editing `classifier/resources/corpus.jsonl` (a unit test fails while the committed
model is older than the corpus). Training is seeded, so the result is reproducible.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.model import shipped_model_dir
from classifier.training import shipped_corpus_path, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=shipped_model_dir())
    parser.add_argument("--epochs", type=int, default=None)
    # 2**15 rows keep the shipped model (category and severity weights) under 2 MB.
    parser.add_argument("--hash-length", type=int, default=2**15)
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)

    def progress(epoch: int, epochs: int, loss: float) -> None:
        print(f"epoch {epoch:>2}/{epochs}  loss {loss:.4f}", flush=True)

    report = train(
        shipped_corpus_path(),
        args.out,
        "text",
        "category",
        progress,
        severity_column="severity",
        epochs=args.epochs,
        hash_length=args.hash_length,
    )
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{report.examples} examples, labels {report.labels}")
    print(f"wrote {args.out} ({size / 1e6:.2f} MB) in {report.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
