"""The one message catalogue: every user-facing string that is not a reply script.

Simplified Chinese is the default locale; English is available. Look-ups fall back
to Chinese, then to the key itself, so a missing entry is visible but never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LOCALE = "zh"

CATALOGUE: dict[str, dict[str, str]] = {
    "zh": {
        "category.quality": "服务质量",
        "category.punctuality": "守时",
        "category.attitude": "服务态度",
        "category.tools": "工具物料",
        "category.booking": "预约调度",
        "category.billing": "价格退款",
        "category.damage": "财物损坏",
        "category.safety": "安全隐私",
        "category.staff_change": "更换人员",
        "category.other": "其他",
        "severity.normal": "一般",
        "severity.serious": "严重",
        "severity.critical": "紧急",
        "priority.low": "低",
        "priority.normal": "普通",
        "priority.high": "高",
        "priority.urgent": "紧急",
        "status.pending": "待处理",
        "status.in_progress": "处理中",
        "status.resolved": "已解决",
        "status.closed": "已关闭",
        "status.reopened": "已重新打开",
        "tier.vip": "VIP",
        "tier.regular": "老客户",
        "tier.new": "新客户",
        "channel.wechat": "微信公众号",
        "channel.wecom": "企业微信",
        "channel.telegram": "Telegram",
        "channel.webchat": "网页客服",
        "channel.api": "接口",
        "channel.manual": "人工录入",
        "error.internal": "服务器内部错误，请稍后再试",
        "error.invalid_input": "请求内容有误：{detail}",
        "error.invalid_json": "请求体不是有效的 JSON",
        "error.body_too_large": "请求体过大（上限 {limit} 字节）",
        "error.missing_field": "缺少必填字段：{field}",
        "error.bad_field": "字段 {field} 无效：{detail}",
        "error.not_found": "未找到：{detail}",
        "error.complaint_not_found": "投诉单 {number} 不存在",
        "error.unauthorized": "缺少或无效的访问令牌",
        "error.forbidden": "当前角色无权执行此操作",
        "error.invalid_transition": "状态不能从 {current} 变为 {target}",
        "error.config": "配置错误：{detail}",
        "error.duplicate": "该消息已处理",
        "error.delivery": "消息发送失败",
        "error.unavailable": "服务暂不可用：{detail}",
        "webchat.title": "在线客服",
        "webchat.placeholder": "请描述您遇到的问题…",
        "webchat.send": "发送",
        "webchat.connecting": "正在连接…",
        "webchat.offline": "连接已断开，正在重连…",
        "webchat.greeting": "您好，这里是客服中心。请直接描述您遇到的问题，我们会立即登记并安排专人处理。",
        "cli.token_created": "已创建令牌 {name}（角色 {role}）。请妥善保存，它只显示这一次：",
        "cli.db_upgraded": "数据库已升级到最新版本：{url}",
        "cli.serving": "tousu 已启动：http://{host}:{port}/chat （网页客服），API 位于 /api/v1",
        "cli.demo_done": "演示数据已导入：{count} 条消息，{complaints} 张投诉单",
        "cli.user_created": "已创建用户 {name}（角色 {role}）",
        "cli.password_prompt": "密码：",
        "cli.password_again": "再输入一次：",
        "cli.passwords_differ": "两次输入的密码不一致",
        "cli.user_name_invalid": "用户名为 1–64 个字符，不能含空格",
        "cli.bad_role": "未知角色 {role}，可选：{roles}",
    },
    "en": {
        "category.quality": "Service quality",
        "category.punctuality": "Punctuality",
        "category.attitude": "Attitude",
        "category.tools": "Tools and supplies",
        "category.booking": "Booking and dispatch",
        "category.billing": "Billing and refunds",
        "category.damage": "Damage or loss",
        "category.safety": "Safety and privacy",
        "category.staff_change": "Change of worker",
        "category.other": "Other",
        "severity.normal": "Normal",
        "severity.serious": "Serious",
        "severity.critical": "Critical",
        "priority.low": "Low",
        "priority.normal": "Normal",
        "priority.high": "High",
        "priority.urgent": "Urgent",
        "status.pending": "Pending",
        "status.in_progress": "In progress",
        "status.resolved": "Resolved",
        "status.closed": "Closed",
        "status.reopened": "Reopened",
        "tier.vip": "VIP",
        "tier.regular": "Regular",
        "tier.new": "New",
        "channel.wechat": "WeChat",
        "channel.wecom": "WeCom",
        "channel.telegram": "Telegram",
        "channel.webchat": "Web chat",
        "channel.api": "API",
        "channel.manual": "Manual entry",
        "error.internal": "Internal server error, please try again later",
        "error.invalid_input": "Invalid request: {detail}",
        "error.invalid_json": "The request body is not valid JSON",
        "error.body_too_large": "The request body is too large (limit {limit} bytes)",
        "error.missing_field": "Missing required field: {field}",
        "error.bad_field": "Invalid field {field}: {detail}",
        "error.not_found": "Not found: {detail}",
        "error.complaint_not_found": "Complaint {number} does not exist",
        "error.unauthorized": "Missing or invalid access token",
        "error.forbidden": "Your role is not allowed to do this",
        "error.invalid_transition": "Status cannot change from {current} to {target}",
        "error.config": "Configuration error: {detail}",
        "error.duplicate": "This message was already processed",
        "error.delivery": "The message could not be delivered",
        "error.unavailable": "Service unavailable: {detail}",
        "webchat.title": "Customer service",
        "webchat.placeholder": "Describe your problem…",
        "webchat.send": "Send",
        "webchat.connecting": "Connecting…",
        "webchat.offline": "Disconnected, reconnecting…",
        "webchat.greeting": (
            "Hello, this is customer service. Tell us what went wrong and we will log it and assign someone at once."
        ),
        "cli.token_created": "Created token {name} (role {role}). Keep it safe, it is shown only once:",
        "cli.db_upgraded": "Database upgraded to the latest version: {url}",
        "cli.serving": "tousu is running: http://{host}:{port}/chat (web chat), API under /api/v1",
        "cli.demo_done": "Demo data loaded: {count} messages, {complaints} complaints",
        "cli.user_created": "User {name} created with role {role}",
        "cli.password_prompt": "password: ",
        "cli.password_again": "again: ",
        "cli.passwords_differ": "the passwords differ",
        "cli.user_name_invalid": "a user name is 1–64 characters without spaces",
        "cli.bad_role": "Unknown role {role}, choose one of: {roles}",
    },
}


def text(key: str, locale: str | None = None, **variables: Any) -> str:
    """The catalogue entry `key` in `locale` (default Chinese), formatted with `variables`."""
    entries = CATALOGUE.get(locale or DEFAULT_LOCALE) or CATALOGUE[DEFAULT_LOCALE]
    template = entries.get(key) or CATALOGUE[DEFAULT_LOCALE].get(key) or key
    try:
        return template.format(**variables)
    except (KeyError, IndexError, ValueError):
        return template


def label(kind: str, code: str, locale: str | None = None) -> str:
    """The display label of an enum code, e.g. `label("category", "quality")` → 服务质量."""
    return text(f"{kind}.{code}", locale)


def register(locale: str, entries: dict[str, str]) -> None:
    """Add entries to the catalogue (used by adapters that own extra strings)."""
    CATALOGUE.setdefault(locale, {}).update(entries)


@dataclass(frozen=True, slots=True)
class Message:
    """A catalogue entry with its values, put into words only when shown.

    Layers below the shell (classifier/, router/) describe a problem with a `Message`
    instead of a sentence, so the edge shows it in the reader's locale. Values that are
    `Message`s themselves are put into words in the same locale; a list or tuple value
    becomes one item per indented line. `str()` is the English text (for logs and
    exception messages).
    """

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, locale: str | None = None) -> str:
        """The message in `locale` (default Chinese)."""
        return text(self.key, locale, **{name: _shown(value, locale) for name, value in self.values.items()})

    def __str__(self) -> str:
        return self.text("en")


def entry(key: str, **values: object) -> Message:
    """`Message(key, values)`: e.g. `entry("ledger.empty", path="a.csv")`."""
    return Message(key, values)


def words(item: object, locale: str | None = None) -> str:
    """`item` in words: a `Message` in `locale`, anything else as `str()`."""
    return item.text(locale) if isinstance(item, Message) else str(item)


def _shown(value: object, locale: str | None) -> object:
    if isinstance(value, list | tuple):
        return "\n  ".join(words(item, locale) for item in value)
    return words(value, locale) if isinstance(value, Message) else value
