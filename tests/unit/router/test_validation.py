"""Broken rules and script files: every mistake named with its file, its key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.errors import ConfigError
from router import load_rules, parse_rules
from router.scripts import parse_script_file

SHIPPED = (Path(__file__).resolve().parents[3] / "router" / "rules.toml").read_text(encoding="utf-8")

BROKEN = """
[settings]
default_team = "desk"
management_team = "bosses"
repeat_window_days = -1
colour = "blue"

[calendar]
timezone = "Mars/Olympus"
service_hours = "25:00-22:00"
extra_holidays = ["2025-13-01"]

[[teams]]
code = "desk"
lead = "zoe"
capacity = -2
shifts = { day = "08:00-08:00" }
[[teams.members]]
id = "amy"
shift = "night"
[[teams.members]]
id = "amy"

[[rules]]
name = "vip"
label = "VIP {nickname}"
when = { tier = "platinum", category = ["quality", "gardening"] }
team = "seniors"
raise = 7

[[sla]]
severity = "serious"
first_response = "half an hour"

[[escalation]]
after = "60m"
action = "remind"
[[escalation]]
after = "15m"
action = "escalate_lead"
[[escalation]]
after = "90m"
action = "shout"
"""

EXPECTED = [
    ("settings.colour", "unknown setting"),
    ("settings.management_team", "'bosses' is not a team code"),
    ("settings.repeat_window_days", "-1"),
    ("calendar.timezone", "unknown time zone 'Mars/Olympus'"),
    ("calendar.service_hours", "not a time of day"),
    ("calendar.extra_holidays[0]", "'2025-13-01' is not a date"),
    ("teams[0].capacity", "capacity must be a whole number"),
    ("teams[0].shifts.day.hours", "empty span"),
    ("teams[0].members[0].shift", "unknown shift 'night'"),
    ("teams[0].members[1].id", "agent 'amy' is already a member"),
    ("teams[0].lead", "'zoe' is not a member of team 'desk'"),
    ("rules[0].label", "unknown placeholder {nickname}"),
    ("rules[0].when.tier", "unknown value 'platinum'"),
    ("rules[0].when.category", "unknown value 'gardening'"),
    ("rules[0].team", "'seniors' is not a team code"),
    ("rules[0].raise", "7"),
    ("sla", "a generic [[sla]] policy"),
    ("escalation[2].action", "unknown value 'shout'"),
    ("escalation[1].after", "comes before the previous step"),
]


def test_every_mistake_is_listed_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    problems = caught.value.details["problems"]
    assert isinstance(problems, list)
    for key, what in EXPECTED:
        assert any(p.startswith(f"{key}: ") and what in p for p in problems), (key, what, problems)
        assert key in message


@pytest.mark.parametrize(
    ("change", "key", "what"),
    [
        (("first_response = \"30m@service\"", "first_response = \"30 min\""), "sla[0].first_response", "duration"),
        (('report = "7wd"', 'report = "7wd@service"'), "sla[0].report", "working days"),
        (('after = "15m"\naction = "escalate_lead"', 'after = "1wd"\naction = "escalate_lead"'), "escalation[1].after",
         "not working days"),
        (('code = "finance"', 'code = "Finance Dept"'), "teams[3].code", "lower-case"),
        (('[priority]', '[priorities]'), "priorities", "unknown setting"),
        (('when = { category = "billing" }', 'when = { category = "billing", vip = true }'), "rules[8].when.vip",
         "unknown setting"),
        (('notify_lead = true\nstop = true', 'notify_lead = "yes"\nstop = true'), "rules[0].notify_lead",
         "true or false"),
    ],
)  # fmt: skip
def test_one_mistake_in_the_shipped_rules(change: tuple[str, str], key: str, what: str) -> None:
    assert change[0] in SHIPPED
    with pytest.raises(ConfigError) as caught:
        parse_rules(SHIPPED.replace(change[0], change[1], 1), "rules.toml")
    problems = caught.value.details["problems"]
    follow_on = 1 if key == "teams[3].code" else 0  # the rule sending billing to "finance" fails too
    assert isinstance(problems, list) and len(problems) == 1 + follow_on, problems
    assert problems[0].startswith(f"{key}: ") and what in problems[0]


@pytest.mark.parametrize(
    ("step", "key", "what"),
    [
        ('before = "10m@service"\naction = "warn"', "escalation[0].before", "elapsed time"),
        ('after = "10m"\naction = "warn"', "escalation[0].action", '"warn" step needs before'),
        ('before = "10m"\naction = "remind"', "escalation[0].action", '"warn" step'),
        ('before = "10m"\nafter = "0m"\naction = "warn"', "escalation[0]", "either after"),
    ],
)
def test_warning_steps(step: str, key: str, what: str) -> None:
    rules = SHIPPED[: SHIPPED.index("[[escalation]]")] + "[[escalation]]\n" + step + "\n"
    with pytest.raises(ConfigError) as caught:
        parse_rules(rules, "rules.toml")
    problems = caught.value.details["problems"]
    assert isinstance(problems, list) and len(problems) == 1 and problems[0].startswith(f"{key}: ")
    assert what in problems[0]


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rules.toml: not valid TOML"):
        parse_rules("[settings\n", "rules.toml")
    with pytest.raises(ConfigError, match="cannot read routing rules"):
        load_rules(tmp_path / "missing.toml")


def test_shipped_rules_are_valid() -> None:
    config = parse_rules(SHIPPED, "router/rules.toml")
    assert set(config.teams) == {"customer_service", "dispatch", "service_quality", "finance", "senior", "management"}


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('[scripts."greeting"]\nbody = """hi\n', "not valid TOML"),
        ("[other]\nx = 1\n", 'expected [scripts."KEY"]'),
        ('[scripts."greetings"]\nbody = "hi"\n', "unknown purpose 'greetings'"),
        ('[scripts."greeting.martian"]\nbody = "hi"\n', "'martian' in 'greeting.martian'"),
        ('[scripts."greeting"]\ntext = "hi"\n', "scripts.greeting: needs body"),
        ('[scripts."rating_request"]\nbody = "hi"\nquick_replies = [{ label = 1 }]\n', "quick_replies"),
    ],
)
def test_broken_script_files(text: str, what: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_script_file(text, "ops.toml")
    assert str(caught.value).startswith("ops.toml: ") and what in str(caught.value)


def test_every_problem_in_chinese_and_english(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    english, messages = caught.value.details["problems"], caught.value.details["messages"]
    assert isinstance(english, list) and isinstance(messages, list) and len(english) == len(messages)
    assert [str(message) for message in messages] == english
    chinese = [message.text("zh") for message in messages]
    assert "calendar.timezone：未知时区 'Mars/Olympus'" in chinese
    assert "colour" in caught.value.text("zh") and "派单规则有" in caught.value.text("zh")
    assert caught.value.text("en").startswith(f"Configuration error: {path}: ")
    severity = SHIPPED.replace('severity = "critical"', 'severity = "apocalyptic"', 1)
    with pytest.raises(ConfigError) as caught:
        parse_rules(severity, "rules.toml")
    message = caught.value.details["messages"][0]  # type: ignore[index]
    assert message.text("zh").endswith("未知的值 'apocalyptic'；可选：normal, serious, critical")
    assert message.text("en").endswith("unknown value 'apocalyptic'; expected one of normal, serious, critical")
    with pytest.raises(ConfigError) as caught:
        parse_rules("[settings\n", "rules.toml")
    assert caught.value.detail_text("zh").startswith("rules.toml：不是有效的 TOML")


def test_broken_script_files_in_chinese() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_script_file('[scripts."greetings"]\nbody = "hi"\n', "ops.toml")
    assert caught.value.detail_text("zh").startswith("ops.toml：'greetings' 中的用途 'greetings' 未知")
    with pytest.raises(ConfigError) as caught:
        parse_script_file('[scripts."greeting"]\ntext = "hi"\n', "ops.toml")
    assert caught.value.detail_text("zh") == 'ops.toml：scripts.greeting：需要 body = """…"""'
