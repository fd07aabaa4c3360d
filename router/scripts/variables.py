"""The variables a script may use: the pipeline's inputs and the words derived from them.

The pipeline passes codes and ISO times; this layer turns them into what a customer reads
(王女士, 30分钟内, 物品损坏或丢失, 品质部). Every derived variable has a neutral fallback,
so a script never shows an empty hole or a raw placeholder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from intake.ports import ScriptContext
from intake.records import Complaint, Customer
from router import labels

INPUTS = frozenset(
    {
        "number", "category", "category_label", "severity", "customer_name", "customer_title",
        "sla_first_response_due", "sla_first_feedback_due", "sla_report_due", "received_at", "now",
        "team", "agent", "status", "status_label", "complaints", "rating", "resolution",
        "compensation", "text", "channel", "priority", "reasons", "deadline", "due", "previous_agent",
        "recipient",
    }
)  # fmt: skip
DERIVED = frozenset(
    {
        "salutation", "category_words", "severity_label", "response_promise", "feedback_promise",
        "report_promise", "response_when", "feedback_when", "report_when", "team_name", "agent_name",
        "complaint_count", "rating_words", "company", "priority_label", "deadline_label", "due_text",
        "recipient_name", "previous_agent_name",
    }
)  # fmt: skip
KNOWN = INPUTS | DERIVED

_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "端木",
)
_TITLES_ZH = {
    "女士": "女士",
    "先生": "先生",
    "小姐": "女士",
    "ms": "女士",
    "mrs": "女士",
    "mr": "先生",
    "female": "女士",
    "male": "先生",
}
_TITLES_EN = {
    "女士": "Ms",
    "小姐": "Ms",
    "先生": "Mr",
    "ms": "Ms",
    "mrs": "Mrs",
    "mr": "Mr",
    "female": "Ms",
    "male": "Mr",
}
_NEUTRAL = {
    "zh": {"salutation": "您", "promise": "尽快", "team": "我们的客服团队", "agent": "", "company": "客服中心"},
    "en": {
        "salutation": "there",
        "promise": "as soon as possible",
        "team": "our customer care team",
        "agent": "",
        "company": "Customer Care",
    },
}
_RATING_WORDS = {
    "zh": {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"},
    "en": {1: "very unhappy", 2: "unhappy", 3: "okay", 4: "happy", 5: "very happy"},
}


@dataclass(frozen=True, slots=True)
class Directory:
    """Names the scripts show for team and agent codes, the time zone and the company name."""

    teams: dict[str, dict[str, str]] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    company: dict[str, str] = field(default_factory=dict)


def build_variables(context: ScriptContext, directory: Directory) -> dict[str, Any]:
    """The inputs of `context` plus every derived variable, each with a neutral fallback."""
    locale = context.locale if context.locale in _NEUTRAL else "zh"
    given = {key: value for key, value in context.variables.items() if value is not None and value != ""}
    neutral = _NEUTRAL[locale]
    category = given.get("category") or (str(context.category) if context.category else None)
    severity = given.get("severity") or (str(context.severity) if context.severity else None)
    reference = _time(given.get("received_at")) or _time(given.get("now")) or datetime.now(UTC)
    derived: dict[str, Any] = {
        "salutation": salutation(given.get("customer_name"), given.get("customer_title"), locale),
        "category_label": given.get("category_label")
        or (labels.label(labels.CATEGORY, category, locale) if category else ""),
        "category_words": labels.label(labels.CATEGORY_WORDS, category or "other", locale),
        "severity_label": labels.label(labels.SEVERITY, severity, locale) if severity else "",
        "status_label": given.get("status_label")
        or (labels.label(labels.STATUS, given["status"], locale) if "status" in given else ""),
        "response_promise": promise(given.get("sla_first_response_due"), reference, directory.tz, locale),
        "feedback_promise": promise(given.get("sla_first_feedback_due"), reference, directory.tz, locale),
        "report_promise": promise(given.get("sla_report_due"), reference, directory.tz, locale, absolute=True),
        "team_name": _team_name(given.get("team"), directory, locale) or neutral["team"],
        "agent_name": directory.agents.get(str(given.get("agent")), str(given.get("agent") or "")) or neutral["agent"],
        "company": directory.company.get(locale) or neutral["company"],
        "rating_words": _RATING_WORDS[locale].get(_int(given.get("rating")) or 0, ""),
        "priority_label": labels.label(labels.PRIORITY, given["priority"], locale) if "priority" in given else "",
        "deadline_label": labels.label(labels.DEADLINE, given["deadline"], locale) if "deadline" in given else "",
        "due_text": _due_text(given.get("due"), directory.tz),
        "recipient_name": _agent_name(given.get("recipient"), directory),
        "previous_agent_name": _agent_name(given.get("previous_agent"), directory),
    }
    for name in ("response", "feedback", "report"):
        derived[f"{name}_when"] = _when(derived[f"{name}_promise"], locale)
    complaints = [
        _complaint_item(item, directory.tz, locale)
        for item in given.get("complaints") or []
        if isinstance(item, Mapping)
    ]
    if not complaints and "number" in given and derived["status_label"]:
        complaints = [
            {
                "number": given["number"],
                "status_label": derived["status_label"],
                "category_label": derived["category_label"],
                "received_text": "",
            }
        ]
    derived["complaints"] = complaints
    derived["complaint_count"] = len(complaints)
    return {**given, **derived}


def salutation(name: object, title: object, locale: str = "zh") -> str:
    """王女士 from ("王芳", "女士"); "您" (or "there") when name or title is missing."""
    if not isinstance(name, str) or not name.strip() or not isinstance(title, str):
        return _NEUTRAL.get(locale, _NEUTRAL["zh"])["salutation"]
    name, key = name.strip(), title.strip().lower().rstrip(".")
    titles = _TITLES_EN if locale == "en" else _TITLES_ZH
    if key not in titles:
        return _NEUTRAL.get(locale, _NEUTRAL["zh"])["salutation"]
    if name.isascii():
        surname = name.split()[-1]
        return f"{titles[key]} {surname}" if locale == "en" else f"{surname}{titles[key]}"
    surname = next((s for s in _COMPOUND_SURNAMES if name.startswith(s)), name[0])
    return f"{titles[key]} {surname}" if locale == "en" else f"{surname}{titles[key]}"


def promise(due: object, reference: datetime, tz: ZoneInfo, locale: str = "zh", *, absolute: bool = False) -> str:
    """A deadline in words: "30分钟内", "24小时内", or "明天 08:30 前" when the clock paused overnight."""
    moment = _time(due)
    if moment is None:
        return _NEUTRAL.get(locale, _NEUTRAL["zh"])["promise"]
    seconds = (moment - reference).total_seconds()
    if seconds <= 0:
        return _NEUTRAL.get(locale, _NEUTRAL["zh"])["promise"]
    minutes = math.ceil(seconds / 60 - 0.02)
    if not absolute and minutes <= 120:
        rounded = max(5, math.ceil(minutes / 5) * 5)
        return f"{rounded}分钟内" if locale != "en" else f"within {rounded} minutes"
    hours, rest = divmod(minutes, 60)
    if not absolute and hours <= 72 and (rest <= 2 or rest >= 58):
        hours += 1 if rest >= 58 else 0
        return f"{hours}小时内" if locale != "en" else f"within {hours} hours"
    return _absolute(moment, reference, tz, locale)


def _when(words: str, locale: str) -> str:
    """The promise as an adverbial: "在30分钟内", or "尽快" (English needs no change)."""
    if locale == "en" or words == _NEUTRAL["zh"]["promise"]:
        return words
    return f"在{words}"


def _absolute(moment: datetime, reference: datetime, tz: ZoneInfo, locale: str) -> str:
    local, today = moment.astimezone(tz), reference.astimezone(tz).date()
    days = (local.date() - today).days
    clock = local.strftime("%H:%M")
    if locale == "en":
        day = {0: "today", 1: "tomorrow"}.get(days, local.strftime("%-d %B"))
        return f"by {clock} {day}"
    day = {0: "今天", 1: "明天", 2: "后天"}.get(days, f"{local.month}月{local.day}日")
    return f"{day} {clock} 前"


def _due_text(value: object, tz: ZoneInfo) -> str:
    moment = _time(value)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _agent_name(agent: object, directory: Directory) -> str:
    return directory.agents.get(str(agent), str(agent)) if agent else ""


def _team_name(code: object, directory: Directory, locale: str) -> str:
    if not code:
        return ""
    names = directory.teams.get(str(code), {})
    return names.get(locale) or names.get("zh") or str(code)


def _complaint_item(item: Mapping[str, Any], tz: ZoneInfo, locale: str) -> dict[str, Any]:
    data = dict(item)
    if not data.get("status_label") and data.get("status"):
        data["status_label"] = labels.label(labels.STATUS, data["status"], locale)
    if not data.get("category_label") and data.get("category"):
        data["category_label"] = labels.label(labels.CATEGORY, data["category"], locale)
    received = _time(data.get("received_at"))
    if received is None:
        data["received_text"] = ""
    else:
        local = received.astimezone(tz)
        data["received_text"] = f"{local.month}月{local.day}日" if locale != "en" else local.strftime("%-d %b")
    data.setdefault("number", "")
    data.setdefault("status_label", "")
    data.setdefault("category_label", "")
    return data


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _int(value: object) -> int | None:
    try:
        return int(str(value).removeprefix("rate:"))
    except ValueError:
        return None


def complaint_variables(complaint: Complaint, customer: Customer | None = None) -> dict[str, Any]:
    """The variables of a stored complaint, as the pipeline passes them (for previews and notices)."""
    variables: dict[str, Any] = {
        "number": complaint.number,
        "category": str(complaint.category),
        "severity": str(complaint.severity),
        "priority": str(complaint.priority),
        "status": str(complaint.status),
        "team": complaint.team,
        "agent": complaint.assignee,
        "channel": str(complaint.channel),
        "received_at": complaint.received_at.isoformat(),
        "sla_first_response_due": _iso(complaint.sla.first_response_due),
        "sla_first_feedback_due": _iso(complaint.sla.first_feedback_due),
        "sla_report_due": _iso(complaint.sla.report_due),
        "reasons": list(complaint.routing_reasons),
        "resolution": complaint.resolution,
        "compensation": complaint.compensation,
        "rating": complaint.satisfaction,
    }
    if customer is not None:
        variables |= {"customer_name": customer.name, "customer_title": customer.title}
    return variables


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
