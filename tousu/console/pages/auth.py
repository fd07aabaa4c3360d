"""Login, logout and the console's home (the first page the user's role may open)."""

from __future__ import annotations

from aiohttp import web

from intake.errors import Forbidden
from intake.permissions import may
from intake.records import Event
from tousu.console.context import CONSOLE, COOKIE, LOGIN_CSRF, LOGIN_CSRF_COOKIE, PREFIX_KEY, SESSION, USER, set_cookie
from tousu.console.pages import Page, action, ctx, public, render
from tousu.console.security import SESSION_LIFETIME, login, new_secret, same


def _safe_next(request: web.Request, value: str | None) -> str:
    prefix = request.app[PREFIX_KEY]
    if value and value.startswith(prefix + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return prefix + "/"


@public
async def login_form(request: web.Request) -> web.StreamResponse:
    """The login page; sets the pre-login CSRF cookie (double submit)."""
    return _login_page(request, None, "")


def _login_page(request: web.Request, problem: str | None, username: str, status: int = 200) -> web.Response:
    token = new_secret()
    request[LOGIN_CSRF] = token
    response = render(
        request,
        "login.html",
        status=status,
        problem=problem,
        username=username,
        next=_safe_next(request, request.query.get("next")),
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@public
async def login_submit(request: web.Request) -> web.StreamResponse:
    """Check the password; lock the account after repeated failures; start a session."""
    form = await request.post()
    if not same(str(form.get("csrf") or ""), request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise Forbidden("csrf")
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    context = ctx(request)
    if not username or not password:
        return _login_page(request, context.t("console.login.missing"), username, 400)
    now = context.now()
    async with context.store.transaction() as tx:
        outcome = await login(tx, username, password, now)
        await tx.audit.append(
            Event(f"user:{username}", "console.login" if outcome.user else f"console.login_{outcome.reason}", now)
        )
    if outcome.user is None or outcome.secret is None:
        status = 423 if outcome.reason == "locked" else 401
        return _login_page(request, context.t(f"console.login.{outcome.reason}"), username, status)
    response = web.HTTPSeeOther(_safe_next(request, str(form.get("next") or "")))
    set_cookie(request, response, COOKIE, outcome.secret, int(SESSION_LIFETIME.total_seconds()))
    response.del_cookie(LOGIN_CSRF_COOKIE, path=request.app[PREFIX_KEY])
    raise response


@action("session:self")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session on the server and drop the cookie."""
    context = ctx(request)
    async with context.store.transaction() as tx:
        await tx.sessions.delete(request[SESSION].id)
        await tx.audit.append(Event(request[USER].actor, "console.logout", context.now()))
    response = web.HTTPSeeOther(f"{request.app[PREFIX_KEY]}/login?flash=logged_out")
    response.del_cookie(COOKIE, path=request.app[PREFIX_KEY])
    raise response


@action("session:self")
async def home(request: web.Request) -> web.StreamResponse:
    """Send the user to the first page their role may open."""
    user = request[USER]
    for page in request.app[CONSOLE].pages:
        if page.nav and may(user.role, page.permission):
            raise web.HTTPSeeOther(request.app[PREFIX_KEY] + page.path)
    raise Forbidden("no page for this role")


PAGE = Page(
    key="auth",
    title="console.login.title",
    path="/login",
    permission="session:self",
    nav=False,
    order=0,
    routes=[
        web.get("/", home),
        web.get("/login", login_form),
        web.post("/login", login_submit),
        web.post("/logout", logout),
    ],
)
