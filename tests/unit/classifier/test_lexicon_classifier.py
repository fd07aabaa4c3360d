"""Table tests of the lexicon layer alone (the classifier without a trained model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier import Lexicon, load_classifier
from classifier.layered import LayeredClassifier
from intake.errors import ConfigError
from intake.records import Category, Intent, Severity


@pytest.fixture(scope="module")
def lexicon_only() -> LayeredClassifier:
    return load_classifier(use_model=False)


CASES = [
    ("阿姨今天迟到了一个小时", Category.PUNCTUALITY, Severity.NORMAL),
    ("约好的周六上午保洁，到点没人来，客服说订单根本没派出去", Category.BOOKING, Severity.NORMAL),
    ("阿姨说好九点来，结果一直没来，电话也不接，放我鸽子", Category.PUNCTUALITY, Severity.NORMAL),
    ("阿姨把我家花瓶打碎了", Category.DAMAGE, Severity.SERIOUS),
    ("保洁员走了以后我的金项链不见了", Category.DAMAGE, Severity.SERIOUS),
    ("那个师傅对我动手动脚，我要报警", Category.SAFETY, Severity.CRITICAL),
    ("阿姨拖地时我妈滑倒摔伤了", Category.SAFETY, Severity.CRITICAL),
    ("阿姨走的时候没关煤气，太危险了", Category.SAFETY, Severity.CRITICAL),
    ("你们把我的住址和电话泄露给别人了", Category.SAFETY, Severity.CRITICAL),
    ("你们再不退款我就打12315", Category.BILLING, Severity.SERIOUS),
    ("多收了我一百块钱，说是额外收的材料费", Category.BILLING, Severity.NORMAL),
    ('真是太"准时"了，等了三个小时', Category.PUNCTUALITY, Severity.NORMAL),
    ("阿姨态度很差，还骂人", Category.ATTITUDE, Severity.NORMAL),
    ("师傅没带工具，还要用我家的拖把和抹布", Category.TOOLS, Severity.NORMAL),
    ("厨房油烟机根本没擦干净，卫生间还有头发，太敷衍了", Category.QUALITY, Severity.NORMAL),
    ("这个阿姨不合适，请给我换个阿姨", Category.STAFF_CHANGE, Severity.NORMAL),
    ("又迟到了，已经第三次了，再这样我就换一家", Category.PUNCTUALITY, Severity.SERIOUS),
    ("我要找你们经理，这事必须给个说法", Category.OTHER, Severity.SERIOUS),
    ("The cleaner was very rude and yelled at me", Category.ATTITUDE, Severity.NORMAL),
    ("阿姨態度很差，還罵人，說話難聽", Category.ATTITUDE, Severity.NORMAL),
]


@pytest.mark.parametrize(("text", "category", "severity"), CASES)
def test_category_and_severity(lexicon_only: LayeredClassifier, text: str, category: Category, severity: Severity):
    result = lexicon_only.classify(text)
    assert (result.category, result.severity) == (category, severity), result.cues
    assert result.intent is Intent.COMPLAINT


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", Intent.GREETING),
        ("您好，在吗？", Intent.GREETING),
        ("谢谢", Intent.THANKS),
        ("好的，辛苦了", Intent.THANKS),
        ("查询进度", Intent.PROGRESS),
        ("TS-20261123-000042 怎么样了", Intent.PROGRESS),
        ("阿姨干得太好了！！！必须表扬！", Intent.PRAISE),
        ("请问开荒保洁多少钱一平？", Intent.ENQUIRY),
        (
            "您好，不好意思打扰一下，今天阿姨来得比约定时间晚了一个多小时，麻烦你们看一下，谢谢",
            Intent.COMPLAINT,
        ),
        ("谢谢你们的阿姨把我家地板刮花了", Intent.COMPLAINT),
    ],
)
def test_intents(lexicon_only: LayeredClassifier, text: str, intent: Intent):
    assert lexicon_only.classify(text).intent is intent


def test_negation_removes_a_cue(lexicon_only: LayeredClassifier):
    result = lexicon_only.classify("阿姨没有迟到，但是没打扫干净")
    assert result.category is Category.QUALITY
    assert all(cue.text != "迟到" for cue in result.cues)


def test_negated_injury_is_not_critical(lexicon_only: LayeredClassifier):
    assert lexicon_only.classify("孩子没有受伤，就是阿姨把杯子打碎了").severity is Severity.SERIOUS


def test_cues_explain_the_decision(lexicon_only: LayeredClassifier):
    result = lexicon_only.classify("阿姨对我性骚扰")
    assert any(c.layer == "lexicon" and c.target == "safety" for c in result.cues)
    assert any(c.layer == "severity" and c.target == "critical" for c in result.cues)
    assert any(e.label == "problem" for e in result.entities)


def test_empty_text_is_other_normal_low_confidence(lexicon_only: LayeredClassifier):
    for text in ("", "   ", "。。。"):
        result = lexicon_only.classify(text)
        assert (result.category, result.severity) == (Category.OTHER, Severity.NORMAL)
        assert result.confidence < 0.3


def test_same_text_same_result(lexicon_only: LayeredClassifier):
    text = "阿姨迟到还把花瓶打碎了，我要打12315"
    assert lexicon_only.classify(text) == lexicon_only.classify(text)


def test_a_broken_lexicon_is_a_config_error(tmp_path: Path):
    path = tmp_path / "lexicon.toml"
    path.write_text("[categories.nonsense]\nwords = { a = 1 }\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        Lexicon.load(path)
    path.write_text("not = [toml", encoding="utf-8")
    with pytest.raises(ConfigError):
        Lexicon.load(path)
    with pytest.raises(ConfigError):
        Lexicon.load(tmp_path / "missing.toml")
