"""Wiring of the messaging channels (Telegram, WeChat Official Account, WeCom) from the settings.

A channel whose settings are absent is not registered, so its route answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bots.telegram import TelegramChannel
from bots.wechat import channels_from_settings

if TYPE_CHECKING:
    from tousu.bootstrap import Runtime

WECHAT_SETTINGS = (
    "wechat_token",
    "wechat_aes_key",
    "wechat_app_id",
    "wechat_app_secret",
    "wechat_api_base",
    "wecom_token",
    "wecom_aes_key",
    "wecom_corp_id",
    "wecom_agent_id",
    "wecom_secret",
    "wecom_api_base",
)


def add_wechat_channels(runtime: Runtime) -> None:
    """Register the configured WeChat / WeCom channels (none when their tokens are absent)."""
    settings = runtime.settings
    values = {f"TOUSU_{name.upper()}": getattr(settings, name) for name in WECHAT_SETTINGS}
    for channel in channels_from_settings(
        values,
        runtime.intake,
        runtime.coordination.state,
        runtime.coordination.dedupe,
        reply_budget_seconds=settings.wechat_reply_budget_ms / 1000,
        max_body_bytes=settings.max_body_bytes,
        locale=settings.locale,
    ):
        runtime.add_channel(channel)


def add_telegram(runtime: Runtime) -> None:
    """Register the Telegram channel when `telegram_token` is set."""
    settings = runtime.settings
    if settings.telegram_token:
        channel = TelegramChannel(
            runtime.intake,
            token=settings.telegram_token,
            secret=settings.telegram_webhook_secret,
            base_url=settings.telegram_api_base,
            max_body_bytes=settings.max_body_bytes,
        )
        runtime.add_channel(channel)
