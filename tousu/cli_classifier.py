"""The classifier's command-line subcommands: `tousu classify` and `tousu classifier
train|eval|export-corrections`.

`tousu/cli.py` calls `register(subparsers)` on its argparse sub-parsers and then runs
`args.handler(args)`, which returns the exit status. Errors in the input are printed as
one clear line on stderr (exit status 2), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from classifier import load_classifier
from classifier.ledger import iter_jsonl
from classifier.training import evaluate, shipped_corpus_path, train
from intake.errors import ConfigError, InvalidInput
from intake.records import Category, Severity

# Supplies stored corrections for `export-corrections` (wired by the shell to the store):
# each mapping has at least "text", "category" and "severity", optionally "number",
# "original_category", "original_severity" and "at".
CorrectionSource = Callable[[argparse.Namespace], Iterable[Mapping[str, Any]]]

MODEL_ENV = "TOUSU_CLASSIFIER_MODEL"
LEXICON_ENV = "TOUSU_LEXICON_PATH"  # the same setting as the service
BATCH = 512


def register(subparsers: Any, corrections: CorrectionSource | None = None, *, include_classify: bool = True) -> None:
    """Add `classify` and `classifier ...` to an argparse sub-parser collection.

    `tousu/cli.py` passes `tousu.corrections.stored_corrections`, so `export-corrections`
    reads the configured database unless `--from FILE` is given.
    """
    if include_classify:
        _register_classify(subparsers)
    _register_group(subparsers, corrections)


def _register_classify(subparsers: Any) -> None:
    classify = subparsers.add_parser(
        "classify", help="classify JSON lines {'text': ...} from stdin, one JSON line out per line in"
    )
    _model_options(classify)
    classify.add_argument("--input", type=Path, help="read this file instead of stdin")
    classify.add_argument("--output", type=Path, help="write to this file instead of stdout")
    classify.add_argument("--batch", type=int, default=BATCH, help=f"texts per model batch (default {BATCH})")
    classify.set_defaults(handler=run_classify)


def _register_group(subparsers: Any, corrections: CorrectionSource | None) -> None:
    group = subparsers.add_parser("classifier", help="train, evaluate and feed the classifier")
    commands = group.add_subparsers(dest="classifier_command", required=True)

    train_parser = commands.add_parser("train", help="train a model from a labelled CSV/TSV/XLSX/JSONL file")
    train_parser.add_argument("--data", type=Path, required=True)
    train_parser.add_argument("--out", type=Path, required=True, help="directory to write the model to")
    _column_options(train_parser)
    train_parser.add_argument("--severity-column", help="optional column with normal/serious/critical")
    train_parser.add_argument("--epochs", type=int, default=None)
    train_parser.set_defaults(handler=run_train)

    eval_parser = commands.add_parser("eval", help="score a model on a labelled file")
    eval_parser.add_argument("--data", type=Path, required=True)
    eval_parser.add_argument("--model", type=Path, help=f"model directory (default ${MODEL_ENV} or the shipped one)")
    _column_options(eval_parser)
    eval_parser.add_argument("--json", action="store_true", help="print the report as JSON")
    eval_parser.set_defaults(handler=run_eval)

    export = commands.add_parser(
        "export-corrections", help="write agents' corrections of category/severity as training JSON lines"
    )
    export.add_argument("--out", type=Path, help="file to write (default stdout)")
    export.add_argument("--from", dest="source", type=Path, help="read corrections from this JSON lines file")
    export.add_argument("--with-corpus", action="store_true", help="append the shipped training corpus")
    export.set_defaults(handler=lambda args: run_export_corrections(args, corrections))


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help=f"model directory (default ${MODEL_ENV} or the shipped one)")
    parser.add_argument("--lexicon", type=Path, help=f"lexicon TOML (default ${LEXICON_ENV} or the shipped one)")
    parser.add_argument("--no-model", action="store_true", help="use the lexicon layer only")


def _column_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-column", help="column with the complaint text (guessed when omitted)")
    parser.add_argument("--label-column", help="column with the label (guessed when omitted)")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


# ---------------------------------------------------------------------- classify


def run_classify(args: argparse.Namespace) -> int:
    """`tousu classify`: stream JSON lines through the classifier."""
    try:
        classifier = load_classifier(
            args.model or _env_path(MODEL_ENV), args.lexicon or _env_path(LEXICON_ENV), use_model=not args.no_model
        )
    except (ConfigError, InvalidInput) as exc:
        return _fail(str(exc))
    with ExitStack() as stack:
        try:
            source = stack.enter_context(args.input.open(encoding="utf-8")) if args.input else sys.stdin
            sink = stack.enter_context(args.output.open("w", encoding="utf-8")) if args.output else sys.stdout
        except OSError as exc:
            return _fail(str(exc))
        stream(classifier, source, sink, args.batch)
    return 0


def stream(classifier: Any, source: TextIO, sink: TextIO, batch: int = BATCH) -> int:
    """Classify JSON lines from `source` into `sink` in batches; returns the count of bad lines.

    Lines are read lazily and answered in order, one batch at a time, so memory stays
    flat on any input size; an interactive source is answered line by line. A bad line
    gets `{"line": N, "error": ...}` in its place.
    """
    failures = 0
    size = 1 if source.isatty() else max(1, batch)
    for chunk in _batches(iter_jsonl(source), size):
        texts = [str(obj.get("text") or "") if obj is not None else "" for _, obj, _ in chunk]
        results = classifier.classify_many(texts)
        for (number, obj, error), result in zip(chunk, results, strict=True):
            answer = _answer(number, obj, error, result.to_json())
            failures += "error" in answer
            sink.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sink.flush()
    return failures


def _answer(number: int, obj: Mapping[str, Any] | None, error: str | None, result: dict[str, Any]) -> dict[str, Any]:
    if error is not None or obj is None:
        return {"line": number, "error": error}
    if not isinstance(obj.get("text"), str):
        return {"line": number, "error": f"line {number}: needs a string field 'text'"}
    if "id" in obj:
        return {"id": obj["id"], **result}
    return result


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------------- train and eval


def run_train(args: argparse.Namespace) -> int:
    """`tousu classifier train`."""

    def progress(epoch: int, epochs: int, loss: float) -> None:
        bar = "#" * round(30 * epoch / epochs)
        print(f"\rtraining [{bar:<30}] epoch {epoch}/{epochs} loss {loss:.4f}", end="", file=sys.stderr, flush=True)

    try:
        report = train(
            args.data,
            args.out,
            args.text_column,
            args.label_column,
            progress,
            severity_column=args.severity_column,
            epochs=args.epochs,
        )
    except (InvalidInput, ConfigError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write the model to {args.out}: {exc}")
    print(file=sys.stderr)
    labels = ", ".join(f"{label} {count}" for label, count in report.labels.items())
    print(f"trained on {report.examples} examples ({report.skipped} rows skipped) in {report.seconds:.1f} s")
    print(f"labels: {labels}")
    if report.dev_examples:
        print(
            f"epochs: {report.epochs}, chosen on {report.dev_examples} held-out rows "
            f"(dev macro-F1 {report.dev_macro_f1:.4f}), then trained on all rows"
        )
    print(f"model written to {report.out_dir}; use it with {MODEL_ENV}={report.out_dir}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """`tousu classifier eval`."""
    try:
        report = evaluate(args.data, args.model or _env_path(MODEL_ENV), args.text_column, args.label_column)
    except (InvalidInput, ConfigError) as exc:
        return _fail(str(exc))
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if args.json else report.format())
    return 0


# ---------------------------------------------------------------------- corrections


def run_export_corrections(args: argparse.Namespace, source: CorrectionSource | None) -> int:
    """`tousu classifier export-corrections`: corrections as training rows (last one per complaint wins)."""
    try:
        if args.source is not None:
            records: Iterable[Mapping[str, Any]] = list(_read_corrections(args.source))
        elif source is not None:
            records = source(args)
        else:
            return _fail("no corrections store is configured here; pass --from FILE (JSON lines)")
        rows = corrections_to_rows(records)
    except (InvalidInput, ConfigError) as exc:
        return _fail(str(exc))
    if args.with_corpus:
        rows += [json.loads(line) for line in shipped_corpus_path().read_text(encoding="utf-8").splitlines() if line]
    with ExitStack() as stack:
        try:
            sink: TextIO = stack.enter_context(args.out.open("w", encoding="utf-8")) if args.out else sys.stdout
        except OSError as exc:
            return _fail(str(exc))
        for row in rows:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} training rows written", file=sys.stderr)
    return 0


def _read_corrections(path: Path) -> Iterator[Mapping[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: {exc}") from exc
    with handle:
        for _, obj, error in iter_jsonl(handle):
            if error is not None or obj is None:
                raise InvalidInput(f"{path}: {error}")
            yield obj


def corrections_to_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Training rows {text, category, severity[, number]} from corrections; validates the codes."""
    by_key: dict[str, dict[str, Any]] = {}
    for index, record in enumerate(records):
        text = str(record.get("text") or "").strip()
        if not text:
            continue
        try:
            category = Category(str(record.get("category")))
            severity = Severity(str(record.get("severity")))
        except ValueError as exc:
            raise InvalidInput(f"correction {record.get('number', index)}: {exc}") from exc
        row: dict[str, Any] = {"text": text, "category": category.value, "severity": severity.value}
        if record.get("number"):
            row["number"] = str(record["number"])
        by_key[row.get("number") or f"#{index}"] = row
    return list(by_key.values())


def main(argv: list[str] | None = None) -> int:
    """Run the classifier subcommands on their own (`python -m tousu.cli_classifier ...`)."""
    parser = argparse.ArgumentParser(prog="tousu")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
