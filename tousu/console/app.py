"""`console_app(runtime)`: the agent and operator console, an aiohttp sub-application.

Mounted at `/console` by `tousu.web.create_app`. One middleware does, for every request:
locale (zh default, `?lang=en` switches), the session from its HttpOnly cookie (stored
server-side), CSRF on every unsafe method, and the permission check of the handler's
`@action` against `intake.permissions`. Domain errors become HTML pages with the right
status. Pages are discovered in `tousu/console/pages/` (see its docstring).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from aiohttp import web

from intake.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, TousuError
from intake.permissions import require
from intake.workflow import ChangeHook, TicketWorkflow
from router.scripts import ScriptBook
from storage.sql.console import SqlConsoleStore
from storage.sql.store import SqlStore
from tousu.bootstrap import LIVE_TOPIC, Runtime
from tousu.console import i18n
from tousu.console.context import (
    CONSOLE,
    COOKIE,
    LANG_COOKIE,
    LOCALE,
    LOCALES,
    PREFIX_KEY,
    SESSION,
    STATIC,
    USER,
    Console,
    make_templates,
    set_cookie,
)
from tousu.console.context import render as render_page
from tousu.console.pages import PUBLIC, Handler, action_of, discover
from tousu.console.scripts_admin import BookScriptAdmin, ensure_repository
from tousu.console.security import same, session_id
from tousu.routing_wiring import routing_of

log = logging.getLogger(__name__)

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STATUS = [(InvalidInput, 422), (NotFound, 404), (InvalidTransition, 409), (Forbidden, 403)]
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; script-src 'self'; style-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def console_app(runtime: Runtime, *, prefix: str = "/console") -> web.Application:
    """The console application over a built runtime; mount it with `app.add_subapp(prefix, ...)`."""
    i18n.register_catalogue()
    if not isinstance(runtime.store, SqlStore):
        raise TypeError("the console needs the SQL store")
    app = web.Application(middlewares=[console_middleware])
    store = SqlConsoleStore(runtime.store)
    workflow = TicketWorkflow(
        store,
        runtime.scripts,
        runtime.clock,
        routing_of(runtime).workflow,
        locale=runtime.settings.locale,
        on_change=_change_hook(runtime),
    )
    console = Console(runtime, store, make_templates(), workflow, discover())
    if isinstance(runtime.scripts, ScriptBook):
        durable = ensure_repository(runtime.scripts)
        console.scripts = BookScriptAdmin(
            runtime.scripts,
            durable=durable,
            locale=runtime.settings.locale,
            on_saved=routing_of(runtime).scripts_saved,
        )
    app[CONSOLE] = console
    app[PREFIX_KEY] = prefix
    for page in console.pages:
        app.add_routes(page.routes)
    app.router.add_static("/static", STATIC)
    app.on_shutdown.append(_end_streams)
    return app


async def _end_streams(app: web.Application) -> None:
    """Stop the live streams so the server can shut down at once."""
    for task in list(app[CONSOLE].services.get("sse", ())):
        task.cancel()


def _change_hook(runtime: Runtime) -> ChangeHook:
    """After a console change: wake the dispatcher for replies, tell every open queue."""

    async def changed(number: str, replies: bool) -> None:
        if replies:
            runtime.dispatcher.wake()
        async with runtime.store.snapshot() as tx:
            complaint = await tx.complaints.get(number, with_transcript=False)
        status = str(complaint.status) if complaint is not None else None
        await runtime.coordination.bus.publish(LIVE_TOPIC, {"type": "complaint", "number": number, "status": status})

    return changed


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Locale, session, CSRF, permission; errors as HTML pages (see the module docstring)."""
    _pick_locale(request)
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        response = _error_page(request, error.status, "console.error.http", detail=error.reason)
    except TousuError as error:
        status = next((code for kind, code in STATUS if isinstance(error, kind)), 500)
        if status == 422 and request.method == "GET":
            status = 400  # a bad query parameter (filter, page, size): the request itself is wrong
        if status == 500:
            log.error("console error on %s %s: %s", request.method, request.path, error)
        detail = str(error) if error.entry is None else error.entry.text(request.get(LOCALE, "zh"))
        response = _error_page(request, status, error.code, **_plain(error.details), detail=detail)
    except Exception:
        log.exception("unhandled console error on %s %s", request.method, request.path)
        response = _error_page(request, 500, "error.internal")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    lang = request.query.get("lang")
    if lang in LOCALES and not response.prepared:
        set_cookie(request, response, LANG_COOKIE, lang, 365 * 86400)
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    route_handler = request.match_info.handler
    if isinstance(request.match_info.route.resource, web.StaticResource):
        return await handler(request)
    permission = action_of(route_handler)
    if permission is None:
        log.error("console route %s names no permission; refused", request.path)
        raise Forbidden("this route names no permission")
    if permission == PUBLIC:
        return await handler(request)
    console = request.app[CONSOLE]
    secret = request.cookies.get(COOKIE)
    found = None
    if secret:
        async with console.store.snapshot() as tx:  # every request: reads only, never behind a writer
            session = await tx.sessions.get(session_id(secret), console.now())
            stored = await tx.users.by_id(session.user_id) if session is not None else None
        if session is not None and stored is not None and not stored.user.disabled:
            found = (session, stored.user)
    if found is None:
        if request.method == "GET" and "text/event-stream" not in request.headers.get("Accept", ""):
            target = quote(request.path_qs, safe="")
            raise web.HTTPSeeOther(f"{request.app[PREFIX_KEY]}/login?next={target}")
        return _error_page(request, 401, "console.error.login_required")
    request[SESSION], request[USER] = found
    if request.method in UNSAFE:
        token = request.headers.get("X-CSRF-Token")
        if token is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            token = str((await request.post()).get("csrf") or "") or None
        if not same(token, found[0].csrf):
            return _error_page(request, 403, "console.error.csrf")
    require(found[1], permission)
    return await handler(request)


def _pick_locale(request: web.Request) -> None:
    wanted = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    default = request.app[CONSOLE].runtime.settings.locale
    request[LOCALE] = wanted if wanted in LOCALES else (default if default in LOCALES else "zh")


def _error_page(request: web.Request, status: int, code: str, **details: Any) -> web.Response:
    wants_json = "application/json" in request.headers.get("Accept", "") or request.headers.get("X-CSRF-Token")
    message = i18n.error_text(code, request.get(LOCALE, "zh"), **details)
    if wants_json:
        return web.json_response({"error": code, "message": message}, status=status)
    return render_page(request, "error.html", status=status, status_code=status, message=message)


def _plain(details: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in details.items() if key != "detail" and isinstance(value, str | int)}
