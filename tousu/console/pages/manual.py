"""Manual entry: complaints that came by phone, a personal WeChat or a WeChat group.

The same path as `POST /api/v1/complaints`: an `InboundMessage` on the manual channel
through `IntakeService.receive(force_new=True)`, with the agent as the actor and the
source recorded on the complaint.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from intake.dialogue import find_phone
from intake.errors import InvalidInput
from intake.permissions import can_see
from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind
from tousu.api import MANUAL_SOURCES
from tousu.console.pages import Page, action, ctx, redirect, render

RECORD_FIELDS = ("occurred_at", "location", "order_ref", "worker_ref")


@action("complaint:create")
async def form(request: web.Request) -> web.StreamResponse:
    """The entry form."""
    number = request.query.get("number", "")
    created = number if re.fullmatch(r"TS-\d{8}-\d{6}", number) else None
    return render(request, "manual.html", sources=MANUAL_SOURCES, values={}, problem=None, created=created)


def _field(data: dict[str, str], name: str, limit: int) -> str | None:
    value = (data.get(name) or "").strip()
    if len(value) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
    return value or None


def manual_message(data: dict[str, str], now: Any) -> tuple[InboundMessage, str]:
    """The message and source of a manual entry; `InvalidInput` names the bad field."""
    source = data.get("source") or ""
    if source not in MANUAL_SOURCES:
        raise InvalidInput(f"source: one of {', '.join(MANUAL_SOURCES)}", field="source")
    text = _field(data, "text", 10_000)
    if not text:
        raise InvalidInput("text is empty", field="text")
    phone_field = _field(data, "phone", 40)
    phone = find_phone(phone_field) if phone_field else None
    if phone_field and phone is None:
        raise InvalidInput("phone: not a mainland mobile number", field="phone")
    name = _field(data, "customer_name", 100)
    user_id = f"phone:{phone}" if phone else f"manual:{uuid.uuid4().hex}"
    message = InboundMessage(
        channel=ChannelName.MANUAL,
        external_id=_field(data, "external_id", 200) or str(uuid.uuid4()),
        sender=Identity(ChannelName.MANUAL, user_id, display_name=name),
        conversation=ConversationRef(ChannelName.MANUAL, user_id),
        kind=MessageKind.TEXT,
        text=text,
        received_at=now,
        phone=phone,
        name=name,
    )
    return message, source


@action("complaint:create")
async def submit(request: web.Request) -> web.StreamResponse:
    """Take the complaint in through the pipeline, then open its record form."""
    context = ctx(request)
    data = {key: str(value) for key, value in (await request.post()).items()}
    try:
        message, source = manual_message(data, context.now())
        fields = {name: _field(data, name, 64 if name.endswith("_ref") else 200) for name in RECORD_FIELDS}
    except InvalidInput as error:
        return render(
            request, "manual.html", status=422, sources=MANUAL_SOURCES, values=data, problem=str(error), created=None
        )
    result = await context.runtime.intake.receive(message, source=source, force_new=True, actor=context.user.actor)
    if result.complaint is None:
        raise InvalidInput("the entry was not taken in")
    number = result.complaint.number
    async with context.store.transaction() as tx:
        complaint = await tx.complaints.get(number, with_transcript=False)
        if complaint is not None and any(fields.values()):
            for name, value in fields.items():
                if value and getattr(complaint, name) is None:
                    setattr(complaint, name, value)
            await tx.complaints.save(complaint)
    if complaint is not None and can_see(context.user, complaint.team, complaint.assignee):
        redirect(request, f"/tickets/{number}", "created")
    redirect(request, f"/manual?number={number}", "created")


PAGE = Page(
    key="manual",
    title="console.nav.manual",
    path="/manual",
    permission="complaint:create",
    order=30,
    routes=[web.get("/manual", form), web.post("/manual", submit)],
)
