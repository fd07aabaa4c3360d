"""The ticket page (投诉处理记录表) and every change an agent makes on it.

Handlers are thin: they parse the form and call `intake.workflow.TicketWorkflow`, which
checks the scope, applies the status rules and writes the audit trail.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from intake.errors import InvalidInput, NotFound
from intake.permissions import can_see, may
from intake.ports import Purpose
from intake.records import Category, NoteKind, Severity, Status
from intake.status import ALLOWED
from intake.workflow import human_duration, sla_state
from tousu.console.pages import Page, action, ctx, redirect, render

NUMBER = re.compile(r"^TS-\d{8}-\d{6}$")
SUGGESTED = (Purpose.STATUS, Purpose.ESCALATION_NOTICE, Purpose.RESOLUTION, Purpose.FOLLOWUP_ADDED)
WEB_MEDIA = re.compile(r"^(https://|http://|/)[^\s\"'<>]*$")


def _number(request: web.Request) -> str:
    number = request.match_info["number"].upper()
    if not NUMBER.match(number):
        raise NotFound(f"complaint {number[:40]} does not exist", number=number[:40])
    return number


async def _form(request: web.Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.post()).items()}


def _enum(kind: Any, value: str | None, field: str) -> Any:
    try:
        return kind(value or "")
    except ValueError as error:
        raise InvalidInput(f"{field}: unknown value", field=field) from error


def _local_time(value: str | None, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput("due: not a date and time", field="due") from error
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


async def _suggestions(request: web.Request, complaint: Any, customer: Any) -> list[dict[str, Any]]:
    workflow = ctx(request).console.workflow
    listing = [
        {
            "number": complaint.number,
            "status": str(complaint.status),
            "category": str(complaint.category),
            "received_at": complaint.received_at.isoformat(),
        }
    ]
    found = []
    for purpose in SUGGESTED:
        reply = workflow.suggested_reply(complaint, purpose, customer, complaints=listing)
        found.append(
            {"purpose": str(purpose), "text": reply.text, "template": reply.template, "version": reply.template_version}
        )
    return found


async def _is_script_text(request: web.Request, number: str, template: str, text: str) -> bool:
    """True when `text` is what the script `template` renders for this ticket (not edited)."""
    context = ctx(request)
    complaint = await context.console.workflow.view(context.user, number)
    async with context.store.snapshot() as tx:
        customer = await tx.customers.get(complaint.customer_id)
    return any(
        s["template"] == template and s["text"].strip() == text.strip()
        for s in await _suggestions(request, complaint, customer)
    )


@action("ticket:view")
async def ticket(request: web.Request) -> web.StreamResponse:
    """The whole record form of one complaint."""
    context = ctx(request)
    number = _number(request)
    workflow = context.console.workflow
    complaint = await workflow.view(context.user, number)
    async with context.store.snapshot() as tx:
        customer = await tx.customers.get(complaint.customer_id)
        notes = await tx.worklog.notes(number)
        followups = await tx.worklog.followups(number)
        merged = await tx.worklog.merged_into(number)
        events = await tx.audit.for_complaint(number)
        others = [c for c in await tx.complaints.for_customer(complaint.customer_id) if c.number != number]
    now = context.now()
    sla = complaint.sla
    deadlines = []
    for name, due, met in (
        ("first_response_due", sla.first_response_due, sla.first_response_at),
        ("first_feedback_due", sla.first_feedback_due, sla.first_feedback_at),
        ("report_due", sla.report_due, sla.resolved_at),
    ):
        if due is None:
            continue
        if met is None and sla.paused_at is not None:
            state, detail = "paused", context.t("console.sla.paused")
        elif met is not None:
            state, detail = (
                "met",
                context.t("console.sla.done_at", time=met.astimezone(context.console.zone).strftime("%m-%d %H:%M")),
            )
        elif due <= now:
            state, detail = "overdue", context.t("console.sla.late", time=human_duration(now - due))
        else:
            state, detail = "on_track", context.t("console.sla.left", time=human_duration(due - now))
        deadlines.append({"name": name, "due": due, "state": state, "detail": detail})
    suggestions = await _suggestions(request, complaint, customer)
    transcript = [
        {
            "entry": entry,
            "images": [m for m in entry.media if m.kind == "image" and WEB_MEDIA.match(m.ref)],
            "other_media": [m for m in entry.media if not (m.kind == "image" and WEB_MEDIA.match(m.ref))],
        }
        for entry in complaint.transcript
    ]
    return render(
        request,
        "ticket.html",
        c=complaint,
        customer=customer,
        notes=notes,
        followups=followups,
        merged=merged,
        others=[c for c in others if can_see(context.user, c.team, c.assignee)],
        events=events,
        deadlines=deadlines,
        sla=sla_state(complaint, now),
        suggestions=suggestions,
        transcript=transcript,
        next_statuses=[s for s in ALLOWED[complaint.status] if s != Status.RESOLVED],
        can_resolve=Status.RESOLVED in ALLOWED[complaint.status],
        categories=list(Category),
        severities=list(Severity),
        note_kinds=list(NoteKind),
        deliverable=complaint.conversation.channel not in ("manual", "api"),
        can_reassign=may(context.user.role, "ticket:reassign"),
        can_escalate=may(context.user.role, "ticket:escalate"),
    )


@action("ticket:status")
async def change_status(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    await context.console.workflow.change_status(context.user, number, _enum(Status, form.get("status"), "status"))
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:classify")
async def classify(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    await context.console.workflow.correct(
        context.user,
        number,
        _enum(Category, form.get("category"), "category"),
        _enum(Severity, form.get("severity"), "severity"),
    )
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:note")
async def note(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    kind = _enum(NoteKind, form.get("kind"), "kind")
    await context.console.workflow.add_note(context.user, number, kind, form.get("text", ""))
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:followup")
async def followup(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    due = _local_time(form.get("due"), context.console.zone)
    owner = form.get("owner") or context.user.username
    await context.console.workflow.add_followup(context.user, number, form.get("text", ""), owner, due)
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:followup")
async def followup_done(request: web.Request) -> web.StreamResponse:
    context, number = ctx(request), _number(request)
    try:
        step = int(request.match_info["step"])
    except ValueError as error:
        raise NotFound("no such step") from error
    await context.console.workflow.complete_followup(context.user, number, step)
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:reply")
async def reply(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    version = form.get("template_version") or ""
    template = form.get("template") or None
    if template is not None and not await _is_script_text(request, number, template, form.get("text", "")):
        template, version = None, ""
    outcome = await context.console.workflow.reply(
        context.user, number, form.get("text", ""), template, int(version) if version.isdigit() else None
    )
    redirect(request, f"/tickets/{number}", "sent" if outcome.delivered_by_channel else "saved")


@action("ticket:resolve")
async def resolve(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    await context.console.workflow.resolve(context.user, number, form.get("resolution", ""), form.get("compensation"))
    redirect(request, f"/tickets/{number}", "resolved")


@action("ticket:merge")
async def merge(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    target = form.get("target", "").strip().upper()
    if not NUMBER.match(target):
        raise InvalidInput("target: not a complaint number", field="target")
    await context.console.workflow.merge(context.user, number, target)
    redirect(request, f"/tickets/{target}", "merged")


@action("ticket:link")
async def link(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    await context.console.workflow.link(context.user, number, form.get("order_ref"), form.get("worker_ref"))
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:escalate")
async def escalate(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    await context.console.workflow.escalate(
        context.user, number, form.get("reason", ""), notify_customer=form.get("notify") == "1"
    )
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:wait")
async def waiting(request: web.Request) -> web.StreamResponse:
    """Waiting on the customer (等待客户回复) on or off: pauses or resumes the SLA clock."""
    context, number, form = ctx(request), _number(request), await _form(request)
    flag = form.get("waiting")
    if flag not in ("0", "1"):
        raise InvalidInput("waiting: 1 or 0", field="waiting")
    await context.console.workflow.set_waiting(context.user, number, flag == "1")
    redirect(request, f"/tickets/{number}", "saved")


@action("ticket:reassign")
async def reassign(request: web.Request) -> web.StreamResponse:
    context, number, form = ctx(request), _number(request), await _form(request)
    await context.console.workflow.reassign(context.user, number, form.get("team"), form.get("assignee"))
    redirect(request, f"/tickets/{number}", "saved")


_BASE = "/tickets/{number}"

PAGE = Page(
    key="ticket",
    title="console.ticket.title",
    path="/tickets",
    permission="ticket:view",
    nav=False,
    order=20,
    routes=[
        web.get(_BASE, ticket),
        web.post(_BASE + "/status", change_status),
        web.post(_BASE + "/classify", classify),
        web.post(_BASE + "/notes", note),
        web.post(_BASE + "/followups", followup),
        web.post(_BASE + "/followups/{step}/done", followup_done),
        web.post(_BASE + "/reply", reply),
        web.post(_BASE + "/resolve", resolve),
        web.post(_BASE + "/merge", merge),
        web.post(_BASE + "/link", link),
        web.post(_BASE + "/reassign", reassign),
        web.post(_BASE + "/escalate", escalate),
        web.post(_BASE + "/waiting", waiting),
    ],
)
