import pytest

from bots.textsplit import char_count, split_message, utf8_bytes


def test_short_text_is_one_piece() -> None:
    assert split_message("您好，已收到。", 4096) == ["您好，已收到。"]


def test_cuts_after_sentence_end_and_loses_nothing() -> None:
    text = "第一句话说明情况。" * 300 + "最后一句"
    pieces = split_message(text, 4096, char_count)
    assert all(len(p) <= 4096 for p in pieces)
    assert all(p.endswith("。") for p in pieces[:-1])
    assert "".join(pieces) == text


def test_wechat_limit_counts_bytes() -> None:
    text = "阿姨迟到了两个小时，" * 100 + "请尽快处理！" * 50
    pieces = split_message(text, 2048, utf8_bytes)
    assert len(pieces) > 1
    assert all(utf8_bytes(p) <= 2048 for p in pieces)
    assert "".join(pieces) == text


def test_text_without_breaks_is_cut_at_the_limit() -> None:
    text = "啊" * 10_000
    pieces = split_message(text, 4096)
    assert [len(p) for p in pieces] == [4096, 4096, 1808]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_message("x", 0)
