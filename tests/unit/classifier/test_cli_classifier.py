"""The classifier's CLI subcommands, run as a user runs them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tousu.cli_classifier import corrections_to_rows, main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def default_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI follows TOUSU_LOCALE (default Chinese); no stray settings file decides it."""
    for name in ("TOUSU_LOCALE", "TOUSU_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOUSU_DATA_DIR", str(tmp_path / "data"))


def test_classify_streams_json_lines_through_a_real_process():
    lines = [
        {"text": "阿姨今天迟到了", "id": "a"},
        {"text": "你好"},
        {"text": "阿姨对我动手动脚，我报警了"},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n"
    proc = subprocess.run(
        [sys.executable, "-m", "tousu.cli_classifier", "classify"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={**os.environ, "TOUSU_LOCALE": "en"},
    )
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == 4
    assert answers[0]["id"] == "a" and answers[0]["category"] == "punctuality"
    assert answers[1]["intent"] == "greeting"
    assert answers[2]["severity"] == "critical"
    assert answers[3]["line"] == 4 and answers[3]["error"].startswith("line 4: not JSON")
    assert "Traceback" not in proc.stderr


def test_classify_with_files_and_lexicon_only(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "退款一直没到账"}\n{"text": 42}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--no-model", "--input", str(source), "--output", str(out), "--batch", "1"]) == 0
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["category"] == "billing"
    assert second["error"] == "第 2 行：需要字符串字段 'text'"


def test_train_eval_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data = tmp_path / "ledger.jsonl"
    rows = [
        ("阿姨迟到了", "late"),
        ("又来晚了", "late"),
        ("人没来", "late"),
        ("多收钱", "money"),
        ("退款没到", "money"),
        ("临时加价", "money"),
    ]
    data.write_text("".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in rows))
    assert main(["classifier", "train", "--data", str(data), "--out", str(tmp_path / "m"), "--epochs", "4"]) == 0
    captured = capsys.readouterr()
    assert "第 4/4 轮" in captured.err and "训练中" in captured.err
    assert "已用 6 条样本训练" in captured.out and "模型已写入" in captured.out
    assert "TOUSU_CLASSIFIER_MODEL=" in captured.out
    assert main(["classifier", "eval", "--data", str(data), "--model", str(tmp_path / "m"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["examples"] == 6
    assert set(report["per_class"]) == {"late", "money"}


def test_train_and_eval_speak_english_under_the_english_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    data = tmp_path / "ledger.csv"
    data.write_text("text,label\n阿姨迟到了,late\n又来晚了,late\n多收钱,money\n退款没到,money\n", encoding="utf-8")
    model = tmp_path / "m"
    assert main(["classifier", "train", "--data", str(data), "--out", str(model), "--epochs", "2"]) == 0
    assert main(["classifier", "eval", "--data", str(data), "--model", str(model)]) == 0
    chinese = capsys.readouterr().out
    assert "准确率" in chinese and "宏平均 F1" in chinese and "精确率" in chinese and "召回率" in chinese
    assert "混淆矩阵（行：真实标签，列：预测标签）" in chinese and "accuracy" not in chinese
    monkeypatch.setenv("TOUSU_LOCALE", "en")
    assert main(["classifier", "train", "--data", str(data), "--out", str(model), "--epochs", "2"]) == 0
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.err and "trained on 4 examples" in captured.out
    assert "model written to" in captured.out and "模型" not in captured.out
    assert main(["classifier", "eval", "--data", str(data), "--model", str(model)]) == 0
    english = capsys.readouterr().out
    assert "accuracy" in english and "macro-F1" in english and "precision" in english and "support" in english
    assert "confusion matrix (rows: true label, columns: predicted)" in english and "准确率" not in english


def test_bad_input_is_one_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert main(["classifier", "train", "--data", str(empty), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err == f"错误：{empty}：文件是空的\n"
    assert main(["classifier", "eval", "--data", str(empty), "--model", str(tmp_path / "nope")]) == 2
    assert main(["classify", "--model", str(tmp_path / "nope")]) == 2
    assert f"分类模型目录 {tmp_path / 'nope'} 不存在" in capsys.readouterr().err


def test_bad_input_in_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TOUSU_LOCALE", "en")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert main(["classifier", "train", "--data", str(empty), "--out", str(tmp_path / "m")]) == 2
    assert capsys.readouterr().err == f"error: {empty}: the file is empty\n"
    assert main(["classify", "--model", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["classifier", "export-corrections"]) == 2
    assert capsys.readouterr().err.startswith("error: no corrections store is configured here; pass --from FILE")


def test_export_corrections_last_one_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    source = tmp_path / "corrections.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(x, ensure_ascii=False)
            for x in [
                {"number": "TS-20261123-000001", "text": "阿姨没来", "category": "booking", "severity": "normal"},
                {"number": "TS-20261123-000001", "text": "阿姨没来", "category": "punctuality", "severity": "normal"},
                {"number": "TS-20261123-000002", "text": "花瓶碎了", "category": "damage", "severity": "serious"},
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "train.jsonl"
    assert main(["classifier", "export-corrections", "--from", str(source), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["category"] for r in rows] == ["punctuality", "damage"]
    assert "已写出 2 行训练数据" in capsys.readouterr().err
    assert main(["classifier", "export-corrections"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "--from" in err


def test_corrections_with_unknown_codes_are_rejected():
    from intake.errors import InvalidInput

    with pytest.raises(InvalidInput, match="nonsense") as caught:
        corrections_to_rows([{"text": "x", "category": "nonsense", "severity": "normal"}])
    assert "未知的类别 'nonsense'" in caught.value.detail_text("zh")


def test_classify_reads_stdin_in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"text": "谢谢"}\n'))
    assert main(["classify", "--no-model"]) == 0
    assert json.loads(capsys.readouterr().out)["intent"] == "thanks"


BAD_LEDGERS = [
    (b"", "文件是空的", "the file is empty"),
    ("编号,备注\n1,阿姨迟到\n2,多收钱\n".encode(), "无法判断哪一列是文本", "cannot tell which column holds the text"),
    ("内容,类别\n阿姨迟到,守时\n又迟到了,守时\n".encode(), "只有一种标签", "only one label"),
    (b"\xff\xfe\xfa\xfb\x81\x30\xff,\xfe\n", "既不是 UTF-8 也不是 GBK", "neither UTF-8 nor GBK"),
]


@pytest.mark.parametrize(("content", "chinese", "english"), BAD_LEDGERS)
def test_bad_ledgers_are_one_clear_line_for_train_and_eval(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    chinese: str,
    english: str,
):
    data = tmp_path / "ledger.csv"
    data.write_bytes(content)
    for locale, prefix, message in (("zh", "错误：", chinese), ("en", "error: ", english)):
        monkeypatch.setenv("TOUSU_LOCALE", locale)
        assert main(["classifier", "train", "--data", str(data), "--out", str(tmp_path / "m")]) == 2
        err = capsys.readouterr().err
        assert err.startswith(prefix) and message in err and "Traceback" not in err and len(err.splitlines()) == 1
        assert not (tmp_path / "m").exists()
        if english != "only one label":  # evaluating a file of one label is legitimate
            assert main(["classifier", "eval", "--data", str(data)]) == 2
            err = capsys.readouterr().err
            assert err.startswith(prefix) and message in err


@pytest.mark.parametrize(
    ("name", "content", "chinese", "english"),
    [
        ("ledger.xlsx", b"PK not really a workbook", "无法读取的 Excel .xlsx 文件", "not a readable Excel .xlsx file"),
        ("ledger.pdf", b"%PDF", "不支持的文件类型 .pdf", "unsupported file type .pdf"),
        (
            "ledger.jsonl",
            b'{"text": "x", "label": "a"}\n[1]\n',
            "第 2 行：每行应是一个 JSON 对象",
            ":2: expected a JSON object",
        ),
    ],
)
def test_unreadable_files_in_both_locales(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    chinese: str,
    english: str,
):
    data = tmp_path / name
    data.write_bytes(content)
    assert main(["classifier", "train", "--data", str(data), "--out", str(tmp_path / "m")]) == 2
    assert chinese in capsys.readouterr().err
    monkeypatch.setenv("TOUSU_LOCALE", "en")
    assert main(["classifier", "train", "--data", str(data), "--out", str(tmp_path / "m")]) == 2
    assert english in capsys.readouterr().err


def test_classify_streams_a_large_input_in_order(tmp_path: Path):
    texts = ["阿姨迟到了一个小时", "你好", "多收了我五十块钱", "阿姨把花瓶打碎了", "谢谢"]
    source = tmp_path / "in.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for i in range(3000):
            handle.write(json.dumps({"id": i, "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--input", str(source), "--output", str(out), "--batch", "256"]) == 0
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == list(range(3000))
    assert [answers[i]["category"] for i in (0, 2, 3)] == ["punctuality", "billing", "damage"]
    assert answers[1]["intent"] == "greeting" and answers[4]["intent"] == "thanks"


def test_stream_counts_bad_lines_and_keeps_order():
    from classifier import load_classifier
    from tousu.cli_classifier import stream

    source = io.StringIO('{"text": "阿姨迟到了", "id": 1}\n\nnot json\n{"text": 5}\n{"text": "多收钱", "id": 2}\n')
    sink = io.StringIO()
    assert stream(load_classifier(use_model=False), source, sink, batch=2) == 2
    answers = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [a.get("id", a.get("line")) for a in answers] == [1, 3, 4, 2]
    assert answers[0]["category"] == "punctuality" and answers[3]["category"] == "billing"


def test_train_maps_company_labels_and_says_which_it_could_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    rows = ["text,label"] + [f"阿姨迟到了{i}分钟,守时" for i in range(6)] + [f"套餐多扣了{i}元,扣费" for i in range(6)]
    data = tmp_path / "ledger.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["classifier", "train", "--data", str(data), "--out", str(tmp_path / "a"), "--epochs", "2"]) == 0
    err = capsys.readouterr().err
    assert "扣费" in err and "--map" in err and "其他" in err
    argv = ["classifier", "train", "--data", str(data), "--out", str(tmp_path / "b"), "--epochs", "2"]
    assert main([*argv, "--map", "扣费=billing"]) == 0
    assert "--map" not in capsys.readouterr().err
    assert main([*argv, "--map", "扣费"]) == 2
    assert capsys.readouterr().err.strip() == "错误：--map 扣费：应写成 标签=类别代码"
