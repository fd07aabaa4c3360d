"""Classification throughput over the waimai_10k texts, next to plain `jieba.cut` in the same run.

    python benchmarks/classify_speed.py [--rounds 3] [--no-cli]

Three measurements over the same 11,987 texts, each the best of `--rounds` (the first
two interleaved, round by round, and each round's ratio printed too):

- `jieba.cut`: plain jieba (its default dictionary, initialised before timing), every
  text cut into a list of words. This is the yardstick of issue 4.
- the full classifier: `load_classifier()` (lexicon, shipped spaCy model, entities) with
  `classify_many` over batches of 512, as `tousu classify` batches its input.
- `tousu classify`: the command itself (`python -m tousu classify`) in a child process,
  JSON lines on stdin from a file and stdout to a file; reported with and without the
  process's start and model load (a run over an empty input).

It also counts the texts with a repeated unit (which the segmenter cuts by replaying
jieba's loop, see classifier/segmenter.py), says whether jieba itself was loaded, and
times the one-time work that lets rjieba match jieba on them (reading jieba's dict.txt).

The ratio is jieba's time divided by the classifier's: ≥ 1.0 means classifying costs no
more than cutting the same texts with jieba. Both CPU seconds (`time.process_time`, and
`getrusage(RUSAGE_CHILDREN)` for the child process) and wall seconds are shown: on a
shared, loaded machine the wall clock mostly measures waiting for a core, the CPU time
what the work costs.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import ROOT, waimai

BATCH = 512


class Timing:
    """Best wall and CPU seconds over several runs."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def run(self, work, children: bool = False) -> None:  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), _cpu(children)
        work()
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(_cpu(children) - cpu)

    @property
    def best(self) -> tuple[float, float]:
        return min(self.cpu), min(self.wall)


def _cpu(children: bool) -> float:
    if not children:
        return time.process_time()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def line(name: str, n: int, timing: tuple[float, float], extra: str = "") -> str:
    cpu, wall = timing
    return f"{name:26} cpu {cpu:6.2f} s  {n / cpu:7.0f} texts/s | wall {wall:6.2f} s  {n / wall:7.0f} texts/s{extra}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-cli", action="store_true", help="skip the `tousu classify` child process")
    args = parser.parse_args()
    texts, _ = waimai()
    n = len(texts)
    print(f"waimai_10k: {n} texts, {sum(map(len, texts))} characters; best of {args.rounds} rounds")

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()

    from classifier import load_classifier

    started = time.perf_counter()
    classifier = load_classifier()
    load_s = time.perf_counter() - started

    def classify_all() -> None:
        for i in range(0, n, BATCH):
            classifier.classify_many(texts[i : i + BATCH])

    classify_all()  # warm-up: first-use caches (normalisation table, jieba.finalseg for repeated units)
    # Interleaved rounds, so that both see the same load on a shared machine.
    cut, full = Timing(), Timing()
    for _ in range(args.rounds):
        cut.run(lambda: [list(jieba.cut(t)) for t in texts])
        full.run(classify_all)
    print(line("jieba.cut", n, cut.best))
    print(line("full classifier", n, full.best, f"  (load {load_s:.2f} s)"))
    print(f"ratio (jieba / classifier): cpu {cut.best[0] / full.best[0]:.2f}, wall {cut.best[1] / full.best[1]:.2f}")
    print(
        f"{fallback_texts(texts)} texts have a repeated unit (赞赞赞赞赞), cut by replaying jieba's loop on "
        f"rjieba's route; jieba itself loaded by the classifier: {classifier.segmenter.reference_loaded}"
    )
    gap = Timing()
    gap.run(total_gap)
    print(f"one-time, in the load: the word-total gap read from jieba's dict.txt: cpu {gap.best[0]:.2f} s")
    single = Timing()
    single.run(lambda: [classifier.classify(t) for t in texts])
    print(line("one text per call", n, single.best, "  (how tousu classify ran before it batched)"))

    if not args.no_cli:
        stream, whole = run_cli(texts, args.rounds)
        print(
            line(
                "tousu classify (stream)", n, stream, f"  (whole process: cpu {whole[0]:.2f} s, wall {whole[1]:.2f} s)"
            )
        )
        print(
            f"ratio (jieba / tousu classify stream): cpu {cut.best[0] / stream[0]:.2f}, "
            f"wall {cut.best[1] / stream[1]:.2f}"
        )
    return 0


def total_gap() -> None:
    """Work out the gap between jieba's word total and rjieba's, as a new process does at load."""
    from classifier.segmenter import _jieba_dictionary_file, _total_gap

    _total_gap.__wrapped__((), _jieba_dictionary_file())


def fallback_texts(texts: list[str]) -> int:
    from classifier.normalize import normalize
    from classifier.segmenter import _REPEATED_UNIT

    return sum(1 for t in texts if _REPEATED_UNIT.search(normalize(t)))


def run_cli(texts: list[str], rounds: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(cpu, wall) of the stream and of the whole process of `tousu classify < in > out`.

    The stream is the whole process minus a run over an empty input (start, imports and
    model load), each the best of `rounds`.
    """
    with tempfile.TemporaryDirectory() as scratch:
        source, sink, empty = Path(scratch) / "in.jsonl", Path(scratch) / "out.jsonl", Path(scratch) / "empty.jsonl"
        source.write_text(
            "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)),
            encoding="utf-8",
        )
        empty.write_text("", encoding="utf-8")

        def child(path: Path) -> None:
            # `tousu classify` itself (the console script's module), stdin and stdout on files.
            with path.open("rb") as stdin, sink.open("wb") as stdout:
                subprocess.run(
                    [sys.executable, "-m", "tousu", "classify"], stdin=stdin, stdout=stdout, cwd=ROOT, check=True
                )

        start_up, total = Timing(), Timing()
        for _ in range(rounds):
            start_up.run(lambda: child(empty), children=True)
            total.run(lambda: child(source), children=True)
        answers = sink.read_text(encoding="utf-8").count("\n")
        if answers != len(texts):
            raise SystemExit(f"tousu classify wrote {answers} lines for {len(texts)} texts")
    (base_cpu, base_wall), (cpu, wall) = start_up.best, total.best
    return (cpu - base_cpu, wall - base_wall), (cpu, wall)


if __name__ == "__main__":
    raise SystemExit(main())
