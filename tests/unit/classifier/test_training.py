"""Training and evaluation from a small ledger; bad ledgers give a clear error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from classifier import load_classifier
from classifier.ledger import read_ledger
from classifier.spacy_model import stratified_split
from classifier.training import evaluate, score, train
from intake.errors import InvalidInput
from intake.records import Category

ROWS = [
    ("阿姨迟到了一个小时", "守时"),
    ("说好九点来，十点才到", "守时"),
    ("今天又来晚了", "守时"),
    ("约好的时间人没来", "守时"),
    ("等了半天阿姨还没到", "守时"),
    ("迟到还不道歉", "守时"),
    ("多收了我五十块钱", "收费"),
    ("退款一直没到账", "收费"),
    ("价格比说好的贵", "收费"),
    ("结账的时候临时加价", "收费"),
    ("押金不退", "收费"),
    ("扣了两次钱", "收费"),
]


def _write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("内容", "类别")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_train_and_evaluate_a_small_ledger(tmp_path: Path):
    data = _write_csv(tmp_path / "ledger.csv", ROWS)
    epochs: list[int] = []
    report = train(data, tmp_path / "model", progress=lambda e, n, loss: epochs.append(e), epochs=6)
    assert report.examples == len(ROWS)
    assert report.labels == {"守时": 6, "收费": 6}
    assert epochs == [1, 2, 3, 4, 5, 6]
    result = evaluate(data, tmp_path / "model")
    assert result.examples == len(ROWS)
    assert result.accuracy >= 0.9  # it has seen these texts
    assert set(result.per_class) == {"守时", "收费"}
    assert sum(map(sum, result.confusion)) == len(ROWS)
    assert "宏平均 F1" in result.format() and "混淆矩阵" in result.format()
    assert "macro-F1" in result.format("en") and "confusion matrix" in result.format("en")


def test_a_trained_model_serves_with_its_labels(tmp_path: Path):
    rows = [(text, "punctuality" if label == "守时" else "billing") for text, label in ROWS]
    data = _write_csv(tmp_path / "ledger.csv", rows, ("text", "label"))
    train(data, tmp_path / "model", epochs=6)
    classifier = load_classifier(model_dir=tmp_path / "model")
    result = classifier.classify("结账的时候又临时加价了")
    assert result.category is Category.BILLING
    assert any(c.layer == "model" for c in result.cues)


@pytest.mark.parametrize("suffix", [".tsv", ".jsonl", ".xlsx", ".txt"])
def test_every_format_reads_the_same(tmp_path: Path, suffix: str):
    path = tmp_path / f"ledger{suffix}"
    if suffix == ".tsv":
        path.write_text("text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in ROWS), encoding="utf-8")
    elif suffix == ".txt":  # headerless text<TAB>label, as labelled corpora come
        path.write_text("".join(f"{t}\t{lab}\n" for t, lab in ROWS), encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in ROWS))
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["投诉内容", "投诉类型"])
        for row in ROWS:
            sheet.append(list(row))
        book.save(path)
    ledger = read_ledger(path)
    assert ledger.texts == [t for t, _ in ROWS]
    assert ledger.labels == [lab for _, lab in ROWS]


def test_gbk_csv_is_read(tmp_path: Path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(("内容,类别\n" + "".join(f"{t},{lab}\n" for t, lab in ROWS)).encode("gbk"))
    assert read_ledger(path).labels[0] == "守时"


def test_named_columns_and_blank_rows(tmp_path: Path):
    path = tmp_path / "ledger.csv"
    path.write_text("编号,描述,结果\n1,阿姨迟到,守时\n2,,守时\n3,多收钱,收费\n", encoding="utf-8")
    ledger = read_ledger(path, text_column="描述", label_column="结果")
    assert ledger.texts == ["阿姨迟到", "多收钱"]
    assert ledger.skipped == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\n\n  \n", "empty"),
        ("header_only.csv", "内容,类别\n".encode(), "no data rows"),
        ("wrong_columns.csv", "编号,备注\n1,x\n".encode(), "cannot tell which column"),
        ("one_class.csv", "内容,类别\n阿姨迟到,守时\n又迟到了,守时\n".encode(), "only one label"),
        ("broken.csv", b"\xff\xfe\xfa\xfb\x81\x30\xff,\xfe\n", "neither UTF-8 nor GBK"),
        ("broken.jsonl", b'{"text": "a", "label": "x"}\n{oops\n', "not a JSON object"),
        ("list.jsonl", b"[1, 2]\n", "JSON object"),
        ("fake.xlsx", b"this is not a zip file", "not a readable Excel"),
        ("ledger.pdf", b"%PDF", "unsupported file type"),
    ],
)
def test_bad_files_give_a_clear_error(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        read_ledger(path)


def test_a_missing_named_column_lists_the_columns(tmp_path: Path):
    path = _write_csv(tmp_path / "ledger.csv", ROWS)
    with pytest.raises(InvalidInput, match="'内容', '类别'"):
        read_ledger(path, text_column="正文")


def test_missing_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(InvalidInput, match="no such file"):
        read_ledger(tmp_path / "nope.csv")


def test_score_computes_macro_f1_and_confusion():
    report = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert report.accuracy == 0.75
    assert report.confusion == [[1, 1], [0, 2]]
    assert report.per_class["a"].precision == 1.0
    assert report.per_class["a"].recall == 0.5
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)


@pytest.mark.parametrize(("suffix", "delimiter"), [(".tsv", "\t"), (".csv", ",")])
def test_stray_quotes_in_texts_keep_every_row(tmp_path: Path, suffix: str, delimiter: str):
    rows = [('阿姨说"马上到，结果一个小时才来', "守时"), ("多收了五十", "收费"), ('他说的"准时"就是迟到', "守时")]
    path = tmp_path / f"ledger{suffix}"
    path.write_text(
        f"text{delimiter}label\n" + "".join(f"{t}{delimiter}{lab}\n" for t, lab in rows + ROWS), encoding="utf-8"
    )
    ledger = read_ledger(path)
    assert ledger.texts[:3] == [t for t, _ in rows]
    assert len(ledger.texts) == len(rows) + len(ROWS)


def test_quoted_cells_with_the_delimiter_still_read(tmp_path: Path):
    path = tmp_path / "ledger.csv"
    path.write_text('内容,类别\n"迟到了,还不道歉",守时\n"多收钱,不给发票",收费\n', encoding="utf-8")
    assert read_ledger(path).texts == ["迟到了,还不道歉", "多收钱,不给发票"]


def test_stratified_split_holds_out_a_share_of_every_label():
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
    train_idx, dev_idx = stratified_split(labels, 0.1, 42, 2)
    assert sorted(train_idx + dev_idx) == list(range(100))
    assert [labels[i] for i in dev_idx].count("a") == 5
    assert [labels[i] for i in dev_idx].count("c") == 2
    assert stratified_split(labels, 0.1, 42, 2) == (train_idx, dev_idx)
    assert stratified_split(labels, 0.1, 42, 3) == (list(range(100)), [])  # "c" too rare for a dev share


def test_early_stopping_picks_the_epochs_on_a_dev_split(tmp_path: Path):
    late = ["阿姨迟到了{}分钟", "约的{}点人还没来", "第{}次来晚了", "等了{}个小时也没人"]
    money = ["多收了我{}块钱", "退款{}天了还没到账", "临时加价{}元", "押金{}元不退"]
    rows = [(p.format(n), "守时") for p in late for n in range(10, 25)]
    rows += [(p.format(n), "收费") for p in money for n in range(10, 25)]
    data = _write_csv(tmp_path / "ledger.csv", rows)
    report = train(data, tmp_path / "model", epochs=8)
    meta = json.loads((tmp_path / "model" / "tousu-model.json").read_text(encoding="utf-8"))
    assert report.examples == 120
    assert meta["settings"]["dev_examples"] == 12
    assert 1 <= meta["settings"]["epochs"] <= 8
    assert meta["settings"]["dev_macro_f1"] > 0.5
    assert evaluate(data, tmp_path / "model").macro_f1 > 0.9


def test_labels_that_name_a_category_count_for_it_others_for_other(tmp_path: Path):
    # 守时 is the console's name of punctuality; 收费 is this company's own word
    data = _write_csv(tmp_path / "ledger.csv", ROWS)
    report = train(data, tmp_path / "model", epochs=6)
    assert report.unnamed_labels == ["收费"]
    meta = json.loads((tmp_path / "model" / "tousu-model.json").read_text(encoding="utf-8"))
    assert meta["category_map"] == {"守时": "punctuality", "收费": "other"}
    classifier = load_classifier(model_dir=tmp_path / "model")
    assert classifier.model is not None
    assert classifier.model.category_map == {"守时": Category.PUNCTUALITY, "收费": Category.OTHER}


def test_a_label_map_says_what_a_company_label_means(tmp_path: Path):
    data = _write_csv(tmp_path / "ledger.csv", ROWS)
    report = train(data, tmp_path / "model", epochs=6, label_map={"收费": "billing"})
    assert report.unnamed_labels == []
    classifier = load_classifier(model_dir=tmp_path / "model")
    result = classifier.classify("结账的时候又临时加价了")
    assert result.category is Category.BILLING
    (model_cue,) = [c for c in result.cues if c.layer == "model"]
    assert (model_cue.text, model_cue.target) == ("收费", "billing")  # the company's word, shown to the agent


def test_a_bad_label_map_is_a_clear_error(tmp_path: Path):
    data = _write_csv(tmp_path / "ledger.csv", ROWS)
    with pytest.raises(InvalidInput) as caught:
        train(data, tmp_path / "model", epochs=1, label_map={"收费": "money"})
    assert "money" in caught.value.detail_text("en")
    assert "billing" in caught.value.detail_text("zh")  # the valid codes are listed
    with pytest.raises(InvalidInput) as caught:
        train(data, tmp_path / "model", epochs=1, label_map={"退款": "billing"})
    assert "退款" in caught.value.detail_text("zh")
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("punctuality", "punctuality"),
        ("守時", "punctuality"),  # traditional characters fold
        ("服务态度", "attitude"),
        ("Staff change", "staff_change"),
        ("ＳＡＦＥＴＹ", "safety"),  # full width folds
        ("套餐问题", "other"),
    ],
)
def test_category_labels_onto_the_taxonomy(label: str, code: str):
    from classifier.labels import taxonomy_map

    assert taxonomy_map([label], Category) == {label: code}


def test_severity_labels_onto_the_taxonomy():
    from classifier.labels import taxonomy_map
    from intake.records import Severity

    found = taxonomy_map(["严重", "Critical", "normal", "高"], Severity)
    assert found == {"严重": "serious", "Critical": "critical", "normal": "normal", "高": None}
