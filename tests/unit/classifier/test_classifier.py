"""Table tests of the classifier as the service runs it: lexicon, shipped model, entities."""

from __future__ import annotations

import pytest

from classifier.layered import LayeredClassifier
from classifier.model import shipped_model_is_current
from intake.records import Category, Intent, Severity

N, S, C = Severity.NORMAL, Severity.SERIOUS, Severity.CRITICAL

CASES = [
    # one per category, several phrasings
    ("阿姨打扫得一点都不干净，厨房全是油", Category.QUALITY, N),
    ("保洁就擦了擦桌子，两个小时有一半在玩手机", Category.QUALITY, N),
    ("阿姨今天又晚到了四十分钟", Category.PUNCTUALITY, N),
    ("约的九点，人到现在都没来", Category.PUNCTUALITY, N),
    ("师傅说话很冲，还冲我翻白眼", Category.ATTITUDE, N),
    ("客服直接挂我电话，态度太差", Category.ATTITUDE, N),
    ("阿姨什么工具都没带，全用我家的", Category.TOOLS, N),
    ("清洁剂味道好刺鼻，是三无产品吧", Category.TOOLS, N),
    ("小程序下不了单，一直转圈", Category.BOOKING, N),
    ("我的订单被取消了也没人通知我", Category.BOOKING, N),
    ("做完要三百，说好的两百，临时加价", Category.BILLING, N),
    ("退款申请两周了还没到账", Category.BILLING, N),
    ("阿姨把我的真丝裙子洗坏了", Category.DAMAGE, S),
    ("保洁走后抽屉里的现金少了一千", Category.DAMAGE, S),
    ("月嫂给宝宝洗澡把孩子烫伤了", Category.SAFETY, C),
    ("那个维修工发骚扰短信给我", Category.SAFETY, C),
    ("请给我换个阿姨，这个合不来", Category.STAFF_CHANGE, N),
    ("下次别再派这个师傅来了", Category.STAFF_CHANGE, N),
    ("建议你们上门前先打个电话", Category.OTHER, N),
    # severity rules
    ("不给退款是吧，我已经打12315了", Category.BILLING, S),
    ("阿姨态度这么差，我要找媒体曝光你们", Category.ATTITUDE, S),
    ("第三次迟到了，再这样我就换一家公司", Category.PUNCTUALITY, S),
    ("我要找你们经理投诉这个阿姨的态度", Category.ATTITUDE, S),
    ("保姆出去了，把我家两岁的孩子一个人丢在家", Category.QUALITY, S),
    ("护工把老人一个人扔下不管就走了", Category.QUALITY, S),
    ("阿姨偷拍我家里，我已经报警了", Category.SAFETY, C),
    ("阿姨走了煤气没关，家里全是煤气味", Category.SAFETY, C),
    ("你们泄露了我的电话和住址", Category.SAFETY, C),
    # the hard ones of the issue
    ("约好的周六保洁，到点没人来，客服说系统里根本没有我的订单", Category.BOOKING, N),
    ("您好，打扰一下，想反映个小问题：今天阿姨比约定时间晚到了一个小时，麻烦看一下，谢谢", Category.PUNCTUALITY, N),
    ('你们阿姨真是太"准时"了，我等了整整两个小时', Category.PUNCTUALITY, N),
    ("The nanny never showed up this morning", Category.PUNCTUALITY, N),
    ("阿姨遲到了一個多小時，電話也不接", Category.PUNCTUALITY, N),
    ("the cleaner broke my vase", Category.DAMAGE, S),
]


@pytest.mark.parametrize(("text", "category", "severity"), CASES)
def test_category_and_severity(full_classifier: LayeredClassifier, text: str, category: Category, severity: Severity):
    result = full_classifier.classify(text)
    assert (result.category, result.severity) == (category, severity), [c.to_json() for c in result.cues]
    assert result.intent is Intent.COMPLAINT


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", Intent.GREETING),
        ("hello", Intent.GREETING),
        ("谢谢", Intent.THANKS),
        ("谢谢，辛苦了", Intent.THANKS),
        ("查询进度", Intent.PROGRESS),
        ("我的投诉 TS-20261123-000042 处理得怎么样了", Intent.PROGRESS),
        ("阿姨干得太TM好了！！！比我自己打扫的还干净，必须表扬！", Intent.PRAISE),
        ("王阿姨很细心，非常满意", Intent.PRAISE),
        ("请问月嫂一个月多少钱？", Intent.ENQUIRY),
    ],
)
def test_intents_never_open_a_complaint(full_classifier: LayeredClassifier, text: str, intent: Intent):
    result = full_classifier.classify(text)
    assert result.intent is intent
    assert result.severity is Severity.NORMAL


@pytest.mark.parametrize(
    "text",
    [
        "阿姨对我动手动脚",
        "谢谢你们，阿姨把我孩子烫伤了",
        "你好，你们的师傅在我家偷装摄像头",
        "hello, your worker harassed me",
        "孩子从床上摔下来了，育儿嫂在玩手机",
    ],
)
def test_a_safety_complaint_is_never_normal(full_classifier: LayeredClassifier, text: str):
    result = full_classifier.classify(text)
    assert result.severity is Severity.CRITICAL
    assert result.intent is Intent.COMPLAINT


def test_cues_name_the_layers(full_classifier: LayeredClassifier):
    result = full_classifier.classify("阿姨把花瓶打碎了，我要打12315")
    layers = {cue.layer for cue in result.cues}
    assert {"lexicon", "model", "severity"} <= layers
    assert any(e.label == "problem" and e.text == "打碎" for e in result.entities)


def test_batch_and_single_agree(full_classifier: LayeredClassifier):
    texts = [text for text, _, _ in CASES]
    assert full_classifier.classify_many(texts) == [full_classifier.classify(t) for t in texts]


def test_the_shipped_model_matches_the_shipped_corpus():
    assert shipped_model_is_current(), "corpus.jsonl changed: run python scripts/build_classifier_model.py"


def test_confidence_is_a_probability(full_classifier: LayeredClassifier):
    for text, _, _ in CASES:
        assert 0.0 <= full_classifier.classify(text).confidence <= 1.0


def test_the_fast_path_scores_as_spacys_pipe(full_classifier: LayeredClassifier):
    from classifier.spacy_model import SpacyTextModel

    model = full_classifier.model
    assert isinstance(model, SpacyTextModel) and model.light
    texts = [text for text, _, _ in CASES] + ["a b  c", "阿姨 迟到\n了", "😡", "x"]
    fast = model.predict(texts)
    model.light = False
    try:
        through_pipe = model.predict(texts)
    finally:
        model.light = True
    for a, b in zip(fast, through_pipe, strict=True):
        assert a.categories == pytest.approx(b.categories, abs=1e-6)
        assert a.severities == pytest.approx(b.severities, abs=1e-6)
