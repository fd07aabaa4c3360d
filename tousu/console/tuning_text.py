"""Strings of the lexicon (词库) and routing rules (派单规则) pages (zh default, en)."""

from __future__ import annotations

from intake.messages import register

ZH: dict[str, str] = {
    "console.nav.lexicon": "词库",
    "console.nav.rules": "派单规则",
    "tuning.lexicon.title": "词库",
    "tuning.rules.title": "派单规则",
    "tuning.source": "当前使用的文件",
    "tuning.shipped": "系统内置",
    "tuning.saves_to": "保存到",
    "tuning.editor": "编辑",
    "tuning.check": "检查",
    "tuning.save": "保存",
    "tuning.ok": "检查通过",
    "tuning.problems": "检查发现的问题",
    "tuning.line": "第 {line} 行",
    "tuning.override": "已通过环境变量指定文件：保存的版本在重启后不会被使用，除非取消该设置",
    "tuning.try": "试一试",
    "tuning.try.text": "示例投诉",
    "tuning.try.category": "类别",
    "tuning.try.severity": "严重程度",
    "tuning.try.intent": "意图",
    "tuning.try.cues": "依据",
    "tuning.preview": "派单预览",
    "tuning.preview.tier": "客户等级",
    "tuning.preview.channel": "渠道",
    "tuning.preview.team": "处理团队",
    "tuning.preview.priority": "优先级",
    "tuning.preview.sla": "时限",
    "tuning.preview.first_response": "首次响应",
    "tuning.preview.first_feedback": "首次反馈",
    "tuning.preview.report": "结案报告",
    "tuning.preview.notify_lead": "立即通知组长",
    "tuning.preview.reasons": "原因",
    "console.flash.lexicon_saved": "词库已保存并立即生效",
    "console.flash.rules_saved": "派单规则已保存并立即生效",
    "tuning.too_large": "文件超过 {limit} kB 的上限",
    "tuning.lexicon_empty": "词库内容为空",
    "tuning.rules_empty": "派单规则内容为空",
}

EN: dict[str, str] = {
    "console.nav.lexicon": "Lexicon",
    "console.nav.rules": "Routing rules",
    "tuning.lexicon.title": "Lexicon",
    "tuning.rules.title": "Routing rules",
    "tuning.source": "File in use",
    "tuning.shipped": "shipped default",
    "tuning.saves_to": "Saves to",
    "tuning.editor": "Edit",
    "tuning.check": "Validate",
    "tuning.save": "Save",
    "tuning.ok": "No problems found",
    "tuning.problems": "Problems",
    "tuning.line": "line {line}",
    "tuning.override": "A file is set by environment variable: after a restart that file is used, not the saved copy",
    "tuning.try": "Try it",
    "tuning.try.text": "Sample complaint",
    "tuning.try.category": "Category",
    "tuning.try.severity": "Severity",
    "tuning.try.intent": "Intent",
    "tuning.try.cues": "Cues",
    "tuning.preview": "Routing preview",
    "tuning.preview.tier": "Customer tier",
    "tuning.preview.channel": "Channel",
    "tuning.preview.team": "Team",
    "tuning.preview.priority": "Priority",
    "tuning.preview.sla": "Deadlines",
    "tuning.preview.first_response": "First response",
    "tuning.preview.first_feedback": "First feedback",
    "tuning.preview.report": "Report",
    "tuning.preview.notify_lead": "Notify the lead at once",
    "tuning.preview.reasons": "Reasons",
    "console.flash.lexicon_saved": "Lexicon saved; in use from now on",
    "console.flash.rules_saved": "Routing rules saved; in use from now on",
    "tuning.too_large": "the file is larger than {limit} kB",
    "tuning.lexicon_empty": "the lexicon is empty",
    "tuning.rules_empty": "the routing rules are empty",
}


def register_catalogue() -> None:
    """Add these strings to `intake.messages` (idempotent)."""
    register("zh", ZH)
    register("en", EN)


register_catalogue()
