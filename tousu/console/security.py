"""Passwords (argon2id), session secrets and CSRF tokens of the console."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from intake.console_ports import ConsoleTransaction, Session
from intake.errors import InvalidInput
from intake.permissions import ConsoleUser

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 8

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_dummy: dict[str, str] = {}


def set_hasher_parameters(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Change the argon2id cost of new hashes (old hashes still verify with their own)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _dummy.clear()


def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both answers take as long."""
    if "hash" not in _dummy:
        _dummy["hash"] = _hasher.hash("not a real password, only for equal timing")
    return _dummy["hash"]


def hash_password(password: str) -> str:
    """An argon2id hash of `password`; `InvalidInput` when it is too short."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field="password")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session_id(secret: str) -> str:
    """What the server stores for the secret the cookie holds."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A fresh random secret (cookie value or CSRF token)."""
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two tokens; False when either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What a login attempt gave: a user and the cookie secret, or the reason it failed."""

    user: ConsoleUser | None
    secret: str | None = None
    reason: str = ""


async def login(tx: ConsoleTransaction, username: str, password: str, now: datetime) -> LoginOutcome:
    """Check a password, count failures and lock the account after `MAX_FAILURES`.

    A locked account is refused even with the right password until the lock runs out.
    """
    stored = await tx.users.by_name(username)
    if stored is None:
        verify_password(_dummy_hash(), password)
        return LoginOutcome(None, reason="bad_credentials")
    if stored.locked_until is not None and stored.locked_until > now:
        return LoginOutcome(None, reason="locked")
    if not verify_password(stored.password_hash, password) or stored.user.disabled:
        failures = stored.failed_logins + 1
        locked = now + LOCK_DURATION if failures >= MAX_FAILURES else None
        await tx.users.record_login(stored.user.id, failed=0 if locked else failures, locked_until=locked)
        return LoginOutcome(None, reason="locked" if locked else "bad_credentials")
    await tx.users.record_login(stored.user.id, failed=0, locked_until=None)
    secret = new_secret()
    await tx.sessions.add(Session(session_id(secret), stored.user.id, new_secret(), now, now + SESSION_LIFETIME))
    return LoginOutcome(stored.user, secret)
