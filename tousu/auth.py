"""API tokens and the role table: who may call what.

Tokens are random, shown once, and stored only as a SHA-256 digest (a token has 256
bits of entropy, so a plain digest cannot be reversed by guessing).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from aiohttp import web

from intake.errors import InvalidInput

ROLES = ("agent", "lead", "manager", "operator", "admin", "intake")
TOKEN_PREFIX = "tsu_"  # noqa: S105 - a visible prefix, not a secret

PERMISSIONS: dict[str, frozenset[str]] = {
    "messages:create": frozenset({"intake", "admin"}),
    "complaints:create": frozenset({"intake", "agent", "lead", "manager", "admin"}),
    "complaints:read": frozenset({"intake", "agent", "lead", "manager", "operator", "admin"}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a token's name and role."""

    name: str
    role: str

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        return f"token:{self.name}"

    def may(self, permission: str) -> bool:
        """True when the role grants `permission`."""
        return self.role in PERMISSIONS.get(permission, frozenset())


def new_token() -> str:
    """A fresh bearer token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    """`role` when it is one of `ROLES`, else `InvalidInput`."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role}", role=role, roles=", ".join(ROLES))
    return role


PRINCIPAL = web.RequestKey("principal", Principal)
"""Where the auth middleware leaves the caller on the request."""
