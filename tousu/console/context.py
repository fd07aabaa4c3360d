"""What a console handler works with: the shared services and the caller of a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from intake.console_ports import ConsoleStore, Session
from intake.messages import label, text
from intake.permissions import ConsoleUser, may
from intake.workflow import TicketWorkflow

if TYPE_CHECKING:
    from tousu.bootstrap import Runtime
    from tousu.console.pages import Page
    from tousu.console.scripts_admin import ScriptAdmin

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
LOCALES = ("zh", "en")
COOKIE = "tousu_console"
LOGIN_CSRF_COOKIE = "tousu_console_login"
LANG_COOKIE = "tousu_lang"


def make_templates() -> Environment:
    """The Jinja2 environment of the console: HTML autoescaping is always on."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@dataclass(slots=True)
class Console:
    """Shared by every request of the console application."""

    runtime: Runtime
    store: ConsoleStore
    templates: Environment
    workflow: TicketWorkflow
    pages: list[Page] = field(default_factory=list)
    scripts: ScriptAdmin | None = None
    services: dict[str, Any] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.runtime.settings.timezone)

    def now(self) -> datetime:
        return self.runtime.clock.now()


CONSOLE = web.AppKey("console", Console)
USER = web.RequestKey("console_user", ConsoleUser)
SESSION = web.RequestKey("console_session", Session)
LOCALE = web.RequestKey("console_locale", str)
LOGIN_CSRF = web.RequestKey("console_login_csrf", str)


@dataclass(slots=True)
class RequestContext:
    """The console, the logged-in user and the locale of one request."""

    console: Console
    request: web.Request

    @property
    def user(self) -> ConsoleUser:
        return self.request[USER]

    @property
    def session(self) -> Session:
        return self.request[SESSION]

    @property
    def locale(self) -> str:
        return self.request.get(LOCALE, "zh")

    @property
    def runtime(self) -> Runtime:
        return self.console.runtime

    @property
    def store(self) -> ConsoleStore:
        return self.console.store

    def t(self, key: str, **variables: Any) -> str:
        return text(key, self.locale, **variables)

    def now(self) -> datetime:
        return self.console.now()


def ctx(request: web.Request) -> RequestContext:
    """The context of a console request."""
    return RequestContext(request.app[CONSOLE], request)


def redirect(request: web.Request, path: str, flash: str | None = None) -> NoReturn:
    """See-other to a console path (relative to /console), with an optional flash message key."""
    prefix = request.app.get(PREFIX_KEY, "/console")
    location = f"{prefix}{path}"
    if flash:
        location += ("&" if "?" in location else "?") + f"flash={flash}"
    raise web.HTTPSeeOther(location)


PREFIX_KEY = web.AppKey("console_prefix", str)


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """Render a console template with the common values (user, nav, csrf, t, labels)."""
    context = ctx(request)
    locale = context.locale
    user = request.get(USER)
    session = request.get(SESSION)
    prefix = request.app.get(PREFIX_KEY, "/console")
    zone = context.console.zone

    def csrf_field() -> Markup:
        token = session.csrf if session is not None else request.get(LOGIN_CSRF, "")
        return Markup('<input type="hidden" name="csrf" value="{}">').format(escape(token))

    def when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value is not None else "—"

    nav = [
        {"key": p.key, "title": text(p.title, locale), "href": prefix + p.path}
        for p in context.console.pages
        if p.nav and user is not None and may(user.role, p.permission)
    ]
    flash = request.query.get("flash")
    body = context.console.templates.get_template(template).render(
        t=lambda key, **kw: text(key, locale, **kw),
        lbl=lambda kind, code: label(kind, str(code), locale) if code is not None else "—",
        when=when,
        csrf_field=csrf_field,
        csrf_token=session.csrf if session is not None else "",
        user=user,
        may=lambda action: user is not None and may(user.role, action),
        nav=nav,
        prefix=prefix,
        locale=locale,
        html_lang="zh-CN" if locale == "zh" else "en",
        flash=text(f"console.flash.{flash}", locale) if flash and flash.isidentifier() else None,
        current_path=request.path,
        **values,
    )
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    """A cookie the page scripts cannot read, sent back only by same-site requests."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=request.app[PREFIX_KEY],
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
    )


def _secure(request: web.Request) -> bool:
    """Secure cookies, except over plain HTTP to a loopback address (development, tests)."""
    if request.secure:
        return True
    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    try:
        return not (host == "localhost" or ip_address(host).is_loopback)
    except ValueError:
        return True
