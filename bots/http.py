"""HTTP helpers shared by every aiohttp endpoint: JSON bodies in, JSON errors out.

Every error answer has the shape `{"error": {"code": …, "message": …}}` with the message
from the catalogue in the request's language (`Accept-Language`, default Chinese).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from aiohttp import web

from intake.errors import InvalidInput
from intake.messages import text


def request_locale(request: web.Request) -> str:
    """`en` when the caller prefers English, else `zh`."""
    accept = request.headers.get("Accept-Language", "")
    return "en" if accept.lower().startswith("en") else "zh"


def json_error(request: web.Request, status: int, code: str, **variables: Any) -> web.Response:
    """A JSON error answer with a catalogue message."""
    message = text(code, request_locale(request), **variables)
    return web.json_response({"error": {"code": code, "message": message, **_plain(variables)}}, status=status)


def fail(request: web.Request, status: int, code: str, **variables: Any) -> NoReturn:
    """Raise a JSON error answer (for use deep inside a handler)."""
    raise _HTTPJsonError(json_error(request, status, code, **variables))


class _HTTPJsonError(web.HTTPException):
    """An aiohttp exception carrying a prepared JSON error response."""

    def __init__(self, response: web.Response) -> None:
        self.status_code = response.status
        super().__init__(text=response.text, content_type="application/json")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole request body; 413 when it is over `limit` bytes (declared or actual)."""
    if request.content_length is not None and request.content_length > limit:
        fail(request, 413, "error.body_too_large", limit=limit)
    body = bytearray()
    while len(body) <= limit:  # read() returns what has arrived so far, not the whole body
        chunk = await request.content.read(limit + 1 - len(body))
        if not chunk:
            break
        body.extend(chunk)
    if len(body) > limit:
        fail(request, 413, "error.body_too_large", limit=limit)
    return bytes(body)


async def read_json_object(request: web.Request, limit: int) -> dict[str, Any]:
    """The request body as a JSON object; a clear 4xx for a too large, invalid or non-object body."""
    body = await read_body(request, limit)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        fail(request, 400, "error.invalid_json")
    if not isinstance(data, dict):
        fail(request, 400, "error.invalid_input", detail="expected a JSON object")
    return data


def required_text(request: web.Request, data: dict[str, Any], name: str, max_length: int = 10_000) -> str:
    """A required, non-empty string field."""
    value = data.get(name)
    if value is None:
        fail(request, 422, "error.missing_field", field=name)
    return _checked_text(request, name, value, max_length)


def optional_text(request: web.Request, data: dict[str, Any], name: str, max_length: int = 500) -> str | None:
    """An optional string field (None when absent or null)."""
    value = data.get(name)
    return None if value is None else _checked_text(request, name, value, max_length)


def _checked_text(request: web.Request, name: str, value: Any, max_length: int) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        fail(request, 422, "error.bad_field", field=name, detail="must be a string")
    value = value.strip()
    if not value:
        fail(request, 422, "error.bad_field", field=name, detail="must not be empty")
    if len(value) > max_length:
        fail(request, 422, "error.bad_field", field=name, detail=f"longer than {max_length} characters")
    return value


def invalid_input_response(request: web.Request, error: InvalidInput) -> web.Response:
    """The 422 answer for a domain `InvalidInput`."""
    return json_error(request, 422, "error.invalid_input", detail=str(error))


def _plain(variables: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in variables.items() if isinstance(value, str | int | float | bool)}
