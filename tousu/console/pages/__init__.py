"""The console's pages: every module in this package is one page (or a group of routes).

How to add a page
-----------------
Create `tousu/console/pages/<name>.py` with a module-level `PAGE`::

    from aiohttp import web
    from tousu.console.pages import Page, action, ctx, render

    @action("stats:view")                       # an entry of intake.permissions.PERMISSIONS
    async def dashboard(request: web.Request) -> web.StreamResponse:
        console = ctx(request)                  # runtime, store, user, locale …
        return render(request, "dashboard.html", rows=...)

    PAGE = Page(
        key="dashboard", title="console.nav.dashboard", path="/dashboard",
        permission="stats:view", order=50,
        routes=[web.get("/dashboard", dashboard)],
    )

Templates go to `tousu/console/templates/` and extend `base.html` (blocks `title` and
`content`); static files to `tousu/console/static/` (served at `/console/static/`).
Every handler must be decorated with `@action(...)` (or `@public`): the console refuses a
route that names no permission. POST forms must carry `{{ csrf_field() }}`. Page titles
and labels are catalogue keys (`intake.messages.register`, see `tousu/console/i18n.py`).
The navigation shows a page to the roles its `permission` allows, sorted by `order`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)

ACTION_ATTRIBUTE = "__console_action__"
PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Page:
    """One page (or routes without a navigation entry when `nav` is False)."""

    key: str
    title: str
    path: str
    permission: str
    routes: Sequence[web.RouteDef] = field(default_factory=list)
    order: int = 100
    nav: bool = True


def action(name: str) -> Callable[[H], H]:
    """Name the permission a handler needs; checked by the console middleware."""

    def mark(handler: H) -> H:
        setattr(handler, ACTION_ATTRIBUTE, name)
        return handler

    return mark


def public(handler: H) -> H:
    """A handler anybody may call (login page, static files)."""
    setattr(handler, ACTION_ATTRIBUTE, PUBLIC)
    return handler


def action_of(handler: Any) -> str | None:
    """The permission a handler named, or None."""
    return getattr(handler, ACTION_ATTRIBUTE, None)


def discover() -> list[Page]:
    """Every `PAGE` of the modules of this package, by `order` then key."""
    pages: list[Page] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        page = getattr(loaded, "PAGE", None)
        if isinstance(page, Page):
            pages.append(page)
    return sorted(pages, key=lambda p: (p.order, p.key))


# Re-exported for page modules (imported late: the context imports this module).
from tousu.console.context import ctx, redirect, render  # noqa: E402

__all__ = ["Page", "action", "action_of", "ctx", "discover", "public", "redirect", "render"]
