"""词库 Lexicon: the classifier lexicon in use, an editor that validates with the real
loader (problems next to their line), a 试一试 box classifying a sample with the edited
lexicon, and a save into the data directory that the running classifier uses at once and
that reaches the other processes (`Runtime.lexicon_saves`, see `tousu.tuning`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from classifier.layered import LayeredClassifier
from classifier.lexicon import Lexicon, default_lexicon_path
from intake.errors import ConfigError, InvalidInput
from intake.messages import entry
from intake.messages import text as text_of
from intake.records import Classification, Event
from tousu.console import tuning_text
from tousu.console.pages import Page, action, ctx, redirect, render
from tousu.tuning import (
    LEXICON_FILE,
    MAX_BYTES,
    Problem,
    announcement,
    lexicon_path,
    problems_of,
    save_file,
)

tuning_text.register_catalogue()

SAMPLE_LIMIT = 2000


def _classifier(request: web.Request) -> LayeredClassifier:
    classifier = ctx(request).runtime.classifier
    if not isinstance(classifier, LayeredClassifier):
        raise ConfigError("the classifier of this runtime has no editable lexicon")
    return classifier


def _in_use(request: web.Request) -> Path | None:
    """The file the running lexicon came from (None: the shipped one)."""
    return lexicon_path(ctx(request).runtime.settings)


def _current_text(request: web.Request) -> str:
    path = _in_use(request) or default_lexicon_path()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read lexicon {path}: {error}") from error


def check(text: str, locale: str | None = None) -> tuple[Lexicon | None, list[Problem]]:
    """The lexicon `text` compiles to with the real loader, or its problems (in `locale`, default Chinese)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        return None, [Problem(text_of("tuning.too_large", locale, limit=MAX_BYTES // 1024))]
    try:
        return Lexicon.parse(text, "<edited>"), []
    except ConfigError as error:
        return None, problems_of(error, text, locale)


async def _form(request: web.Request) -> tuple[str, str]:
    form = await request.post()
    body = str(form.get("body") or "").replace("\r\n", "\n")
    sample = str(form.get("sample") or "").strip()[:SAMPLE_LIMIT]
    return body, sample


def _page(
    request: web.Request,
    body: str,
    problems: list[Problem],
    *,
    checked: bool = False,
    sample: str = "",
    result: Classification | None = None,
    status: int = 200,
) -> web.Response:
    settings = ctx(request).runtime.settings
    by_line: dict[int, list[str]] = {}
    for problem in problems:
        if problem.line is not None:
            by_line.setdefault(problem.line, []).append(problem.message)
    lines = body.splitlines() or [""]
    return render(
        request,
        "tuning.html",
        status=status,
        kind="lexicon",
        title_key="tuning.lexicon.title",
        edit_permission="lexicon:edit",
        source=str(_in_use(request) or "") or None,
        target=str(settings.data_dir / LEXICON_FILE),
        override=settings.lexicon_path is not None,
        body=body,
        problems=problems,
        numbered=[{"n": i, "text": line, "problems": by_line.get(i, [])} for i, line in enumerate(lines, start=1)],
        checked=checked,
        sample=sample,
        result=result,
        preview=None,
        choices={},
        chosen={},
    )


@action("lexicon:view")
async def lexicon(request: web.Request) -> web.StreamResponse:
    """The lexicon in use, in the editor."""
    return _page(request, _current_text(request), [])


@action("lexicon:view")
async def validate(request: web.Request) -> web.StreamResponse:
    """Validate the edited lexicon; with a sample text, classify it with the edited lexicon."""
    body, sample = await _form(request)
    edited, problems = check(body, ctx(request).locale)
    result: Classification | None = None
    if edited is not None and sample:
        live = _classifier(request)
        result = LayeredClassifier(edited, live.segmenter, live.model).classify(sample)
    return _page(request, body, problems, checked=True, sample=sample, result=result, status=422 if problems else 200)


@action("lexicon:edit")
async def save(request: web.Request) -> web.StreamResponse:
    """Validate, write `<data_dir>/lexicon.toml` (previous kept as a backup), swap the live
    lexicon, audit, then announce the save to the other processes."""
    context = ctx(request)
    body, _sample = await _form(request)
    if not body.strip():
        raise InvalidInput(entry("tuning.lexicon_empty"), field="body")
    edited, problems = check(body, ctx(request).locale)
    if edited is None:
        return _page(request, body, problems, checked=True, status=422)
    settings = context.runtime.settings
    target = settings.data_dir / LEXICON_FILE
    backup = save_file(target, body, context.now())
    edited.source = str(target)
    previous = _classifier(request).replace_lexicon(edited)
    saved = announcement(body, context.user.actor, context.now())  # what the other processes are told
    details: dict[str, Any] = {
        "file": str(target),
        "bytes": saved["bytes"],
        "sha256": saved["sha256"],
        "backup": str(backup) if backup else None,
        "previous": previous.source,
    }
    async with context.store.transaction() as tx:
        await tx.audit.append(Event(context.user.actor, "lexicon.saved", context.now(), None, details))
    if context.runtime.lexicon_saves is not None:
        await context.runtime.lexicon_saves.announce(saved)
    redirect(request, "/lexicon", "lexicon_saved")


PAGE = Page(
    key="lexicon",
    title="console.nav.lexicon",
    path="/lexicon",
    permission="lexicon:view",
    order=62,
    routes=[
        web.get("/lexicon", lexicon),
        web.post("/lexicon/check", validate),
        web.post("/lexicon/save", save),
    ],
)
