"""An operator's lexicon mistakes in words: Chinese by default, English available, lines found."""

from __future__ import annotations

import pytest

from classifier.lexicon import Lexicon, default_lexicon_path
from intake.errors import ConfigError
from tousu.tuning import problems_of

SHIPPED = default_lexicon_path().read_text(encoding="utf-8")


def _problems(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        Lexicon.parse(text, "<edited>")
    return caught.value


def test_unknown_codes_and_bad_weights_are_each_named() -> None:
    text = SHIPPED.replace("[categories.other]", "[categories.nonsense]").replace(
        "[severity.serious]", "[severity.grave]"
    )
    text = text.replace('"迟到" = 3.0', '"迟到" = "很多"', 1)
    error = _problems(text)
    english = error.details["problems"]
    assert isinstance(english, list)
    assert any(p.startswith("categories.nonsense: unknown category 'nonsense'") for p in english)
    assert any(p.startswith("severity.grave: unknown severity 'grave'") for p in english)
    assert any(p == "categories.punctuality.words.迟到: '很多' is not a number" for p in english)
    chinese = [p.message for p in problems_of(error, text)]
    assert any(p.startswith("categories.nonsense：未知类别 'nonsense'；可用的类别：quality") for p in chinese)
    assert "categories.punctuality.words.迟到：'很多' 不是数字" in chinese
    lines = text.splitlines()
    found = {p.message: p.line for p in problems_of(error, text, "en")}
    line = found["categories.punctuality.words.迟到: '很多' is not a number"]
    assert line is not None and '"迟到" = "很多"' in lines[line - 1]
    assert str(error).startswith("lexicon <edited>: 3 problem(s):")
    assert error.text("zh").startswith("配置错误：词库 <edited> 有 3 个问题：")


def test_no_category_bad_toml_and_missing_file() -> None:
    error = _problems("[settings]\nsaturation = 4.0\n")
    assert problems_of(error, "")[0].message == "缺少 [categories.*] 部分（至少要有一个类别）"
    assert str(error).endswith("no [categories.*] section (at least one category is needed)")
    error = _problems("[settings]\nsaturation = 4.0\n[categories.billing\n")
    (problem,) = problems_of(error, "[settings]\nsaturation = 4.0\n[categories.billing\n")
    assert problem.line == 3 and problem.message.startswith("词库 <edited> 不是有效的 TOML")
    assert problems_of(error, "", "en")[0].message.startswith("lexicon <edited> is not valid TOML")
    error = _problems('categories = "none"\n')
    assert problems_of(error, "")[0].message == "categories：应是一个表（table）"


def test_the_shipped_lexicon_has_no_problem() -> None:
    assert Lexicon.parse(SHIPPED, "<shipped>").labels


def test_a_sentiment_weight_that_is_no_number_is_named() -> None:
    error = _problems('[categories.quality]\nwords = { "脏" = 2.0 }\n[sentiment]\npositive = { "好" = "很" }\n')
    assert error.details["problems"] == ["sentiment.positive.好: '很' is not a number"]
