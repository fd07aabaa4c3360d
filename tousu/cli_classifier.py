"""The classifier's command-line subcommands: `tousu classify` and `tousu classifier
train|eval|export-corrections`.

`tousu/cli.py` calls `register(subparsers)` on its argparse sub-parsers and then runs
`args.handler(args)`, which returns the exit status. Errors in the input are printed as
one clear line on stderr (exit status 2), never a traceback. Progress, reports and errors
come from the message catalogue in the locale of `TOUSU_LOCALE` (Chinese by default).
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
from intake.messages import Message, entry, text, words
from intake.records import Category, Severity
from tousu import cli_text  # noqa: F401 - registers the catalogue entries
from tousu.config import locale_setting

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
    train_parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="LABEL=CODE",
        help="what a label of your own means to the service, e.g. 套餐问题=billing (repeatable); "
        "labels that name a category (守时, punctuality) need none, the rest count as other",
    )
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


def _fail(detail: str | Message, locale: str) -> int:
    """One line on stderr (`错误：…` / `error: …`) and exit status 2."""
    print(text("cli.error", locale, detail=words(detail, locale)), file=sys.stderr)
    return 2


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


# ---------------------------------------------------------------------- classify


def run_classify(args: argparse.Namespace) -> int:
    """`tousu classify`: stream JSON lines through the classifier."""
    locale = locale_setting()
    try:
        classifier = load_classifier(
            args.model or _env_path(MODEL_ENV), args.lexicon or _env_path(LEXICON_ENV), use_model=not args.no_model
        )
    except (ConfigError, InvalidInput) as exc:
        return _fail(exc.detail_text(locale), locale)
    with ExitStack() as stack:
        try:
            source = stack.enter_context(args.input.open(encoding="utf-8")) if args.input else sys.stdin
            sink = stack.enter_context(args.output.open("w", encoding="utf-8")) if args.output else sys.stdout
        except OSError as exc:
            return _fail(_os_problem("cli.cannot_open", exc), locale)
        stream(classifier, source, sink, args.batch, locale)
    return 0


def _os_problem(key: str, error: OSError) -> Message:
    return entry(key, path=error.filename, error=error.strerror or error)


def stream(classifier: Any, source: TextIO, sink: TextIO, batch: int = BATCH, locale: str | None = None) -> int:
    """Classify JSON lines from `source` into `sink` in batches; returns the count of bad lines.

    Lines are read lazily and answered in order, one batch at a time, so memory stays
    flat on any input size; an interactive source is answered line by line. A bad line
    gets `{"line": N, "error": ...}` in its place, the error in `locale` (default Chinese).
    """
    failures = 0
    size = 1 if source.isatty() else max(1, batch)
    for chunk in _batches(iter_jsonl(source), size):
        texts = [str(obj.get("text") or "") if obj is not None else "" for _, obj, _ in chunk]
        results = classifier.classify_many(texts)
        for (number, obj, error), result in zip(chunk, results, strict=True):
            answer = _answer(number, obj, error, result.to_json(), locale)
            failures += "error" in answer
            sink.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sink.flush()
    return failures


def _answer(
    number: int, obj: Mapping[str, Any] | None, error: Message | None, result: dict[str, Any], locale: str | None
) -> dict[str, Any]:
    if error is not None or obj is None:
        return {"line": number, "error": words(error, locale)}
    if not isinstance(obj.get("text"), str):
        return {"line": number, "error": text("cli.classifier.needs_text", locale, line=number)}
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
    locale = locale_setting()

    def progress(epoch: int, epochs: int, loss: float) -> None:
        bar = f"{'#' * round(30 * epoch / epochs):<30}"
        line = text("cli.classifier.progress", locale, bar=bar, epoch=epoch, epochs=epochs, loss=f"{loss:.4f}")
        print(f"\r{line}", end="", file=sys.stderr, flush=True)

    try:
        label_map = _label_map(args.map)
        report = train(
            args.data,
            args.out,
            args.text_column,
            args.label_column,
            progress,
            severity_column=args.severity_column,
            epochs=args.epochs,
            label_map=label_map,
        )
    except (InvalidInput, ConfigError) as exc:
        return _fail(exc.detail_text(locale), locale)
    except OSError as exc:
        return _fail(entry("cli.classifier.cannot_write_model", path=args.out, error=exc), locale)
    print(file=sys.stderr)
    _print_trained(report, locale)
    return 0


def _label_map(pairs: list[str]) -> dict[str, str]:
    """`--map LABEL=CODE` options as a dict; raises `InvalidInput` for one without `=`."""
    found: dict[str, str] = {}
    for pair in pairs:
        label, sep, code = pair.rpartition("=")
        if not sep or not label.strip() or not code.strip():
            raise InvalidInput(entry("cli.classifier.bad_map", pair=pair))
        found[label.strip()] = code.strip()
    return found


def _print_trained(report: Any, locale: str) -> None:
    labels = ", ".join(f"{label} {count}" for label, count in report.labels.items())
    seconds = f"{report.seconds:.1f}"
    print(text("cli.classifier.trained", locale, examples=report.examples, skipped=report.skipped, seconds=seconds))
    print(text("cli.classifier.labels", locale, labels=labels))
    if report.dev_examples:
        f1 = f"{report.dev_macro_f1:.4f}"
        print(text("cli.classifier.epochs", locale, epochs=report.epochs, dev=report.dev_examples, f1=f1))
    if report.unnamed_labels:
        codes = ", ".join(category.value for category in Category)
        unnamed = ", ".join(report.unnamed_labels)
        print(text("cli.classifier.unnamed", locale, labels=unnamed, codes=codes), file=sys.stderr)
    print(text("cli.classifier.written", locale, path=report.out_dir, env=MODEL_ENV))


def run_eval(args: argparse.Namespace) -> int:
    """`tousu classifier eval`."""
    locale = locale_setting()
    try:
        report = evaluate(args.data, args.model or _env_path(MODEL_ENV), args.text_column, args.label_column)
    except (InvalidInput, ConfigError) as exc:
        return _fail(exc.detail_text(locale), locale)
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=2) if args.json else report.format(locale))
    return 0


# ---------------------------------------------------------------------- corrections


def run_export_corrections(args: argparse.Namespace, source: CorrectionSource | None) -> int:
    """`tousu classifier export-corrections`: corrections as training rows (last one per complaint wins)."""
    locale = locale_setting()
    try:
        if args.source is not None:
            records: Iterable[Mapping[str, Any]] = list(_read_corrections(args.source))
        elif source is not None:
            records = source(args)
        else:
            return _fail(entry("cli.classifier.no_store"), locale)
        rows = corrections_to_rows(records)
    except (InvalidInput, ConfigError) as exc:
        return _fail(exc.detail_text(locale), locale)
    if args.with_corpus:
        rows += [json.loads(line) for line in shipped_corpus_path().read_text(encoding="utf-8").splitlines() if line]
    with ExitStack() as stack:
        try:
            sink: TextIO = stack.enter_context(args.out.open("w", encoding="utf-8")) if args.out else sys.stdout
        except OSError as exc:
            return _fail(_os_problem("cli.cannot_open", exc), locale)
        for row in rows:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(text("cli.classifier.rows_written", locale, count=len(rows)), file=sys.stderr)
    return 0


def _read_corrections(path: Path) -> Iterator[Mapping[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(entry("cli.cannot_read", path=str(path), error=exc.strerror or exc)) from exc
    with handle:
        for _, obj, error in iter_jsonl(handle):
            if error is not None or obj is None:
                raise InvalidInput(entry("cli.cannot_read", path=str(path), error=error))
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
            problem = entry(
                "cli.classifier.bad_correction",
                number=record.get("number", index),
                category=repr(record.get("category")),
                severity=repr(record.get("severity")),
            )
            raise InvalidInput(problem) from exc
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
