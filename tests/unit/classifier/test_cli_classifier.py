"""The classifier's CLI subcommands, run as a user runs them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tousu.cli_classifier import corrections_to_rows, main

ROOT = Path(__file__).resolve().parents[3]


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
    )
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == 4
    assert answers[0]["id"] == "a" and answers[0]["category"] == "punctuality"
    assert answers[1]["intent"] == "greeting"
    assert answers[2]["severity"] == "critical"
    assert answers[3]["line"] == 4 and "not JSON" in answers[3]["error"]
    assert "Traceback" not in proc.stderr


def test_classify_with_files_and_lexicon_only(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "退款一直没到账"}\n{"text": 42}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["classify", "--no-model", "--input", str(source), "--output", str(out), "--batch", "1"]) == 0
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["category"] == "billing"
    assert "error" in second


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
    assert "epoch 4/4" in captured.err
    assert "TOUSU_CLASSIFIER_MODEL=" in captured.out
    assert main(["classifier", "eval", "--data", str(data), "--model", str(tmp_path / "m"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["examples"] == 6
    assert set(report["per_class"]) == {"late", "money"}


def test_bad_input_is_one_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert main(["classifier", "train", "--data", str(empty), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "empty" in err and "Traceback" not in err
    assert main(["classifier", "eval", "--data", str(empty), "--model", str(tmp_path / "nope")]) == 2
    assert main(["classify", "--model", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


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
    assert main(["classifier", "export-corrections"]) == 2
    assert "--from" in capsys.readouterr().err


def test_corrections_with_unknown_codes_are_rejected():
    from intake.errors import InvalidInput

    with pytest.raises(InvalidInput, match="nonsense"):
        corrections_to_rows([{"text": "x", "category": "nonsense", "severity": "normal"}])


def test_classify_reads_stdin_in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"text": "谢谢"}\n'))
    assert main(["classify", "--no-model"]) == 0
    assert json.loads(capsys.readouterr().out)["intent"] == "thanks"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        ("编号,备注\n1,阿姨迟到\n2,多收钱\n".encode(), "cannot tell which column"),
        ("内容,类别\n阿姨迟到,守时\n又迟到了,守时\n".encode(), "only one label"),
        (b"\xff\xfe\xfa\xfb\x81\x30\xff,\xfe\n", "neither UTF-8 nor GBK"),
    ],
)
def test_bad_ledgers_are_one_clear_line_for_train_and_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
):
    data = tmp_path / "ledger.csv"
    data.write_bytes(content)
    assert main(["classifier", "train", "--data", str(data), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()
    if message != "only one label":  # evaluating a file of one label is legitimate
        assert main(["classifier", "eval", "--data", str(data)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and message in err


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
