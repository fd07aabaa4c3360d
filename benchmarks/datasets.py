"""Finding the shared benchmark corpora (never copied into the project: see their licences).

The corpora live in `../shared/datasets/` beside the checkout (for a worktree under
`wt/NAME`, two levels up); `TOUSU_DATASETS=DIR` points elsewhere. When a file is missing,
`require` prints where it looked and exits with status 2.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = "TOUSU_DATASETS"


def candidates() -> list[Path]:
    """The folders searched, in order."""
    found = [Path(os.environ[ENV])] if os.environ.get(ENV) else []
    return found + [parent / "shared" / "datasets" for parent in (ROOT.parent, ROOT.parent.parent)]


def require(name: str) -> Path:
    """The path of dataset `name`, or a clear message and exit status 2."""
    for folder in candidates():
        if (folder / name).is_file():
            return folder / name
    looked = ", ".join(str(folder) for folder in candidates())
    print(
        f"dataset {name} not found (looked in: {looked}).\n"
        f"This benchmark needs the shared corpora; set {ENV}=DIR to point at the folder holding {name}.",
        file=sys.stderr,
    )
    raise SystemExit(2)


def waimai() -> tuple[list[str], list[int]]:
    """The 11,987 waimai_10k reviews and their labels (1 positive, 0 negative)."""
    texts, labels = [], []
    with require("waimai_10k.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            texts.append(row["review"])
            labels.append(int(row["label"]))
    return texts, labels


def cocc() -> tuple[list[str], list[str]]:
    """The 2,400 COCC tickets (text, label)."""
    texts, labels = [], []
    for line in require("COCC.txt").read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition("\t")
        if text and label:
            texts.append(text)
            labels.append(label)
    return texts, labels
