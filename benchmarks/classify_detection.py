"""Complaint detection on waimai_10k, a corpus the classifier was never trained on.

    python benchmarks/classify_detection.py [--no-model] [--examples 5]

waimai_10k holds 11,987 food-delivery reviews labelled positive (1) or negative (0); the
negative ones are real service complaints (late delivery, rude courier, wrong or spilled
food, refunds). A review counts as taken for a complaint when the classifier's intent is
`complaint`; anything else (praise, thanks, greeting, enquiry, progress) is not.

Printed: how often a negative review is taken for a complaint (detection rate), how often
a positive one is not (rejection rate), the 2×2 confusion, the intents given to the
positive reviews, the categories given to the detected complaints, and a few misses.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.datasets import waimai

BATCH = 512


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-model", action="store_true", help="the lexicon layer only")
    parser.add_argument("--examples", type=int, default=5, help="misses to show of each kind")
    args = parser.parse_args()
    texts, labels = waimai()

    from classifier import load_classifier
    from intake.records import Intent

    classifier = load_classifier(use_model=not args.no_model)
    started = time.perf_counter()
    results = []
    for i in range(0, len(texts), BATCH):
        results += classifier.classify_many(texts[i : i + BATCH])
    seconds = time.perf_counter() - started

    complaint = [r.intent is Intent.COMPLAINT for r in results]
    negatives = [i for i, label in enumerate(labels) if label == 0]
    positives = [i for i, label in enumerate(labels) if label == 1]
    tp = sum(complaint[i] for i in negatives)
    fp = sum(complaint[i] for i in positives)
    fn, tn = len(negatives) - tp, len(positives) - fp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / len(negatives)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    layer = "lexicon only" if args.no_model else "lexicon + shipped model"
    print(f"waimai_10k: {len(negatives)} negative, {len(positives)} positive reviews; {layer}; {seconds:.1f} s")
    print(f"negative taken for a complaint   {tp:5d}/{len(negatives)}  {recall:.4f}")
    print(f"positive not taken for one       {tn:5d}/{len(positives)}  {tn / len(positives):.4f}")
    print(f"positive taken for a complaint   {fp:5d}/{len(positives)}  {fp / len(positives):.4f}")
    print(f"complaint precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    print(f"accuracy (complaint = negative)  {(tp + tn) / len(labels):.4f}")
    print("\nconfusion (rows: review label, columns: classifier)")
    print(f"{'':10}{'complaint':>11}{'not':>8}")
    print(f"{'negative':10}{tp:>11}{fn:>8}")
    print(f"{'positive':10}{fp:>11}{tn:>8}")
    silent = sum(1 for i in positives if complaint[i] and not any(c.layer != "model" for c in results[i].cues))
    print(
        f"positive taken for a complaint with no lexicon cue at all (the safe default: an unrecognised "
        f"message is a complaint): {silent}/{fp}"
    )
    print("\nintents of positive reviews:", dict(Counter(results[i].intent.value for i in positives).most_common()))
    print("intents of negative reviews:", dict(Counter(results[i].intent.value for i in negatives).most_common()))
    detected = [i for i in negatives if complaint[i]]
    for field in ("category", "severity"):
        counts = Counter(getattr(results[i], field).value for i in detected)
        print(f"{field} of detected complaints:", dict(counts.most_common()))
    if args.examples:
        missed = [i for i in negatives if not complaint[i]][: args.examples]
        false = [i for i in positives if complaint[i]][: args.examples]
        print("\nnegative reviews not taken for a complaint:")
        for i in missed:
            print(f"  [{results[i].intent.value}] {texts[i][:80]}")
        print("positive reviews taken for a complaint:")
        for i in false:
            print(f"  [{results[i].category.value}] {texts[i][:80]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
