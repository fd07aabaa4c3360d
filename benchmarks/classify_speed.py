"""Classification throughput over the waimai_10k texts, next to plain `jieba.cut` in the same run.

    python benchmarks/classify_speed.py [--rounds 3] [--no-cli]

Three measurements over the same 11,987 texts, each the best of `--rounds` (the first
two interleaved, round by round, and each round's ratio printed too):

- `jieba.cut`: plain jieba (its default dictionary, initialised before timing), every
  text cut into a list of words. This is the yardstick of issue 4.
- the full classifier: `load_classifier()` (lexicon, shipped spaCy model, entities) with
  `classify_many` over batches of 512, as `tousu classify` batches its input.
- `tousu classify`: the CLI's streaming path in a child process, JSON lines in from a
  file and out to a file; reported with and without the process's start and model load.

The ratio is jieba's time divided by the classifier's: ≥ 1.0 means classifying costs no
more than cutting the same texts with jieba.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import ROOT, waimai

BATCH = 512


def best_of(rounds: int, run) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-cli", action="store_true", help="skip the `tousu classify` child process")
    args = parser.parse_args()
    texts, _ = waimai()
    chars = sum(map(len, texts))
    print(f"waimai_10k: {len(texts)} texts, {chars} characters")

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()

    from classifier import load_classifier

    started = time.perf_counter()
    classifier = load_classifier()
    load_s = time.perf_counter() - started

    def classify_all() -> None:
        for i in range(0, len(texts), BATCH):
            classifier.classify_many(texts[i : i + BATCH])

    classify_all()  # warm-up: first-use caches (normalisation table, jieba for the rare fallback)
    # Interleaved rounds, so that both see the same load on a shared machine.
    jieba_times, full_times = [], []
    for _ in range(args.rounds):
        jieba_times.append(best_of(1, lambda: [list(jieba.cut(t)) for t in texts]))
        full_times.append(best_of(1, classify_all))
    ratios = sorted(j / f for j, f in zip(jieba_times, full_times, strict=True))
    jieba_s, full_s = min(jieba_times), min(full_times)

    print(f"jieba.cut                  {jieba_s:7.2f} s  {len(texts) / jieba_s:9.0f} texts/s  (best of {args.rounds})")
    print(f"full classifier            {full_s:7.2f} s  {len(texts) / full_s:9.0f} texts/s  (load {load_s:.2f} s)")
    per_round = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"ratio (jieba / classifier) {jieba_s / full_s:7.2f}  (best times; sorted per-round ratios: {per_round})")

    if not args.no_cli:
        cli_s, cli_total = run_cli(texts, args.rounds)
        print(
            f"tousu classify (stream)    {cli_s:7.2f} s  {len(texts) / cli_s:9.0f} texts/s  "
            f"(whole process {cli_total:.2f} s with start and model load)"
        )
        print(f"ratio (jieba / tousu classify stream) {jieba_s / cli_s:7.2f}")
        fallback_s, fallback_n = jieba_fallback(texts)
        print(
            f"of which one-time: loading jieba itself for the {fallback_n} texts with a repeated unit "
            f"(赞赞赞赞赞) that rjieba may cut otherwise: {fallback_s:.2f} s"
        )
    return 0


def jieba_fallback(texts: list[str]) -> tuple[float, int]:
    """How long the segmenter takes to load jieba for its rare fallback, and how many texts need it."""
    from classifier.normalize import normalize
    from classifier.segmenter import _REPEATED_UNIT, Segmenter

    started = time.perf_counter()
    Segmenter().cut_reference("预热")
    return time.perf_counter() - started, sum(1 for t in texts if _REPEATED_UNIT.search(normalize(t)))


def run_cli(texts: list[str], rounds: int) -> tuple[float, float]:
    """Streaming time and whole-process time of `tousu classify --input --output`, best of `rounds`.

    The child reports when the classifier is loaded (the first answer line is flushed
    after the first batch), so the stream time is the process time minus its start-up,
    measured by a run over an empty input.
    """
    with tempfile.TemporaryDirectory() as scratch:
        source, sink, empty = Path(scratch) / "in.jsonl", Path(scratch) / "out.jsonl", Path(scratch) / "empty.jsonl"
        source.write_text(
            "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)),
            encoding="utf-8",
        )
        empty.write_text("", encoding="utf-8")

        def child(path: Path) -> None:
            command = [sys.executable, "-m", "tousu.cli_classifier", "classify", "--input", str(path)]
            subprocess.run([*command, "--output", str(sink)], cwd=ROOT, check=True)

        start_up = best_of(rounds, lambda: child(empty))
        total = best_of(rounds, lambda: child(source))
        answers = sink.read_text(encoding="utf-8").count("\n")
        if answers != len(texts):
            raise SystemExit(f"tousu classify wrote {answers} lines for {len(texts)} texts")
    return total - start_up, total


if __name__ == "__main__":
    raise SystemExit(main())
