"""Reading a labelled complaint ledger: CSV, TSV, XLSX or JSON lines.

Companies keep their ledger (台账) in Excel; exports arrive as UTF-8 or GBK CSV. Every
problem with a file is an `InvalidInput` that says what is wrong and where, never a
traceback: an empty file, a missing column, a single label, an undecodable encoding.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier import messages as _messages  # noqa: F401 - registers the catalogue entries
from intake.errors import InvalidInput
from intake.messages import Message, entry

TEXT_COLUMNS = ("text", "content", "complaint", "review", "内容", "投诉内容", "文本", "描述", "问题描述", "客户诉求")
LABEL_COLUMNS = ("label", "category", "class", "类别", "分类", "投诉类别", "投诉类型", "问题类型")
SEVERITY_COLUMNS = ("severity", "level", "严重程度", "等级", "级别")
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".jsonl", ".json", ".ndjson")


@dataclass(slots=True)
class Ledger:
    """Texts with their labels (and severities when the file has them)."""

    texts: list[str]
    labels: list[str]
    severities: list[str] | None = None
    skipped: int = 0
    text_column: str = ""
    label_column: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def read_ledger(
    path: Path,
    text_column: str | None = None,
    label_column: str | None = None,
    severity_column: str | None = None,
    *,
    min_classes: int = 2,
) -> Ledger:
    """Read a labelled file; columns are guessed from common names when not given."""
    rows, columns = _rows(path)
    if not rows:
        raise InvalidInput(entry("classifier.ledger.no_rows", path=str(path)))
    text_key = _column(path, columns, text_column, TEXT_COLUMNS, "text")
    label_key = _column(path, columns, label_column, LABEL_COLUMNS, "label")
    severity_key = _optional_column(path, columns, severity_column, SEVERITY_COLUMNS)
    ledger = Ledger([], [], [] if severity_key else None, text_column=text_key, label_column=label_key)
    for row in rows:
        text, label = _cell(row.get(text_key)), _cell(row.get(label_key))
        severity = _cell(row.get(severity_key)) if severity_key else ""
        if not text or not label or (severity_key and not severity):
            ledger.skipped += 1
            continue
        ledger.texts.append(text)
        ledger.labels.append(label)
        if ledger.severities is not None:
            ledger.severities.append(severity)
    if not ledger.texts:
        raise InvalidInput(
            entry(
                "classifier.ledger.no_labelled_rows",
                path=str(path),
                text_column=repr(text_key),
                label_column=repr(label_key),
            )
        )
    ledger.counts = dict(Counter(ledger.labels).most_common())
    if len(ledger.counts) < min_classes:
        raise InvalidInput(
            entry(
                "classifier.ledger.one_label",
                path=str(path),
                column=repr(label_key),
                label=repr(next(iter(ledger.counts))),
                minimum=min_classes,
            )
        )
    if ledger.severities is not None and len(set(ledger.severities)) < 2:
        ledger.severities = None  # one severity only: nothing to learn from it
    return ledger


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _column(path: Path, columns: list[str], wanted: str | None, guesses: tuple[str, ...], role: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise InvalidInput(
                entry("classifier.ledger.no_column", path=str(path), column=repr(wanted), columns=_listed(columns))
            )
        return wanted
    lowered = {c.strip().lower(): c for c in columns}
    for guess in guesses:
        if guess in lowered:
            return lowered[guess]
    raise InvalidInput(
        entry(
            "classifier.ledger.which_column",
            path=str(path),
            role=entry(f"classifier.role.{role}"),
            columns=_listed(columns),
            option=role,
        )
    )


def _listed(columns: list[str]) -> str:
    return ", ".join(map(repr, columns))


def _optional_column(path: Path, columns: list[str], wanted: str | None, guesses: tuple[str, ...]) -> str | None:
    if wanted is not None:
        return _column(path, columns, wanted, guesses, "severity")
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[g] for g in guesses if g in lowered), None)


def _rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown: str | Message = suffix or entry("classifier.ledger.no_suffix")
        raise InvalidInput(
            entry("classifier.ledger.bad_type", path=str(path), suffix=shown, suffixes=", ".join(SUFFIXES))
        )
    if not path.is_file():
        raise InvalidInput(entry("classifier.ledger.no_file", path=str(path)))
    if path.stat().st_size == 0:
        raise InvalidInput(entry("classifier.ledger.empty", path=str(path)))
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    text = _decode(path)
    if not text.strip():
        raise InvalidInput(entry("classifier.ledger.empty", path=str(path)))
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _json_rows(path, text)
    return _delimited_rows(path, text, "," if suffix == ".csv" else "\t")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(entry("classifier.ledger.encoding", path=str(path)))


def _delimited_rows(path: Path, text: str, delimiter: str) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        records = _split_records(text, delimiter)
    except csv.Error as exc:
        kind = "CSV" if delimiter == "," else "TSV"
        raise InvalidInput(entry("classifier.ledger.bad_delimited", path=str(path), kind=kind, error=str(exc))) from exc
    if not records:
        raise InvalidInput(entry("classifier.ledger.empty", path=str(path)))
    header = [cell.strip() for cell in records[0]]
    known = {c.lower() for c in TEXT_COLUMNS + LABEL_COLUMNS + SEVERITY_COLUMNS}
    if len(header) >= 2 and not any(cell.lower() in known for cell in header) and path.suffix.lower() != ".csv":
        # A headerless `text<TAB>label` file (the common export of labelled corpora).
        header = ["text", "label"] + [f"column{i}" for i in range(3, len(header) + 1)]
        body = records
    else:
        body = records[1:]
    return [dict(zip(header, r, strict=False)) for r in body], header


def _split_records(text: str, delimiter: str) -> list[list[str]]:
    """Rows of a delimited file, quotes honoured unless they are plainly part of the text.

    Exports quote cells that hold the delimiter or a line break, but complaint texts
    also hold stray quotes (他说"马上到 ...) that would swallow the following lines. When
    reading every line as one row gives rows of one width and honouring quotes gives
    fewer rows, the quotes were text: the line-by-line reading is used.
    """
    quoted = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in r)]
    plain = [
        r
        for r in csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE)
        if any(cell.strip() for cell in r)
    ]
    if plain and len(quoted) < len(plain) and len({len(r) for r in plain}) == 1:
        return plain
    return quoted


def _json_rows(path: Path, text: str) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(entry("classifier.ledger.bad_json", path=str(path), line=number, error=exc.msg)) from exc
        if not isinstance(row, dict):
            raise InvalidInput(entry("classifier.ledger.not_object", path=str(path), line=number))
        rows.append(row)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return rows, columns


def _xlsx_rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(entry("classifier.ledger.bad_xlsx", path=str(path), error=str(exc))) from exc
    try:
        sheet = book.active
        if sheet is None:
            raise InvalidInput(entry("classifier.ledger.no_sheet", path=str(path)))
        records = [row for row in sheet.iter_rows(values_only=True) if any(c not in (None, "") for c in row)]
    finally:
        book.close()
    if not records:
        raise InvalidInput(entry("classifier.ledger.empty_sheet", path=str(path)))
    header = [_cell(c) or f"column{i}" for i, c in enumerate(records[0], 1)]
    return [dict(zip(header, r, strict=False)) for r in records[1:]], header


def iter_jsonl(stream: io.TextIOBase | Any) -> Iterator[tuple[int, dict[str, Any] | None, Message | None]]:
    """(line number, object or None, problem or None) for each non-blank line of a stream."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, entry("classifier.jsonl.not_json", line=number, error=exc.msg)
            continue
        if not isinstance(obj, dict):
            yield number, None, entry("classifier.jsonl.not_object", line=number)
            continue
        yield number, obj, None
