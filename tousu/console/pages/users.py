"""Administration: console users and roles, and REST API tokens (admins only)."""

from __future__ import annotations

from aiohttp import web

from intake.errors import InvalidInput, NotFound
from intake.permissions import ROLES, check_role
from intake.records import Event
from tousu.auth import ROLES as TOKEN_ROLES
from tousu.auth import new_token, token_digest
from tousu.console.pages import Page, action, ctx, redirect, render
from tousu.console.security import hash_password


async def _form(request: web.Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.post()).items()}


async def _page(
    request: web.Request, token: str | None = None, problem: str | None = None, status: int = 200
) -> web.Response:
    async with ctx(request).store.transaction() as tx:
        users = await tx.users.list()
    return render(
        request,
        "users.html",
        status=status,
        users=users,
        roles=ROLES,
        token_roles=TOKEN_ROLES,
        token=token,
        problem=problem,
    )


@action("users:manage")
async def users(request: web.Request) -> web.StreamResponse:
    """Every account with its role and team."""
    return await _page(request)


@action("users:manage")
async def create(request: web.Request) -> web.StreamResponse:
    """A new account."""
    context, form = ctx(request), await _form(request)
    name = form.get("username", "").strip()
    try:
        if not name or len(name) > 64 or any(ch.isspace() for ch in name):
            raise InvalidInput("a user name is 1–64 characters without spaces", field="username")
        role = check_role(form.get("role", ""))
        password_hash = hash_password(form.get("password", ""))
        now = context.now()
        async with context.store.transaction() as tx:
            await tx.users.add(name, role, password_hash, now, team=form.get("team", "").strip() or None)
            await tx.audit.append(Event(context.user.actor, "user.created", now, None, {"user": name, "role": role}))
    except InvalidInput as error:
        return await _page(request, problem=str(error), status=422)
    redirect(request, "/users", "user_created")


@action("users:manage")
async def change(request: web.Request) -> web.StreamResponse:
    """Change the role, the team or the disabled mark of an account (ends its sessions)."""
    context, form = ctx(request), await _form(request)
    try:
        user_id = int(request.match_info["user_id"])
    except ValueError as error:
        raise NotFound("no such user") from error
    role = check_role(form["role"]) if form.get("role") else None
    disabled = form.get("disabled") == "1"
    now = context.now()
    async with context.store.transaction() as tx:
        stored = await tx.users.by_id(user_id)
        if stored is None:
            raise NotFound("no such user")
        if stored.user.id == context.user.id and (disabled or (role and role != "admin")):
            raise InvalidInput("you cannot disable yourself or take away your own admin role", field="role")
        await tx.users.update(user_id, role=role, team=form.get("team", "").strip(), disabled=disabled)
        await tx.sessions.delete_for_user(user_id)
        await tx.audit.append(
            Event(
                context.user.actor,
                "user.changed",
                now,
                None,
                {"user": stored.user.username, "role": role, "disabled": disabled},
            )
        )
    redirect(request, "/users", "saved")


@action("tokens:manage")
async def create_token(request: web.Request) -> web.StreamResponse:
    """A REST API token, shown once."""
    context, form = ctx(request), await _form(request)
    name = form.get("name", "").strip()
    role = form.get("role", "")
    if not name or len(name) > 128 or role not in TOKEN_ROLES:
        return await _page(request, problem=context.t("error.bad_field", field="name/role", detail=""), status=422)
    token = new_token()
    now = context.now()
    async with context.store.transaction() as tx:
        await tx.tokens.create(name, role, token_digest(token), now)
        await tx.audit.append(Event(context.user.actor, "token.created", now, None, {"name": name, "role": role}))
    return await _page(request, token=token)


@action("tokens:manage")
async def revoke_token(request: web.Request) -> web.StreamResponse:
    """Revoke the tokens of a name."""
    context, form = ctx(request), await _form(request)
    name = form.get("name", "").strip()
    now = context.now()
    async with context.store.transaction() as tx:
        if not await tx.tokens.revoke(name, now):
            raise NotFound(f"no token named {name}")
        await tx.audit.append(Event(context.user.actor, "token.revoked", now, None, {"name": name}))
    redirect(request, "/users", "saved")


PAGE = Page(
    key="users",
    title="console.nav.users",
    path="/users",
    permission="users:manage",
    order=90,
    routes=[
        web.get("/users", users),
        web.post("/users", create),
        web.post("/users/{user_id}", change),
        web.post("/tokens", create_token),
        web.post("/tokens/revoke", revoke_token),
    ],
)
