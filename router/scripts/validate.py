"""Checks of a reply script before it is saved: syntax, unknown variables, channel length."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jinja2 import TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from intake.messages import Message, entry
from intake.ports import ScriptContext
from intake.records import Category, ChannelName
from router import messages as _messages  # noqa: F401 - registers the catalogue entries
from router.scripts.keys import ScriptKey
from router.scripts.variables import KNOWN, Directory, build_variables

# Characters a single message may carry on each channel (WeChat's 2048-byte text limit is
# about 680 Chinese characters; we keep a margin).
CHANNEL_LIMITS: dict[ChannelName, int] = {
    ChannelName.WECHAT: 600,
    ChannelName.WECOM: 600,
    ChannelName.TELEGRAM: 4096,
    ChannelName.WEBCHAT: 2000,
    ChannelName.API: 4000,
    ChannelName.MANUAL: 4000,
}


def sample_variables(now: datetime | None = None) -> dict[str, Any]:
    """Realistic, rather long values for a trial render."""
    now = now or datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    return {
        "number": "TS-20261123-000123",
        "category": Category.DAMAGE.value,
        "severity": "serious",
        "customer_name": "欧阳娜娜",
        "customer_title": "女士",
        "received_at": now.isoformat(),
        "sla_first_response_due": (now + timedelta(minutes=30)).isoformat(),
        "sla_first_feedback_due": (now + timedelta(hours=24)).isoformat(),
        "sla_report_due": (now + timedelta(days=9)).isoformat(),
        "team": "service_quality",
        "agent": "ma.jun",
        "status": "in_progress",
        "complaints": [
            {
                "number": f"TS-2026112{i}-00012{i}",
                "status": "in_progress",
                "category": "quality",
                "received_at": now.isoformat(),
            }
            for i in range(5)
        ],
        "rating": 2,
        "resolution": "经核实，保洁阿姨在擦拭时碰倒了花瓶，我们已安排上门评估，"
        "按购买凭证全额赔偿，并对该阿姨进行再培训。" * 2,
        "compensation": "按购买凭证赔偿花瓶费用，并赠送一次 2 小时日常保洁服务",
        "priority": "high",
        "reasons": ["VIP → 资深客服", "财物损坏 → 立即通知组长"],
        "deadline": "first_response",
        "due": (now + timedelta(minutes=30)).isoformat(),
        "recipient": "sun.li",
        "previous_agent": "he.xue",
        "overdue": True,
        "text": "您好，我是负责您投诉的客服，刚刚和阿姨确认过情况，明天上午十点前给您回电话，请保持电话畅通。" * 2,
    }


def validate_script(
    env: SandboxedEnvironment, key: ScriptKey, body: str, directory: Directory | None = None
) -> list[Message]:
    """Problems of `body` as the script for `key` (`str()` of each is English); empty when it is fine."""
    try:
        tree = env.parse(body)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        detail = str(error.message or error)
        if line:
            return [entry("router.script.syntax", script=str(key), line=line, error=detail)]
        return [entry("router.script.syntax_nowhere", script=str(key), error=detail)]
    known = ", ".join(sorted(KNOWN))
    problems = [
        entry("router.script.unknown_variable", script=str(key), name=name, known=known)
        for name in sorted(meta.find_undeclared_variables(tree) - KNOWN)
    ]
    if not body.strip():
        problems.append(entry("router.script.empty", script=str(key)))
    if problems:
        return problems
    return _length_problems(env, key, body, directory or Directory())


def _length_problems(env: SandboxedEnvironment, key: ScriptKey, body: str, directory: Directory) -> list[Message]:
    channels = [key.channel] if key.channel else list(CHANNEL_LIMITS)
    context = ScriptContext(key.purpose, key.locale, key.channel, key.category, key.severity, sample_variables())
    try:
        text = env.from_string(body).render(build_variables(context, directory)).strip()
    except Exception as error:  # a sandbox refusal or a type error in the script
        return [entry("router.script.fails", script=str(key), error=str(error))]
    return [
        entry(
            "router.script.too_long",
            script=str(key),
            length=len(text),
            channel=str(channel),
            channel_label=entry(f"channel.{channel}"),
            limit=CHANNEL_LIMITS[channel],
        )
        for channel in channels
        if len(text) > CHANNEL_LIMITS[channel]
    ]
