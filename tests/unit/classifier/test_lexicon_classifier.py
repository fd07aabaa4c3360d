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


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # praise without a praise phrase of [intents.praise]: the sentiment decides
        ("阿姨做饭很好吃，干活也很麻利", Intent.PRAISE),
        ("月嫂特别有耐心，宝宝带得好", Intent.PRAISE),
        ("The cleaner did a great job", Intent.PRAISE),
        # a topic word followed by praise in its clause is no complaint
        ("阿姨态度特别好，下次还约她", Intent.PRAISE),
        ("客服态度也很好，解释得很清楚", Intent.PRAISE),
        # praise, then a contrast: what follows the contrast is what the customer means
        ("阿姨挺好的，就是干活有点慢", Intent.COMPLAINT),
        ("整体还不错，但是饭菜太咸了", Intent.COMPLAINT),
        # negated praise is a complaint
        ("这次做的饭一点都不好吃", Intent.COMPLAINT),
        ("说实话不是很满意", Intent.COMPLAINT),
        # negative evaluation without a category cue is still a complaint, even as a question
        ("怎么这么慢？", Intent.COMPLAINT),
        ("太失望了，再也不会约你们家了", Intent.COMPLAINT),
        # sentiment words inside neutral words count for nothing
        ("好几次了，还是这样", Intent.COMPLAINT),
        ("下午好", Intent.GREETING),
    ],
)
def test_sentiment_tells_praise_from_complaint(lexicon_only: LayeredClassifier, text: str, intent: Intent):
    result = lexicon_only.classify(text)
    assert result.intent is intent, result.cues


def test_sentiment_cues_explain_praise_and_complaint(lexicon_only: LayeredClassifier):
    praise = lexicon_only.classify("阿姨做饭很好吃")
    assert any(c.layer == "sentiment" and c.target == "positive" for c in praise.cues)
    complaint = lexicon_only.classify("阿姨挺好的，就是有点慢")
    assert any(c.layer == "sentiment" and c.target == "negative" for c in complaint.cues)


def test_contrast_weighs_the_clause_after_it():
    lexicon = Lexicon.load()
    plain = lexicon.scan("阿姨很慢")
    after = lexicon.scan("阿姨很好，但是很慢")
    (slow_plain,) = [h for h in plain.sentiment if h.target == "negative"]
    (slow_after,) = [h for h in after.sentiment if h.target == "negative"]
    (good_before,) = [h for h in after.sentiment if h.target == "positive"]
    assert slow_after.weight == 2 * slow_plain.weight
    assert good_before.weight < slow_after.weight
    assert lexicon.scan("阿姨有点慢").negative == lexicon.scan("阿姨慢").negative  # a hedge alone adds nothing


def test_a_topic_word_then_praise_is_no_category_cue():
    lexicon = Lexicon.load()
    assert lexicon.scan("师傅态度特别好").scores == {}
    assert lexicon.scan("师傅态度特别差").scores  # the same topic with a bad verdict stays a cue


def test_negation_noise_does_not_negate(lexicon_only: LayeredClassifier):
    # 特别 holds 别 ("don't"); it must not flip the praise that follows it
    assert lexicon_only.classify("阿姨特别特别棒").intent is Intent.PRAISE


def test_an_operator_lexicon_without_sentiment_still_loads():
    lexicon = Lexicon.parse('[categories.quality]\nwords = { "脏" = 2.0 }\n')
    scan = lexicon.scan("很好")
    assert (scan.positive, scan.negative, scan.sentiment) == (0.0, 0.0, [])


def test_a_question_about_something_withheld_is_a_complaint(lexicon_only: LayeredClassifier):
    assert lexicon_only.classify("怎么没给我开发票？").intent is Intent.COMPLAINT
    assert lexicon_only.classify("小程序用不了吗？").intent is Intent.COMPLAINT
    assert lexicon_only.classify("请问可以开发票吗？").intent is Intent.ENQUIRY
