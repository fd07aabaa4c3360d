"""Model load time and the process's peak memory, each in a fresh process.

    python benchmarks/classify_load.py [--rounds 5] [--model DIR]

A child process imports the classifier, loads it step by step as `load_classifier()`
does (spaCy's import, the segmenter, the lexicon, the shipped spaCy model or
`--model DIR`), classifies one text, and reports the CPU seconds of each step (and
the wall seconds of it all) and its peak resident memory (`resource.getrusage`,
ru_maxrss).
A second child does the same and then classifies all of waimai_10k, when that corpus
is present, to show the peak under a real batch load. Times are the median of `--rounds`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import ROOT, candidates

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
# CPU seconds of this process: on a shared, loaded machine the wall clock mostly measures
# waiting for a core. The wall seconds of the whole load are reported beside them.
wall0 = time.perf_counter()
clock = time.process_time
t0 = clock()
from classifier import load_classifier
t1 = clock()
import spacy
from classifier.layered import LayeredClassifier
from classifier.lexicon import Lexicon
from classifier.model import load_model
from classifier.segmenter import Segmenter
t_spacy = clock()
segmenter = Segmenter()
t_seg = clock()
lexicon = Lexicon.load()
t_lex = clock()
model = sys.argv[1] or None
text_model = load_model(Path(model) if model else None, segmenter)
t2 = clock()
wall_load = time.perf_counter() - wall0
classifier = LayeredClassifier(lexicon, segmenter, text_model)
classifier.classify("阿姨迟到了一个小时，还把花瓶打碎了")
t3 = clock()
texts = 0
if sys.argv[2]:
    import csv
    with open(sys.argv[2], encoding="utf-8", newline="") as handle:
        rows = [row["review"] for row in csv.DictReader(handle)]
    for i in range(0, len(rows), 512):
        classifier.classify_many(rows[i : i + 512])
    texts = len(rows)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "import": t1 - t0, "spacy": t_spacy - t1, "segmenter": t_seg - t_spacy, "lexicon": t_lex - t_seg,
    "model": t2 - t_lex, "load": t2 - t1, "wall": wall_load, "first": t3 - t2, "peak_kib": peak, "texts": texts,
}))
"""


def child(model: str, corpus: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, model, corpus], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--model", default="", help="a model directory (default: the shipped model)")
    args = parser.parse_args()
    runs = [child(args.model, "") for _ in range(args.rounds)]
    steps = (
        ("import", "import classifier"),
        ("spacy", "  import spaCy"),
        ("segmenter", "  segmenter (rjieba)"),
        ("lexicon", "  lexicon"),
        ("model", "  spaCy model"),
        ("load", "all of loading"),
        ("wall", "  wall clock (import+load)"),
        ("first", "first classify"),
    )
    for key, label in steps:
        values = [r[key] for r in runs]
        print(f"{label:20} median {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    print(f"peak memory after load and one text: {statistics.median(r['peak_kib'] for r in runs) / 1024:.0f} MiB")
    corpus = next((folder / "waimai_10k.csv" for folder in candidates() if (folder / "waimai_10k.csv").is_file()), None)
    if corpus is None:
        print("waimai_10k.csv not found: skipping the peak under load (see benchmarks/datasets.py)")
    else:
        loaded = child(args.model, str(corpus))
        print(f"peak memory after classifying {int(loaded['texts'])} texts: {loaded['peak_kib'] / 1024:.0f} MiB")
    model_dir = Path(args.model) if args.model else ROOT / "classifier" / "model"
    size = sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file())
    print(f"model size on disk ({model_dir}): {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
