"""The dialogue: what a customer's message means for the conversation.

`decide` is a pure function of the message, its classification and what we know of
the customer's open complaints and the conversation state. The pipeline carries out
the decision; nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from intake.records import Classification, Complaint, InboundMessage, Intent, MessageKind, Status

NUMBER_PATTERN = re.compile(r"TS-\d{8}-\d{6}", re.IGNORECASE)
PHONE_PATTERN = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)")
RATING_PATTERN = re.compile(r"^\s*(?:rate:)?([1-5])\s*(?:分|星|stars?)?\s*$", re.IGNORECASE)
PROGRESS_WORDS = ("查询进度", "进度", "处理得怎么样", "处理到哪", "怎么样了", "有结果吗", "status", "progress")

MENU_COMPLAIN = ("complain", "我要投诉", "投诉")
MENU_PROGRESS = ("progress", "查询进度", "status")


class Action(StrEnum):
    """What the pipeline should do with a message."""

    NEW_COMPLAINT = "new_complaint"
    APPEND = "append"
    STATUS = "status"
    RATE = "rate"
    PROVIDE_PHONE = "provide_phone"
    SMALL_TALK = "small_talk"
    WELCOME = "welcome"
    PROMPT_COMPLAINT = "prompt_complaint"
    ASK_TEXT = "ask_text"
    CANCEL = "cancel"
    UNREACHABLE = "unreachable"
    EDIT = "edit"
    RATING_NOT_ASKED = "rating_not_asked"
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class DialogueContext:
    """What the dialogue may look at."""

    message: InboundMessage
    classification: Classification | None
    complaints: tuple[Complaint, ...]
    state: dict[str, Any] | None
    now: datetime
    followup_window: timedelta


@dataclass(frozen=True, slots=True)
class Decision:
    """The dialogue's verdict for one message."""

    action: Action
    complaint: Complaint | None = None
    rating: int | None = None
    phone: str | None = None
    number: str | None = None
    intent: Intent | None = None


def find_phone(text: str) -> str | None:
    """The first mainland mobile number in `text`, digits only, or None."""
    match = PHONE_PATTERN.search(text or "")
    return re.sub(r"\D", "", match.group(1)) if match else None


def find_number(text: str) -> str | None:
    """The first complaint number in `text`, upper-cased, or None."""
    match = NUMBER_PATTERN.search(text or "")
    return match.group(0).upper() if match else None


def find_rating(text: str) -> int | None:
    """A bare 1–5 rating (\"5\", \"4分\", \"rate:3\"), or None."""
    match = RATING_PATTERN.match(text or "")
    return int(match.group(1)) if match else None


def recent_open(ctx: DialogueContext) -> Complaint | None:
    """The customer's open complaint on this conversation with a message inside the follow-up window."""
    for complaint in ctx.complaints:
        last = complaint.last_message_at or complaint.received_at
        if complaint.is_open and ctx.now - last <= ctx.followup_window:
            return complaint
    return None


def awaiting_rating(ctx: DialogueContext) -> Complaint | None:
    """The resolved complaint whose satisfaction rating was asked for and not yet given."""
    for complaint in ctx.complaints:
        if complaint.status == Status.RESOLVED and complaint.rating_requested_at and complaint.satisfaction is None:
            return complaint
    return None


def decide(ctx: DialogueContext) -> Decision:
    """Decide what one message means; the first rule that applies wins."""
    for rule in (_event_rule, _command_rule, _edit_rule, _phone_rule, _rating_rule, _status_rule):
        decision = rule(ctx)
        if decision is not None:
            return decision
    return _content_rule(ctx)


def _event_rule(ctx: DialogueContext) -> Decision | None:
    message = ctx.message
    if message.kind != MessageKind.EVENT:
        return None
    event = (message.event or "").lower()
    if event == "subscribe":
        return Decision(Action.WELCOME)
    if event == "unsubscribe":
        return Decision(Action.UNREACHABLE)
    key = (message.text or "").strip().lower()
    if key in MENU_COMPLAIN:
        return Decision(Action.PROMPT_COMPLAINT)
    if key in MENU_PROGRESS:
        return Decision(Action.STATUS)
    return Decision(Action.IGNORE)


def _command_rule(ctx: DialogueContext) -> Decision | None:
    if ctx.message.kind != MessageKind.COMMAND:
        return None
    command = (ctx.message.text or "").strip().split()[0].split("@")[0].lower() if ctx.message.text else ""
    if command == "/start":
        return Decision(Action.WELCOME)
    if command == "/status":
        return Decision(Action.STATUS)
    if command == "/cancel":
        return Decision(Action.CANCEL, complaint=recent_open(ctx))
    return Decision(Action.IGNORE)


def _edit_rule(ctx: DialogueContext) -> Decision | None:
    return Decision(Action.EDIT) if ctx.message.kind == MessageKind.EDIT else None


def _phone_rule(ctx: DialogueContext) -> Decision | None:
    phone = ctx.message.phone if ctx.message.kind == MessageKind.CONTACT else None
    awaiting = (ctx.state or {}).get("awaiting") == "phone"
    if phone is None and awaiting:
        text = ctx.message.text or ""
        candidate = find_phone(text)
        # Only a message that is mostly the number counts as the answer; a long text
        # that happens to contain a number is more detail for the complaint.
        if candidate and len(re.sub(r"[\s\d+\-]", "", text)) <= 12:
            phone = candidate
    return Decision(Action.PROVIDE_PHONE, phone=phone) if phone else None


def _rating_rule(ctx: DialogueContext) -> Decision | None:
    complaint = awaiting_rating(ctx)
    rating = find_rating(ctx.message.text)
    if rating is None:
        return None
    if complaint is not None:
        return Decision(Action.RATE, complaint=complaint, rating=rating)
    # A rating button pressed again, or a stray "rate:N" with nothing asked: thank the
    # customer and change nothing; it must never open or extend a complaint.
    if ctx.message.kind == MessageKind.CALLBACK or (ctx.message.text or "").strip().lower().startswith("rate:"):
        return Decision(Action.RATING_NOT_ASKED, rating=rating)
    return None


def _status_rule(ctx: DialogueContext) -> Decision | None:
    number = find_number(ctx.message.text)
    intent = ctx.classification.intent if ctx.classification else None
    text = (ctx.message.text or "").strip().lower()
    asks = intent == Intent.PROGRESS or (len(text) <= 12 and any(word in text for word in PROGRESS_WORDS))
    if number or asks:
        return Decision(Action.STATUS, number=number)
    return None


def _content_rule(ctx: DialogueContext) -> Decision:
    message = ctx.message
    open_complaint = recent_open(ctx)
    has_text = bool((message.text or "").strip())
    if message.kind == MessageKind.VOICE and not has_text:
        return Decision(Action.ASK_TEXT, complaint=open_complaint)
    if open_complaint is not None:
        return Decision(Action.APPEND, complaint=open_complaint)
    if not has_text:
        return Decision(Action.ASK_TEXT)
    intent = ctx.classification.intent if ctx.classification else Intent.COMPLAINT
    if intent in (Intent.GREETING, Intent.THANKS, Intent.PRAISE, Intent.ENQUIRY):
        return Decision(Action.SMALL_TALK, intent=intent)
    return Decision(Action.NEW_COMPLAINT)
