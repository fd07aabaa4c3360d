"""Reply scripts (话术): keys with versions, an editor with a live preview against a real
complaint, validation problems next to their line, rollback to an earlier version."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from intake.errors import ConfigError, InvalidInput, NotFound
from intake.ports import ComplaintFilter
from intake.records import Event
from router.scripts import ScriptKey
from tousu.console.pages import Page, action, ctx, redirect, render
from tousu.console.scripts_admin import Problem, ScriptAdmin

RECENT = 20


def _admin(request: web.Request) -> ScriptAdmin:
    admin = ctx(request).console.scripts
    if admin is None:
        raise ConfigError("the reply scripts of this runtime cannot be edited")
    return admin


def _key(value: str | None) -> str:
    try:
        return str(ScriptKey.parse(value or ""))
    except InvalidInput as error:
        raise NotFound(f"no script {str(value)[:80]}") from error


async def _recent(request: web.Request) -> list[Any]:
    async with ctx(request).store.transaction() as tx:
        return await tx.complaints.list(ComplaintFilter(limit=RECENT))


async def _page(
    request: web.Request, key: str | None, body: str | None, problems: list[Problem], status: int = 200
) -> web.Response:
    admin = _admin(request)
    current = admin.current(key) if key else None
    versions = await admin.history(key) if key else []
    text = body if body is not None else (current.body if current else "")
    lines = text.splitlines() or [""]
    by_line: dict[int, list[str]] = {}
    for problem in problems:
        if problem.line is not None:
            by_line.setdefault(problem.line, []).append(problem.message)
    return render(
        request,
        "scripts.html",
        status=status,
        keys=admin.keys(),
        key=key,
        current=current,
        versions=list(reversed(versions)),
        body=text,
        numbered=[{"n": i, "text": line, "problems": by_line.get(i, [])} for i, line in enumerate(lines, start=1)],
        problems=problems,
        complaints=await _recent(request),
        durable=admin.durable,
    )


@action("scripts:view")
async def scripts(request: web.Request) -> web.StreamResponse:
    """The list of keys, and the editor of one."""
    key = _key(request.query["key"]) if request.query.get("key") else None
    if key is not None and _admin(request).current(key) is None:
        raise NotFound(f"no script {key}")
    return await _page(request, key, None, [])


@action("scripts:view")
async def preview(request: web.Request) -> web.StreamResponse:
    """JSON: the body rendered for a complaint (or sample data) and its problems."""
    context = ctx(request)
    form = await request.post()
    key = _key(str(form.get("key") or ""))
    body = str(form.get("body") or "")
    number = str(form.get("complaint") or "")
    complaint = customer = None
    if number:
        async with context.store.transaction() as tx:
            complaint = await tx.complaints.get(number, with_transcript=False)
            customer = await tx.customers.get(complaint.customer_id) if complaint else None
    admin = _admin(request)
    problems = admin.problems(key, body, context.locale)
    return web.json_response(
        {
            "text": admin.preview(key, body, complaint, customer),
            "problems": [
                {"line": p.line, "message": p.message, "line_label": context.t("console.scripts.line", line=p.line)}
                for p in problems
            ],
        }
    )


@action("scripts:edit")
async def save(request: web.Request) -> web.StreamResponse:
    """Validate and store a new version; problems are shown next to their line."""
    context = ctx(request)
    form = await request.post()
    key = _key(str(form.get("key") or ""))
    body = str(form.get("body") or "").replace("\r\n", "\n")
    admin = _admin(request)
    problems = admin.problems(key, body, context.locale)
    if problems:
        return await _page(request, key, body, problems, status=422)
    version = await admin.save(key, body, context.user.actor, note=str(form.get("note") or "") or None)
    async with context.store.transaction() as tx:
        await tx.audit.append(
            Event(context.user.actor, "script.saved", context.now(), None, {"key": key, "version": version.version})
        )
    redirect(request, f"/scripts?key={key}", "saved")


@action("scripts:edit")
async def rollback(request: web.Request) -> web.StreamResponse:
    """Make an earlier version current again (stored as a new version)."""
    context = ctx(request)
    form = await request.post()
    key = _key(str(form.get("key") or ""))
    try:
        wanted = int(str(form.get("version") or ""))
    except ValueError as error:
        raise InvalidInput("version: a whole number", field="version") from error
    version = await _admin(request).rollback(key, wanted, context.user.actor)
    async with context.store.transaction() as tx:
        await tx.audit.append(
            Event(
                context.user.actor,
                "script.rolled_back",
                context.now(),
                None,
                {"key": key, "to": wanted, "version": version.version},
            )
        )
    redirect(request, f"/scripts?key={key}", "rolled_back")


PAGE = Page(
    key="scripts",
    title="console.nav.scripts",
    path="/scripts",
    permission="scripts:view",
    order=60,
    routes=[
        web.get("/scripts", scripts),
        web.post("/scripts/preview", preview),
        web.post("/scripts/save", save),
        web.post("/scripts/rollback", rollback),
    ],
)
