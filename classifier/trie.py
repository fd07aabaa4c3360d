"""A regular expression that finds many literal terms at once, longest first.

Python's `re` tries the alternatives of `a|b|c` one by one at every position; a regex
shaped like a trie of the terms does the same search in one pass of shared prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _pattern(node: dict[str, dict], terminal: str) -> str:  # type: ignore[type-arg]
    ends = terminal in node
    branches = [re.escape(ch) + _pattern(child, terminal) for ch, child in sorted(node.items()) if ch != terminal]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        # Optional and greedy: the longer term is tried first.
        return "(?:" + body + ")?"
    return body


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """A compiled pattern matching any of `terms` (longest at each position); None if empty."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    terminal = ""
    count = 0
    for term in set(terms):
        if not term:
            continue
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[terminal] = {}
        count += 1
    if not count:
        return None
    return re.compile(_pattern(root, terminal))
