"""The fast segmenter (rjieba) gives exactly jieba's tokens, domain words included."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import pytest

from benchmarks.datasets import candidates
from classifier.segmenter import (
    _REPEATED_UNIT,
    DictEntry,
    Segmenter,
    _total_gap,
    default_dictionary_path,
    read_dictionary,
)
from intake.errors import ConfigError

TRICKY = [
    "我昨天叫的钟点工阿姨迟到了两个小时",
    "月嫂和育儿嫂哪个贵？开荒保洁一次多少钱",
    "油烟机没擦，工具箱也没带",
    "我约了11-45送餐，结果11-35到了",
    "订单号DD-2026-1123-001，专线编号CMNET-NQ-B-FTTO-304501",
    "T_T 太慢了!!! -_-||",
    "官网z.10085.cn打不开，139.gd也不行，serv_G_12M",
    "赞赞赞赞赞，哈哈哈哈哈哈，好好好好好，谢谢谢谢",
    "阿姨阿姨阿姨你在哪",
    "价格20-8的活动没了,不厚道。1.5%的手续费，100%不满意",
    "The cleaner was LATE again!!! 3 times this month.",
    "阿姨遲到了兩個小時，態度還很差勁",
    "  前后有空格  \n换行\r\n还有\t制表符 ",
    "C++ 和 C# 都不会；A&B 公司；email: a.b_c@x.com",
    "Ｆｕｌｌ－ｗｉｄｔｈ　１２３",
    "😡😡😡 阿姨把花瓶打碎了！！！",
    "",
]


def _corpus_texts() -> list[str]:
    """The waimai_10k reviews and COCC tickets from the shared datasets folder (the one
    benchmarks/datasets.py finds), or nothing when it is absent."""
    folder = next((f for f in candidates() if (f / "waimai_10k.csv").is_file()), None)
    if folder is None:
        return []
    with (folder / "waimai_10k.csv").open(encoding="utf-8", newline="") as handle:
        texts = [row["review"] for row in csv.DictReader(handle)]
    cocc = folder / "COCC.txt"
    if cocc.is_file():
        texts += [line.split("\t")[0] for line in cocc.read_text(encoding="utf-8").splitlines()]
    return texts


def _texts() -> list[str]:
    texts = list(TRICKY)
    corpus = resources.files("classifier") / "resources" / "corpus.jsonl"
    if corpus.is_file():
        texts += [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line]
    return texts + _corpus_texts()


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    seg = Segmenter(backend="auto")
    if seg.backend != "rjieba":
        pytest.skip("rjieba is not installed: the jieba backend is used, nothing to compare")
    return seg


def test_rjieba_gives_jiebas_tokens(segmenter: Segmenter):
    texts = _texts()
    different = [
        (t, segmenter.cut(t), segmenter.cut_reference(t))
        for t in texts
        if segmenter.cut(t) != segmenter.cut_reference(t)
    ]
    assert not different, different[:5]
    assert len(texts) > 500


def test_tokens_join_back_to_the_text(segmenter: Segmenter):
    for text in TRICKY:
        assert "".join(segmenter.cut(text)) == text


def test_domain_words_are_kept_whole(segmenter: Segmenter):
    tokens = segmenter.cut("月嫂、育儿嫂和开荒保洁都预约了，油烟机清洗也要")
    for word in ("月嫂", "育儿嫂", "开荒保洁", "油烟机清洗"):
        assert word in tokens


def test_jieba_backend_works_alone():
    seg = Segmenter(backend="jieba")
    assert seg.backend == "jieba"
    assert "育儿嫂" in seg.cut("育儿嫂不会带孩子")


def test_a_malformed_dictionary_is_a_config_error(tmp_path: Path):
    path = tmp_path / "dict.txt"
    path.write_text("阿姨 many n\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        read_dictionary(path)


# Strings of a repeated unit, where equally likely routes and HMM labellings tie: jieba's
# answer then hangs on the last bit of rounding (see classifier/segmenter.py).
REPEATED = [
    "哈哈哈哈哈",
    "哈哈哈哈",
    "哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈",
    "赞赞赞赞",
    "赞赞赞赞赞",
    "好好好好",
    "好好好好好",
    "谢谢谢谢",
    "谢谢谢谢谢谢",
    "啊啊啊啊啊",
    "啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊,饿死了,才送到",
    "超级超级超级",
    "超级超级超级好吃",
    "送餐员超级超级超级慢，差评差评差评",
    "这是最最最最最不满意的一次订餐",
    "价格实惠，赞赞赞赞赞，骑士哥也非常给力。",
    "阿姨好好好好的，谢谢谢谢",
    "11点送到哈哈哈哈哈abc",
    "abc赞赞赞赞赞123",
    "哈哈哈哈哈ab好",
    "哈哈哈哈哈qq好",
    "T_T哈哈哈哈，11-45到的",
    "3个小时啊啊啊啊啊啊啊啊",
    "1111哈哈哈哈2222",
    "12.5%好好好好好",
    "哈哈哈哈 哈哈哈哈\n哈哈哈哈",
    "。。。哈哈哈哈，好好好好！",
    "ＡＢＣ哈哈哈哈",
    "太慢了太慢了太慢了",
    "好吃好吃好吃好吃",
    "不错不错不错",
    "非常好非常好非常好",
    "嗯嗯嗯嗯呵呵呵呵呵嘻嘻嘻嘻",
]
UNITS = ["哈", "赞", "好", "谢", "啊", "嗯", "最", "快", "差", "的", "谢谢", "超级", "好吃", "差评", "阿姨", "太慢了"]
AROUND = [("", ""), ("这是", "不满意"), ("送餐员", "，"), ("11点", "abc"), ("T_T", "12.5%"), ("我们", "了吧")]


def _repeated_table() -> list[str]:
    """The hand-written strings, then every unit 3 to 9 times with words, digits and
    Latin letters around it."""
    texts = list(REPEATED)
    for unit in UNITS:
        for times in range(3, 10):
            texts += [before + unit * times + after for before, after in AROUND]
    return texts


def _cuts_without_jieba(texts: list[str]) -> list[tuple[str, list[str]]]:
    """Each text cut by a fresh rjieba segmenter, checking jieba itself was never loaded."""
    seg = Segmenter(backend="rjieba")
    cuts = [(text, seg.cut(text)) for text in texts]
    assert not seg.reference_loaded, "a text with a repeated unit needed jieba itself"
    return cuts


def test_repeated_units_give_jiebas_tokens_without_loading_jieba(segmenter: Segmenter):
    texts = _repeated_table()
    assert all(_REPEATED_UNIT.search(text) for text in texts)
    different = [(t, got, segmenter.cut_reference(t)) for t, got in _cuts_without_jieba(texts)]
    different = [row for row in different if row[1] != row[2]]
    assert not different, different[:5]
    assert len(texts) > 600


def test_corpus_texts_with_a_repeated_unit_give_jiebas_tokens_without_loading_jieba(segmenter: Segmenter):
    texts = [text for text in _corpus_texts() if _REPEATED_UNIT.search(text)]
    if not texts:
        pytest.skip(f"waimai_10k.csv and COCC.txt not found (looked in {', '.join(map(str, candidates()))})")
    different = [(t, got, segmenter.cut_reference(t)) for t, got in _cuts_without_jieba(texts)]
    different = [row for row in different if row[1] != row[2]]
    assert not different, different[:5]
    assert len(texts) >= 100  # 146 in waimai_10k and COCC


def test_the_total_gap_is_what_jieba_counts_twice(tmp_path: Path):
    import jieba

    main = tmp_path / "dict.txt"
    main.write_text("甲 5 n\n乙 7 n\n甲 3 n\n丁 2 n\n", encoding="utf-8")
    entries = (DictEntry("甲", 10, None), DictEntry("丙", 4, None), DictEntry("丙", 6, None))
    reference = jieba.Tokenizer(str(main))
    reference.initialize()
    for entry in entries:
        reference.add_word(entry.word, entry.freq, entry.tag)
    # jieba-rs: one frequency per word (甲 3, 乙 7, 丁 2), each added word replacing its own.
    jieba_rs_total = (3 + 7 + 2) + (10 - 3) + 4 + (6 - 4)
    assert reference.total == 5 + 7 + 3 + 2 + 10 + 4 + 6
    assert _total_gap(entries, main) == reference.total - jieba_rs_total


def test_a_word_without_frequency_leaves_repeated_units_to_jieba(tmp_path: Path):
    path = tmp_path / "dict.txt"
    path.write_text("阿姨\n月嫂 800 n\n", encoding="utf-8")
    seg = Segmenter(backend="rjieba", dictionary=path)
    assert seg.cut("月嫂") == ["月嫂"]
    assert not seg.reference_loaded
    text = "阿姨哈哈哈哈哈，赞赞赞赞赞"
    assert seg.cut(text) == seg.cut_reference(text)
    assert seg.reference_loaded


def test_an_ascii_word_over_single_letter_words_leaves_the_text_to_jieba(tmp_path: Path):
    path = tmp_path / "dict.txt"
    path.write_text(default_dictionary_path().read_text(encoding="utf-8") + "a 50000 x\nab 3 x\n", encoding="utf-8")
    seg = Segmenter(backend="rjieba", dictionary=path)
    text = "哈哈哈哈哈ab好"  # "ab" may be one step or two: rjieba's route without HMM does not say
    assert seg.cut(text) == seg.cut_reference(text)
    assert seg.reference_loaded
