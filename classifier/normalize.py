"""Text normalisation before classification: one character in, one character out.

Traditional characters are folded to simplified ones, full-width ASCII to half-width and
English letters to lower case. Because the mapping keeps every character's position,
offsets found in the normalised text are valid in the original one.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII block
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    text = (resources.files("classifier") / "resources" / "trad_simp.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if len(line) == 2 and not line.startswith("#"):
            table[ord(line[0])] = line[1]
    # Full-width letters fold to upper case ASCII first; lower-case them too.
    for code in range(0xFF21, 0xFF3B):
        table[code] = chr(code - 0xFEE0 + 32)
    return table


def normalize(text: str) -> str:
    """The normalised form of `text`, of the same length."""
    return text.translate(_table())
