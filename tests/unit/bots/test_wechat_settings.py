"""WeChat settings: read from the environment, absent means off, half configured is a clear error."""

from __future__ import annotations

import pytest

from bots.wechat import channels_from_settings
from intake.errors import ConfigError
from intake.records import ChannelName
from storage.memory import MemoryConversationState, MemoryDedupe
from tousu.channel_wiring import WECHAT_SETTINGS
from tousu.config import load_settings

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class NoIntake:
    """The channels are only constructed here; nothing is received."""


def build(values: dict[str, str]) -> list[ChannelName]:
    channels = channels_from_settings(values, NoIntake(), MemoryConversationState(), MemoryDedupe())  # type: ignore[arg-type]
    return [channel.name for channel in channels]


def test_settings_come_from_the_environment(tmp_path: object) -> None:
    env = {
        "TOUSU_DATA_DIR": str(tmp_path),
        "TOUSU_WECHAT_TOKEN": "t",
        "TOUSU_WECHAT_APP_ID": "wx1",
        "TOUSU_WECOM_AGENT_ID": "1000002",
        "TOUSU_WECHAT_REPLY_BUDGET_MS": "2500",
        "TOUSU_WECHAT_API_BASE": "http://127.0.0.1:9/cgi-bin/",
    }
    settings = load_settings(env)
    assert (settings.wechat_token, settings.wechat_app_id, settings.wecom_agent_id) == ("t", "wx1", "1000002")
    assert settings.wechat_reply_budget_ms == 2500 and settings.wechat_api_base == "http://127.0.0.1:9/cgi-bin/"
    assert "'t'" not in repr(settings)
    assert all(hasattr(settings, name) for name in WECHAT_SETTINGS)


def test_absent_settings_mean_the_channels_are_off() -> None:
    assert build({}) == []


def test_both_channels_when_configured_and_plaintext_mode_needs_no_key() -> None:
    values = {
        "TOUSU_WECHAT_TOKEN": "t",
        "TOUSU_WECHAT_APP_ID": "wx1",
        "TOUSU_WECHAT_APP_SECRET": "s",
        "TOUSU_WECOM_TOKEN": "t2",
        "TOUSU_WECOM_AES_KEY": KEY,
        "TOUSU_WECOM_CORP_ID": "ww1",
        "TOUSU_WECOM_AGENT_ID": "1000002",
        "TOUSU_WECOM_SECRET": "s2",
    }
    assert build(values) == [ChannelName.WECHAT, ChannelName.WECOM]


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"TOUSU_WECHAT_TOKEN": "t", "TOUSU_WECHAT_APP_ID": "wx1"}, "TOUSU_WECHAT_APP_SECRET"),
        ({"TOUSU_WECOM_TOKEN": "t", "TOUSU_WECOM_CORP_ID": "ww1"}, "TOUSU_WECOM_AES_KEY"),
    ],
)
def test_a_half_configured_channel_names_what_is_missing(values: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        build(values)


def test_a_malformed_aes_key_is_a_config_error() -> None:
    values = {"TOUSU_WECHAT_TOKEN": "t", "TOUSU_WECHAT_APP_ID": "wx1", "TOUSU_WECHAT_APP_SECRET": "s"}
    with pytest.raises(ConfigError, match="TOUSU_WECHAT_AES_KEY"):
        build({**values, "TOUSU_WECHAT_AES_KEY": "too-short"})


def test_a_negative_reply_budget_is_a_config_error() -> None:
    values = {"TOUSU_WECHAT_TOKEN": "t", "TOUSU_WECHAT_APP_ID": "wx1", "TOUSU_WECHAT_APP_SECRET": "s"}
    with pytest.raises(ConfigError, match="REPLY_BUDGET"):
        channels_from_settings(
            values,
            NoIntake(),
            MemoryConversationState(),
            MemoryDedupe(),
            reply_budget_seconds=-1,  # type: ignore[arg-type]
        )
