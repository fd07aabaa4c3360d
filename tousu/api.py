"""The REST API of complaints: manual entry, look-up and listing (`/api/v1/complaints`)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bots.http import fail, optional_text, read_json_object, required_text
from intake.dialogue import find_phone
from intake.pipeline import IntakeService
from intake.ports import ComplaintFilter, Store
from intake.records import (
    Category,
    ChannelName,
    ConversationRef,
    Identity,
    InboundMessage,
    MessageKind,
    Severity,
    Status,
)
from tousu.auth import PRINCIPAL

NUMBER_PATTERN = re.compile(r"^TS-\d{8}-\d{6}$")
MANUAL_SOURCES = ("phone", "personal_wechat", "wechat_group", "walk_in", "email", "other")
MAX_PAGE = 500


class ComplaintsApi:
    """Handlers of `/api/v1/complaints`."""

    def __init__(self, store: Store, intake: IntakeService, max_body_bytes: int) -> None:
        self._store = store
        self._intake = intake
        self._limit = max_body_bytes

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes."""
        return [
            web.post("/api/v1/complaints", self.create),
            web.get("/api/v1/complaints", self.list),
            web.get("/api/v1/complaints/{number}", self.get),
        ]

    async def create(self, request: web.Request) -> web.Response:
        """Manual entry of a complaint that came by phone, a personal WeChat or a group."""
        data = await read_json_object(request, self._limit)
        principal = request[PRINCIPAL]
        source = required_text(request, data, "source", 40)
        if source not in MANUAL_SOURCES:
            fail(request, 422, "error.bad_field", field="source", detail=f"one of {', '.join(MANUAL_SOURCES)}")
        message = _manual_message(request, data)
        result = await self._intake.receive(message, source=source, force_new=True, actor=principal.actor)
        if result.complaint is None:
            fail(request, 409, "error.duplicate")
        complaint = await self._apply_record_fields(request, data, result.complaint.number)
        return web.json_response({"complaint": complaint}, status=200 if result.duplicate else 201)

    async def get(self, request: web.Request) -> web.Response:
        """One complaint with its transcript."""
        number = request.match_info["number"].upper()
        if not NUMBER_PATTERN.match(number):
            fail(request, 404, "error.complaint_not_found", number=number[:40])
        async with self._store.snapshot() as tx:
            complaint = await tx.complaints.get(number)
        if complaint is None:
            fail(request, 404, "error.complaint_not_found", number=number)
        return web.json_response({"complaint": complaint.to_json()})

    async def list(self, request: web.Request) -> web.Response:
        """Complaints filtered by status, category, severity, channel, team and assignee."""
        query = _filter_from(request)
        async with self._store.snapshot() as tx:
            complaints = await tx.complaints.list(query)
            total = await tx.complaints.count(query)
        return web.json_response(
            {
                "complaints": [c.to_json(with_transcript=False) for c in complaints],
                "total": total,
                "limit": query.limit,
                "offset": query.offset,
            }
        )

    async def _apply_record_fields(self, request: web.Request, data: dict[str, Any], number: str) -> dict[str, Any]:
        fields = {name: optional_text(request, data, name, 200) for name in _RECORD_FIELDS}
        async with self._store.transaction() as tx:
            complaint = await tx.complaints.get(number)
            assert complaint is not None
            changed = False
            for name, value in fields.items():
                if value and getattr(complaint, name) is None:
                    setattr(complaint, name, value)
                    changed = True
            if changed:
                await tx.complaints.save(complaint)
        return complaint.to_json()


_RECORD_FIELDS = ("occurred_at", "location", "order_ref", "worker_ref")


def _manual_message(request: web.Request, data: dict[str, Any]) -> InboundMessage:
    text = required_text(request, data, "text", 10_000)
    phone_field = optional_text(request, data, "phone", 40)
    phone = find_phone(phone_field) if phone_field else None
    if phone_field and phone is None:
        fail(request, 422, "error.bad_field", field="phone", detail="not a mainland mobile number")
    name = optional_text(request, data, "customer_name", 100)
    user_id = optional_text(request, data, "channel_user_id", 200) or (f"phone:{phone}" if phone else None)
    if user_id is None:
        fail(request, 422, "error.missing_field", field="phone")
    external_id = optional_text(request, data, "external_id", 200) or str(uuid.uuid4())
    return InboundMessage(
        channel=ChannelName.MANUAL,
        external_id=external_id,
        sender=Identity(ChannelName.MANUAL, user_id, display_name=name),
        conversation=ConversationRef(ChannelName.MANUAL, user_id),
        kind=MessageKind.TEXT,
        text=text,
        received_at=datetime.now(UTC),
        phone=phone,
        name=name,
    )


def _filter_from(request: web.Request) -> ComplaintFilter:
    query = request.query
    statuses = tuple(_enum(request, Status, "status", s) for s in query.getall("status", []) if s)
    return ComplaintFilter(
        status=statuses or None,
        category=_enum(request, Category, "category", query.get("category")),
        severity=_enum(request, Severity, "severity", query.get("severity")),
        channel=_enum(request, ChannelName, "channel", query.get("channel")),
        team=query.get("team") or None,
        assignee=query.get("assignee") or None,
        limit=_int(request, "limit", query.get("limit"), 100, 1, MAX_PAGE),
        offset=_int(request, "offset", query.get("offset"), 0, 0, 10**9),
    )


def _enum(request: web.Request, kind: Any, name: str, value: str | None) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        fail(request, 400, "error.bad_field", field=name, detail=f"one of {', '.join(kind)}")


def _int(request: web.Request, name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        fail(request, 400, "error.bad_field", field=name, detail="must be a whole number")
    if not low <= number <= high:
        fail(request, 400, "error.bad_field", field=name, detail=f"between {low} and {high}")
    return number
