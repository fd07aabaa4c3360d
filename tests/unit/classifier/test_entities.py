"""Entities: table tests, and the cheap pre-checks never hide a match of the full patterns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

import pytest

from classifier import entities
from classifier.entities import extract
from classifier.normalize import normalize
from intake.records import Entity


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        ("我电话是 138-1234-5678，尽快回电", "phone", "13812345678"),
        ("座机 010-12345678", "phone", "010-12345678"),
        ("订单号：JZ20261123001 还没处理", "order", "JZ20261123001"),
        ("多收了我两百块", "money", "200"),
        ("退我￥35.5", "money", "35.5"),
        ("王阿姨今天又迟到了", "worker", "王阿姨"),
        ("那个保洁员把花瓶打碎了", "worker", None),
        ("工号 8823 的师傅", "worker", None),
        ("投诉 TS-20261123-000042 怎么样了", "complaint_number", "TS-20261123-000042"),
    ],
)
def test_entities(text: str, label: str, value: str | None):
    found = [(e.label, e.value) for e in extract(text, normalize(text))]
    assert (label, value) in found


@pytest.mark.parametrize("text", ["昨天下午三点阿姨才来", "上周六上午", "明天晚上8点", "3月5号"])
def test_dates_and_times(text: str):
    assert any(e.label == "datetime" for e in extract(text, normalize(text)))


def _unfiltered(original: str, text: str) -> Iterator[Entity]:
    """Every pattern run over every text, in the order `_candidates` uses."""
    yield from entities._numbered(original, text)
    for m in entities._MONEY.finditer(text):
        yield Entity(
            "money", original[m.start() : m.end()], m.start(), m.end(), entities._amount(m.group(1) or m.group(2))
        )
    for m in entities._DATETIME.finditer(text):
        if m.end() > m.start():
            yield Entity("datetime", original[m.start() : m.end()], m.start(), m.end(), None)
    for m in entities._WORKER.finditer(text):
        named = entities._WORKER_NAMED.fullmatch(m.group())
        yield Entity("worker", original[m.start() : m.end()], m.start(), m.end(), m.group() if named else None)


def test_pre_checks_change_nothing():
    corpus = (resources.files("classifier") / "resources" / "corpus.jsonl").read_text(encoding="utf-8")
    texts = [json.loads(line)["text"] for line in corpus.splitlines() if line]
    texts += ["¥20", "20 yuan", "rmb 30", "人民币五十", "12:30", "下午", "凌晨两点", "小哥", "工人", "工号12"]
    for original in texts:
        text = normalize(original)
        assert list(entities._candidates(original, text)) == list(_unfiltered(original, text)), original
