"""The router's entries in the one catalogue (`intake.messages`): zh default, en.

The problems of the routing rules file (派单规则) and of reply scripts (话术). The router
describes a problem with an `intake.messages.Message` of these keys; the shell shows it
in the reader's locale, and `str()` of it (the exception text, the `problems` detail)
stays English. Importing this module registers the entries.
"""

from __future__ import annotations

from intake.messages import register

ZH: dict[str, str] = {
    "router.none": "无",
    "router.rules.problem": "{where}：{problem}",
    "router.rules.problems": "{source}：派单规则有 {count} 个问题：\n  {lines}",
    "router.rules.cannot_read": "无法读取派单规则 {path}：{error}",
    "router.rules.bad_toml": "{source}：不是有效的 TOML：{error}",
    "router.rules.unknown_value": "未知的值 {value}；可选：{allowed}",
    "router.rules.not_table": "应是一个表（table）",
    "router.rules.unknown_setting": "未知的设置项（可用：{allowed}）",
    "router.rules.bad_time": "{value} 不是 HH:MM 格式的时刻",
    "router.rules.bad_hours": '{value} 不是时段，应写成 "08:00-22:00" 这样',
    "router.rules.empty_span": "{value} 是空时段",
    "router.rules.not_date_list": "应是日期列表（YYYY-MM-DD）",
    "router.rules.bad_date": "{value} 不是 YYYY-MM-DD 格式的日期",
    "router.rules.bad_zone": "未知时区 {value}",
    "router.rules.bad_service_days": '{value}：应为 "daily" 或 "workdays"',
    "router.rules.holiday_and_workday": "{day} 既是额外假日又是额外工作日",
    "router.rules.bad_shift": '应为 "HH:MM-HH:MM"，或含 hours 和 days 的表',
    "router.rules.bad_weekday": '{value}：请用 "daily"、"workdays"、"mon-fri"、"sat" 或 ISO 星期数字 1-7',
    "router.rules.no_teams": "至少需要一个 [[teams]] 表",
    "router.rules.team_twice": "团队 {team} 定义了两次",
    "router.rules.bad_team_code": "{value}：团队代码只能由小写字母、数字和 _ 组成",
    "router.rules.not_shift_table": "应是班次的表",
    "router.rules.lead_not_member": "{lead} 不是团队 {team} 的成员",
    "router.rules.no_members": "团队 {team} 没有成员",
    "router.rules.bad_capacity": "{value}：容量应为 ≥ 0 的整数",
    "router.rules.not_member_list": "应是 [[teams.members]] 表的列表",
    "router.rules.member_no_id": "成员需要 id",
    "router.rules.agent_twice": "客服 {agent} 已是团队 {team} 的成员",
    "router.rules.unknown_shift": "未知班次 {shift}；团队 {team} 的班次：{shifts}",
    "router.rules.not_team": "{team} 不是团队代码（{teams}）",
    "router.rules.bad_days": "{value}：应为 ≥ 0 的整天数",
    "router.rules.not_rule_list": "应是 [[rules]] 表的列表",
    "router.rules.rule_twice": "规则 {name} 定义了两次",
    "router.rules.no_label": '规则需要 label，用于说明分派原因，例如 "VIP"',
    "router.rules.bad_placeholder": "未知占位符 {{{field}}}；可用：{fields}",
    "router.rules.bad_raise": "{value}：优先级只能提升 0 到 3 级",
    "router.rules.not_bool": "{value}：应为 true 或 false",
    "router.rules.does_nothing": "这条规则不起作用：请给它 team、priority、raise 或 notify_lead",
    "router.rules.bad_condition": '应是一个表，例如 {{ category = ["billing"] }}',
    "router.rules.bad_reopened": "{value}：应为 ≥ 1 的整数",
    "router.rules.no_sla": "至少需要一条 [[sla]] 时限（其中一条不带 severity 和 tier）",
    "router.rules.no_generic_sla": "需要一条通用的 [[sla]] 时限（不带 severity 和 tier）",
    "router.rules.sla_twice": "另一条时限的 severity 和 tier 与此相同",
    "router.rules.sla_missing": "缺少此项（也没有通用时限提供）",
    "router.rules.not_escalation_list": "应是 [[escalation]] 步骤的列表",
    "router.rules.after_or_before": '请给出 after = "…"（超时之后）或 before = "…"（到期之前提醒）其中之一',
    "router.rules.step_workdays": "升级步骤以分钟或小时计，不能用工作日",
    "router.rules.warn_service": "到期前的提醒按自然时间计算，不能用 @service",
    "router.rules.warn_before": '带 before = "…" 的步骤是 "warn" 步骤，"warn" 步骤必须有 before',
    "router.rules.step_order": "{after} 早于上一步（{previous}）；请按顺序排列",
    "router.duration.not_text": '{where}：应为时长，例如 "30m"、"24h" 或 "7wd"，实际是 {value}',
    "router.duration.bad": (
        "{where}：{value} 不是时长；请写数字加单位（s、m、h、d、wd），"
        '按服务时间计算时加 "@service"，例如 "30m@service" 或 "7wd"'
    ),
    "router.duration.workdays_service": "{where}：{value}：工作日（wd）不能按服务时间计算",
    "router.script.syntax": "{script}：第 {line} 行语法错误：{error}",
    "router.script.syntax_nowhere": "{script}：语法错误：{error}",
    "router.script.unknown_variable": "{script}：未知变量 {{{{ {name} }}}}；可用变量：{known}",
    "router.script.empty": "{script}：话术内容为空",
    "router.script.fails": "{script}：用示例数据渲染话术时出错：{error}",
    "router.script.too_long": (
        "{script}：用示例数据渲染后有 {length} 个字，超过{channel_label}（{channel}）的上限 {limit}"
    ),
    "router.script.key_empty": "话术键为空",
    "router.script.unknown_purpose": "{text} 中的用途 {purpose} 未知；可用：{known}",
    "router.script.part_twice": "{text} 中{part}出现了两次",
    "router.script.unknown_part": "{text} 中的 {part} 不是类别、严重程度、渠道或语言（{locales}）",
    "router.script.part.category": "类别",
    "router.script.part.severity": "严重程度",
    "router.script.part.channel": "渠道",
    "router.script.part.locale": "语言",
    "router.script.bad_toml": "{source}：不是有效的 TOML：{error}",
    "router.script.no_tables": '{source}：应为带 body 的 [scripts."KEY"] 表',
    "router.script.no_body": '{source}：scripts.{script}：需要 body = """…"""',
    "router.script.in_file": "{source}：{problem}",
    "router.script.bad_replies": "{where}.quick_replies：应是 {{ label, payload }} 表的列表",
    "router.script.reply_fields": "{where}.quick_replies：每一项都需要 label 和 payload（字符串）",
    "router.script.read_only": "没有配置话术库，话术只读",
}

EN: dict[str, str] = {
    "router.none": "none",
    "router.rules.problem": "{where}: {problem}",
    "router.rules.problems": "{source}: {count} problem(s) in routing rules:\n  {lines}",
    "router.rules.cannot_read": "cannot read routing rules {path}: {error}",
    "router.rules.bad_toml": "{source}: not valid TOML: {error}",
    "router.rules.unknown_value": "unknown value {value}; expected one of {allowed}",
    "router.rules.not_table": "must be a table",
    "router.rules.unknown_setting": "unknown setting (allowed: {allowed})",
    "router.rules.bad_time": "{value} is not a time of day HH:MM",
    "router.rules.bad_hours": '{value} is not a span of hours such as "08:00-22:00"',
    "router.rules.empty_span": "{value} is an empty span",
    "router.rules.not_date_list": "must be a list of dates (YYYY-MM-DD)",
    "router.rules.bad_date": "{value} is not a date YYYY-MM-DD",
    "router.rules.bad_zone": "unknown time zone {value}",
    "router.rules.bad_service_days": '{value}: expected "daily" or "workdays"',
    "router.rules.holiday_and_workday": "{day} is both an extra holiday and an extra workday",
    "router.rules.bad_shift": 'must be "HH:MM-HH:MM" or a table with hours and days',
    "router.rules.bad_weekday": '{value}: use "daily", "workdays", "mon-fri", "sat", or ISO weekday numbers 1-7',
    "router.rules.no_teams": "at least one [[teams]] table is required",
    "router.rules.team_twice": "team {team} is defined twice",
    "router.rules.bad_team_code": "{value}: a team code is lower-case letters, digits and _",
    "router.rules.not_shift_table": "must be a table of shifts",
    "router.rules.lead_not_member": "{lead} is not a member of team {team}",
    "router.rules.no_members": "team {team} has no members",
    "router.rules.bad_capacity": "{value}: capacity must be a whole number ≥ 0",
    "router.rules.not_member_list": "must be a list of [[teams.members]] tables",
    "router.rules.member_no_id": "a member needs an id",
    "router.rules.agent_twice": "agent {agent} is already a member of team {team}",
    "router.rules.unknown_shift": "unknown shift {shift}; team {team} has {shifts}",
    "router.rules.not_team": "{team} is not a team code ({teams})",
    "router.rules.bad_days": "{value}: a whole number of days ≥ 0",
    "router.rules.not_rule_list": "must be a list of [[rules]] tables",
    "router.rules.rule_twice": "rule {name} is defined twice",
    "router.rules.no_label": 'a rule needs a label for its reasons, e.g. "VIP"',
    "router.rules.bad_placeholder": "unknown placeholder {{{field}}}; use {fields}",
    "router.rules.bad_raise": "{value}: raise the priority by 0 to 3 steps",
    "router.rules.not_bool": "{value}: true or false",
    "router.rules.does_nothing": "the rule does nothing: give it a team, a priority, a raise or notify_lead",
    "router.rules.bad_condition": 'must be a table such as {{ category = ["billing"] }}',
    "router.rules.bad_reopened": "{value}: a whole number ≥ 1",
    "router.rules.no_sla": "at least one [[sla]] policy is required (one without severity and tier)",
    "router.rules.no_generic_sla": "a generic [[sla]] policy (without severity and tier) is required",
    "router.rules.sla_twice": "another policy has the same severity and tier",
    "router.rules.sla_missing": "missing (and no generic policy gives one)",
    "router.rules.not_escalation_list": "must be a list of [[escalation]] steps",
    "router.rules.after_or_before": (
        'give either after = "…" (past the deadline) or before = "…" (a warning ahead of it)'
    ),
    "router.rules.step_workdays": "escalation steps are counted in minutes or hours, not working days",
    "router.rules.warn_service": "a warning ahead of the deadline is counted in elapsed time, not @service",
    "router.rules.warn_before": 'a step with before = "…" is a "warn" step, and a "warn" step needs before',
    "router.rules.step_order": "{after} comes before the previous step ({previous}); keep them in order",
    "router.duration.not_text": '{where}: expected a duration such as "30m", "24h" or "7wd", got {value}',
    "router.duration.bad": (
        "{where}: {value} is not a duration; write a number and a unit (s, m, h, d, wd), "
        'optionally "@service" for service hours, e.g. "30m@service" or "7wd"'
    ),
    "router.duration.workdays_service": "{where}: {value}: working days (wd) cannot be counted in service hours",
    "router.script.syntax": "{script}: syntax error on line {line}: {error}",
    "router.script.syntax_nowhere": "{script}: syntax error: {error}",
    "router.script.unknown_variable": "{script}: unknown variable {{{{ {name} }}}}; known variables: {known}",
    "router.script.empty": "{script}: the script is empty",
    "router.script.fails": "{script}: the script fails on sample data: {error}",
    "router.script.too_long": (
        "{script}: renders to {length} characters with sample data, more than {channel} allows ({limit})"
    ),
    "router.script.key_empty": "empty script key",
    "router.script.unknown_purpose": "unknown purpose {purpose} in {text}; known: {known}",
    "router.script.part_twice": "{text} names the {part} twice",
    "router.script.unknown_part": "{part} in {text} is not a category, severity, channel or locale ({locales})",
    "router.script.part.category": "category",
    "router.script.part.severity": "severity",
    "router.script.part.channel": "channel",
    "router.script.part.locale": "locale",
    "router.script.bad_toml": "{source}: not valid TOML: {error}",
    "router.script.no_tables": '{source}: expected [scripts."KEY"] tables with a body',
    "router.script.no_body": '{source}: scripts.{script}: needs body = """…"""',
    "router.script.in_file": "{source}: {problem}",
    "router.script.bad_replies": "{where}.quick_replies: a list of {{ label, payload }} tables",
    "router.script.reply_fields": "{where}.quick_replies: each needs a label and a payload (strings)",
    "router.script.read_only": "no script repository is configured; scripts are read-only",
}


def register_catalogue() -> None:
    """Add these entries to `intake.messages` (idempotent)."""
    register("zh", ZH)
    register("en", EN)


register_catalogue()
