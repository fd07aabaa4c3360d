"""The catalogue entries of the Telegram channel and its CLI (no SDK import: cheap to load)."""

from __future__ import annotations

from intake.messages import register

register(
    "zh",
    {
        "telegram.bad_secret": "缺少或错误的 Telegram webhook 密钥",
        "telegram.not_update": "请求体不是 Telegram Update：{detail}",
        "telegram.webhook_set": "Telegram webhook 已设置为 {url}",
        "telegram.polling": "正在通过长轮询接收 Telegram 消息（Ctrl+C 停止）",
        "telegram.not_configured": "未配置 Telegram：请设置 TOUSU_TELEGRAM_TOKEN",
        "telegram.secret_required": "设置 webhook 需要 TOUSU_TELEGRAM_WEBHOOK_SECRET（1–256 个字母、数字、_ 或 -）",
        "telegram.api_error": "Telegram 接口调用失败：{detail}",
        "telegram.bad_url": "不是有效的网址：{url}（应以 https:// 开头）",
    },
)
register(
    "en",
    {
        "telegram.bad_secret": "Missing or wrong Telegram webhook secret",
        "telegram.not_update": "The body is not a Telegram Update: {detail}",
        "telegram.webhook_set": "Telegram webhook set to {url}",
        "telegram.polling": "Receiving Telegram messages by long polling (Ctrl+C to stop)",
        "telegram.not_configured": "Telegram is not configured: set TOUSU_TELEGRAM_TOKEN",
        "telegram.secret_required": (
            "Setting the webhook needs TOUSU_TELEGRAM_WEBHOOK_SECRET (1–256 letters, digits, _ or -)"
        ),
        "telegram.api_error": "Telegram API call failed: {detail}",
        "telegram.bad_url": "Not a URL: {url} (it should start with https://)",
    },
)
