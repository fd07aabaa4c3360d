"""The fast segmenter (rjieba) gives exactly jieba's tokens, domain words included."""

from __future__ import annotations

import csv
import json
import os
from importlib import resources
from pathlib import Path

import pytest

from classifier.segmenter import Segmenter, read_dictionary
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


def _texts() -> list[str]:
    texts = list(TRICKY)
    corpus = resources.files("classifier") / "resources" / "corpus.jsonl"
    if corpus.is_file():
        texts += [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line]
    root = Path(__file__).resolve().parents[3]
    # Beside the checkout, or two levels up for a worktree under wt/NAME (as benchmarks/datasets.py).
    folders = [Path(os.environ["TOUSU_DATASETS"])] if os.environ.get("TOUSU_DATASETS") else []
    folders += [root.parent / "shared" / "datasets", root.parent.parent / "shared" / "datasets"]
    datasets = next((f for f in folders if (f / "waimai_10k.csv").is_file()), folders[0])
    waimai, cocc = datasets / "waimai_10k.csv", datasets / "COCC.txt"
    if waimai.is_file():
        with waimai.open(encoding="utf-8") as handle:
            texts += [row["review"] for row in csv.DictReader(handle)]
    if cocc.is_file():
        texts += [line.split("\t")[0] for line in cocc.read_text(encoding="utf-8").splitlines()]
    return texts


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
