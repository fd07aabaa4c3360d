"""The one aiohttp application of `tousu serve`: web chat, REST API, webhooks, health.

Middlewares turn domain errors into JSON answers with a clear reason (never a
traceback) and check bearer tokens on `/api/`. Channel adapters contribute their own
routes; a channel that is not configured answers 404 on its route.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bots.api import ApiIntake
from bots.http import json_error
from intake.errors import ConfigError, Forbidden, InvalidInput, InvalidTransition, NotFound, TousuError
from tousu.api import ComplaintsApi
from tousu.auth import PRINCIPAL, Principal, token_digest
from tousu.bootstrap import Runtime
from tousu.console import console_app

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RUNTIME = web.AppKey("runtime", Runtime)

ROUTE_PERMISSIONS = {
    ("POST", "/api/v1/messages"): "messages:create",
    ("POST", "/api/v1/complaints"): "complaints:create",
    ("GET", "/api/v1/complaints"): "complaints:read",
}

ERROR_STATUS: list[tuple[type[TousuError], int]] = [
    (InvalidInput, 422),
    (NotFound, 404),
    (InvalidTransition, 409),
    (Forbidden, 403),
    (ConfigError, 500),
]


def create_app(runtime: Runtime, *, start_background: bool = True) -> web.Application:
    """The aiohttp application over a built `Runtime`.

    With `start_background` the runtime's background parts (`Runtime.start_background`: the
    outbox dispatcher, the routing layer with its SLA watcher, the followers of the other
    processes' lexicon, rules and script saves) run while the app runs.
    """
    app = web.Application(
        middlewares=[error_middleware, auth_middleware],
        client_max_size=runtime.settings.max_body_bytes,
    )
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", home)
    app.add_routes(ApiIntake(runtime.intake, runtime.settings.max_body_bytes).routes())
    app.add_routes(ComplaintsApi(runtime.store, runtime.intake, runtime.settings.max_body_bytes).routes())
    for channel in runtime.channels.values():  # web chat, Telegram, WeChat, WeCom: only the configured ones
        if hasattr(channel, "routes"):
            app.add_routes(channel.routes())
    app.add_subapp("/console", console_app(runtime))
    if start_background:
        app.on_startup.append(_start_background)
    app.on_cleanup.append(_close_runtime)
    return app


async def healthz(request: web.Request) -> web.Response:
    """200 when the database (and Redis, when configured) answer; 503 with the reason otherwise."""
    runtime = request.app[RUNTIME]
    checks: dict[str, str] = {}
    try:
        await runtime.store.ping()
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    if runtime.coordination.redis is not None:
        try:
            await runtime.coordination.redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return web.json_response(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Domain errors → JSON 4xx; anything unexpected → JSON 500 and a log line."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.content_type == "application/json" or error.status < 400:
            raise
        return json_error(request, error.status, _http_code(error.status), detail=error.reason)
    except TousuError as error:
        status = next((code for kind, code in ERROR_STATUS if isinstance(error, kind)), 500)
        return json_error(request, status, error.code, detail=str(error), **_safe(error.details))
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(request, 500, "error.internal")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer tokens on `/api/`: 401 without a valid one, 403 when the role may not."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    permission = _permission_for(request)
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    found = None
    if token:
        async with request.app[RUNTIME].store.snapshot() as tx:
            found = await tx.tokens.find(token_digest(token))
    if found is None:
        response = json_error(request, 401, "error.unauthorized")
        response.headers["WWW-Authenticate"] = 'Bearer realm="tousu"'
        return response
    principal = Principal(*found)
    if permission is None or not principal.may(permission):
        return json_error(request, 403, "error.forbidden")
    request[PRINCIPAL] = principal
    return await handler(request)


def _permission_for(request: web.Request) -> str | None:
    path = request.path
    if path.startswith("/api/v1/complaints/") and request.method == "GET":
        path = "/api/v1/complaints"
    return ROUTE_PERMISSIONS.get((request.method, path))


def _http_code(status: int) -> str:
    return {404: "error.not_found", 405: "error.invalid_input", 413: "error.body_too_large"}.get(
        status, "error.invalid_input"
    )


def _safe(details: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in details.items() if key != "detail" and isinstance(value, str | int)}


async def home(request: web.Request) -> web.Response:
    """The root sends visitors to the web chat."""
    raise web.HTTPFound("/chat")


async def _start_background(app: web.Application) -> None:
    await app[RUNTIME].start_background()


async def _close_runtime(app: web.Application) -> None:
    await app[RUNTIME].close()
