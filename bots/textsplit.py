"""Split a long reply into messages that fit a platform's limit.

Telegram counts characters (4,096 per message), WeChat counts UTF-8 bytes (2,048 per text).
Cuts fall after a sentence end (。！？!?.; or a line break) when one is inside the limit, else
after a comma, else at the limit itself, so no message is ever over it and no text is lost.
"""

from __future__ import annotations

from collections.abc import Callable

SENTENCE_ENDS = "。！？!?；;\n"
SOFT_BREAKS = "，,、 "

Measure = Callable[[str], int]


def char_count(text: str) -> int:
    """Length in characters (Telegram's measure)."""
    return len(text)


def utf8_bytes(text: str) -> int:
    """Length in UTF-8 bytes (WeChat's measure)."""
    return len(text.encode("utf-8"))


def split_message(text: str, limit: int, measure: Measure = char_count) -> list[str]:
    """Cut `text` into pieces each at most `limit` by `measure`, preferring sentence boundaries."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _cut_point(rest, limit, measure)
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece:
            pieces.append(piece)
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int, measure: Measure) -> int:
    fits = _longest_prefix(text, limit, measure)
    for breaks in (SENTENCE_ENDS, SOFT_BREAKS):
        at = max(text.rfind(mark, 0, fits) for mark in breaks)
        if at >= fits // 3:
            return at + 1
    return fits


def _longest_prefix(text: str, limit: int, measure: Measure) -> int:
    """The largest n with measure(text[:n]) <= limit (at least 1, so the loop always advances)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
