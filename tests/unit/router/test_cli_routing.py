"""`tousu duty`, `tousu agents list` and `tousu templates …` against a real embedded deployment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind
from tousu.bootstrap import build_runtime
from tousu.cli import main
from tousu.config import load_settings


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TOUSU_CONFIG", "TOUSU_DATABASE_URL", "TOUSU_REDIS_URL", "TOUSU_ROUTING_RULES", "TOUSU_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOUSU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOUSU_LOG_LEVEL", "WARNING")
    return tmp_path


def _complaint(text: str) -> str:
    async def make() -> str:
        runtime = await build_runtime(load_settings())
        try:
            message = InboundMessage(
                channel=ChannelName.WEBCHAT,
                external_id="cli-1",
                sender=Identity(ChannelName.WEBCHAT, "cli-user"),
                conversation=ConversationRef(ChannelName.WEBCHAT, "cli-user"),
                kind=MessageKind.TEXT,
                text=text,
                received_at=datetime.now(UTC),
            )
            result = await runtime.intake.receive(message)
            assert result.complaint is not None
            return result.complaint.number
        finally:
            await runtime.close()

    return asyncio.run(make())


def test_agents_list_and_duty_switches(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "list", "--team", "finance"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("客服\t姓名")
    assert [line.split("\t")[:4] for line in out[1:]] == [
        ["lin.tao", "林涛", "finance", "否"],
        ["xu.fang", "徐芳", "finance", "是"],
    ]
    assert main(["duty", "off", "lin.tao"]) == 0
    assert "林涛" in capsys.readouterr().out
    assert main(["agents", "list", "--team", "finance"]) == 0
    lin = capsys.readouterr().out.splitlines()[1].split("\t")
    assert lin[0] == "lin.tao" and lin[5] == "离岗" and lin[6] == "否" and lin[7] == "0/10"
    assert main(["duty", "auto", "lin.tao"]) == 0
    capsys.readouterr()


def test_unknown_agent_or_team_is_one_clear_line(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["duty", "on", "nobody"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tousu: ") and "nobody" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert main(["agents", "list", "--team", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_broken_rules_file_is_reported_without_traceback(
    deployment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = deployment / "rules.toml"
    shipped = (Path(__file__).resolve().parents[3] / "router" / "rules.toml").read_text(encoding="utf-8")
    rules.write_text(shipped.replace('team = "finance"', 'team = "finanse"'), encoding="utf-8")
    monkeypatch.setenv("TOUSU_ROUTING_RULES", str(rules))
    assert main(["agents", "list"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(rules) in err and "rules[" in err and "finanse" in err
    assert "派单规则有 1 个问题" in err and "'finanse' 不是团队代码" in err
    monkeypatch.setenv("TOUSU_LOCALE", "en")
    assert main(["agents", "list"]) == 2
    err = capsys.readouterr().err
    assert "1 problem(s) in routing rules" in err and "'finanse' is not a team code" in err


def test_templates_set_show_list_preview_validate(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    number = _complaint("阿姨把我家的花瓶打碎了，要求赔偿")
    body = deployment / "ack.txt"
    body.write_text("{{ salutation }}好，{{ number }} 已收到，{{ team_name }}会{{ response_when }}联系您。", "utf-8")
    assert main(["templates", "set", "acknowledgement.damage", "--file", str(body), "--note", "shorter"]) == 0
    assert "第 2 版" in capsys.readouterr().out  # v1 keeps the shipped text
    assert main(["templates", "show", "acknowledgement.damage"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("# acknowledgement.damage.zh v2") and "v1" in shown and "shorter" in shown
    assert main(["templates", "show", "acknowledgement.damage", "--version", "1"]) == 0
    assert "保留好物品照片" in capsys.readouterr().out
    assert main(["templates", "list"]) == 0
    listing = capsys.readouterr().out
    assert "acknowledgement.damage.zh\t2\t已修改" in listing and "status.zh\t1\t默认" in listing
    assert main(["templates", "preview", "acknowledgement.damage", "--complaint", number]) == 0
    preview = capsys.readouterr().out
    assert "acknowledgement.damage.zh 第 2 版" in preview and f"{number} 已收到" in preview
    assert "{{" not in preview and "品质部" in preview
    assert main(["templates", "validate"]) == 0
    assert "通过" in capsys.readouterr().out


def test_templates_refuse_bad_scripts_with_each_problem(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = deployment / "bad.txt"
    bad.write_text("{{ salutaton }}好 {{ number", "utf-8")
    assert main(["templates", "set", "acknowledgement", "--file", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "acknowledgement.zh：第 1 行语法错误" in err and "Traceback" not in err
    unknown = deployment / "unknown.txt"
    unknown.write_text("{{ salutaton }}好", "utf-8")
    assert main(["templates", "validate", "status", "--file", str(unknown)]) == 1
    err = capsys.readouterr().err
    assert "status.zh：未知变量 {{ salutaton }}；可用变量：" in err and "1 个问题" in err
    long = deployment / "scripts.toml"
    long.write_text('[scripts."greeting.wechat"]\nbody = """' + "很长的话术。" * 200 + '"""\n', "utf-8")
    assert main(["templates", "validate", "--file", str(long)]) == 1
    err = capsys.readouterr().err
    assert "greeting.wechat.zh" in err and "超过微信公众号（wechat）的上限 600" in err
    assert main(["templates", "show", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "用途 'nonsense' 未知" in err
    assert main(["templates", "preview", "status", "--complaint", "TS-20990101-000001"]) == 2
    assert "TS-20990101-000001" in capsys.readouterr().err
    assert main(["templates", "validate", "--file", str(deployment / "missing.toml")]) == 2
    assert f"无法读取 {deployment / 'missing.toml'}" in capsys.readouterr().err


def test_templates_problems_in_english(
    deployment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TOUSU_LOCALE", "en")
    bad = deployment / "bad.txt"
    bad.write_text("{{ salutaton }}好 {{ number", "utf-8")
    assert main(["templates", "set", "acknowledgement", "--file", str(bad)]) == 1
    assert "acknowledgement.zh: syntax error on line 1" in capsys.readouterr().err
    unknown = deployment / "unknown.txt"
    unknown.write_text("{{ salutaton }}好", "utf-8")
    assert main(["templates", "validate", "status", "--file", str(unknown)]) == 1
    err = capsys.readouterr().err
    assert "unknown variable {{ salutaton }}; known variables:" in err and "1 problem(s)." in err
    long = deployment / "scripts.toml"
    long.write_text('[scripts."greeting.wechat"]\nbody = """' + "很长的话术。" * 200 + '"""\n', "utf-8")
    assert main(["templates", "validate", "--file", str(long)]) == 1
    assert "more than wechat allows (600)" in capsys.readouterr().err
    assert main(["templates", "show", "nonsense"]) == 2
    assert "unknown purpose 'nonsense'" in capsys.readouterr().err
    assert main(["templates", "validate", "--file", str(deployment / "missing.toml")]) == 2
    assert f"cannot read {deployment / 'missing.toml'}" in capsys.readouterr().err
