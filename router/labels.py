"""Display labels of the codes the router and the scripts show (Chinese default, English too)."""

from __future__ import annotations

from intake.records import Category, Priority, Severity, Status, Tier

CATEGORY: dict[str, dict[str, str]] = {
    "zh": {
        Category.QUALITY: "服务质量",
        Category.PUNCTUALITY: "守时",
        Category.ATTITUDE: "服务态度",
        Category.TOOLS: "工具物料",
        Category.BOOKING: "预约调度",
        Category.BILLING: "价格退款",
        Category.DAMAGE: "财物损坏",
        Category.SAFETY: "安全隐私",
        Category.STAFF_CHANGE: "更换人员",
        Category.OTHER: "其他",
    },
    "en": {
        Category.QUALITY: "service quality",
        Category.PUNCTUALITY: "punctuality",
        Category.ATTITUDE: "staff attitude",
        Category.TOOLS: "tools and supplies",
        Category.BOOKING: "booking and dispatch",
        Category.BILLING: "pricing and refunds",
        Category.DAMAGE: "damage or loss",
        Category.SAFETY: "safety and privacy",
        Category.STAFF_CHANGE: "change of staff",
        Category.OTHER: "other",
    },
}

# How a category reads inside a sentence ("关于{{ category_words }}的问题").
CATEGORY_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        Category.QUALITY: "服务质量",
        Category.PUNCTUALITY: "服务人员迟到或未按时上门",
        Category.ATTITUDE: "服务人员的态度",
        Category.TOOLS: "工具和物料",
        Category.BOOKING: "预约和派单",
        Category.BILLING: "费用和退款",
        Category.DAMAGE: "物品损坏或丢失",
        Category.SAFETY: "人身安全和隐私",
        Category.STAFF_CHANGE: "更换服务人员",
        Category.OTHER: "您反映的问题",
    },
    "en": {
        Category.QUALITY: "the quality of the service",
        Category.PUNCTUALITY: "a late or missed visit",
        Category.ATTITUDE: "the staff's attitude",
        Category.TOOLS: "tools and supplies",
        Category.BOOKING: "your booking",
        Category.BILLING: "charges and refunds",
        Category.DAMAGE: "damaged or missing belongings",
        Category.SAFETY: "safety and privacy",
        Category.STAFF_CHANGE: "changing your service staff",
        Category.OTHER: "the issue you raised",
    },
}

SEVERITY: dict[str, dict[str, str]] = {
    "zh": {Severity.NORMAL: "一般", Severity.SERIOUS: "严重", Severity.CRITICAL: "紧急"},
    "en": {Severity.NORMAL: "normal", Severity.SERIOUS: "serious", Severity.CRITICAL: "critical"},
}

PRIORITY: dict[str, dict[str, str]] = {
    "zh": {Priority.LOW: "低", Priority.NORMAL: "普通", Priority.HIGH: "高", Priority.URGENT: "紧急"},
    "en": {Priority.LOW: "low", Priority.NORMAL: "normal", Priority.HIGH: "high", Priority.URGENT: "urgent"},
}

STATUS: dict[str, dict[str, str]] = {
    "zh": {
        Status.PENDING: "待处理",
        Status.IN_PROGRESS: "处理中",
        Status.RESOLVED: "已解决",
        Status.CLOSED: "已关闭",
        Status.REOPENED: "重新处理中",
    },
    "en": {
        Status.PENDING: "received, waiting for an agent",
        Status.IN_PROGRESS: "in progress",
        Status.RESOLVED: "resolved",
        Status.CLOSED: "closed",
        Status.REOPENED: "reopened",
    },
}

DEADLINE: dict[str, dict[str, str]] = {
    "zh": {"first_response": "首次响应", "first_feedback": "首次反馈", "report": "跟进报告", "intake": "受理"},
    "en": {"first_response": "first response", "first_feedback": "first feedback", "report": "follow-up report",
           "intake": "intake"},
}  # fmt: skip

TIER: dict[str, dict[str, str]] = {
    "zh": {Tier.VIP: "VIP", Tier.REGULAR: "老客户", Tier.NEW: "新客户"},
    "en": {Tier.VIP: "VIP", Tier.REGULAR: "regular", Tier.NEW: "new"},
}


def label(table: dict[str, dict[str, str]], code: object, locale: str = "zh") -> str:
    """The label of `code` in `locale` (Chinese when the locale is unknown); the code itself if unknown."""
    labels = table.get(locale) or table["zh"]
    return labels.get(str(code), str(code))
