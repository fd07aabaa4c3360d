"""Make older Telegram update payloads acceptable to python-telegram-bot's strict parser.

Telegram's own webhook documentation still shows updates without `is_bot` on users, a
chat without `type`, files without `file_unique_id`, a callback query without
`chat_instance` …; the Bot API sent such payloads for years and test suites keep them.
python-telegram-bot 22 rejects them with a `TypeError`. `normalise` fills each missing
required field with the value the modern API would have sent, on a copy, so that
`telegram.Update.de_json` parses them; nothing that is present is ever changed.
"""

from __future__ import annotations

import copy
from typing import Any

USER_KEYS = frozenset({"from", "user", "forward_from", "via_bot", "left_chat_member", "sender_user"})
CHAT_KEYS = frozenset({"chat", "sender_chat", "forward_from_chat"})


def normalise(update: dict[str, Any]) -> dict[str, Any]:
    """A repaired deep copy of `update` (see the module docstring)."""
    data = copy.deepcopy(update)
    _walk(data, None)
    return data


def _walk(node: Any, key: str | None) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, key)
        return
    if not isinstance(node, dict):
        return
    if key in USER_KEYS or key == "new_chat_members":
        _user(node)
    if key in CHAT_KEYS:
        _chat(node)
    if key == "callback_query":
        node.setdefault("chat_instance", "")
        if "id" in node:
            node["id"] = str(node["id"])
    if key in ("inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query") and "id" in node:
        node["id"] = str(node["id"])
    if key == "sticker":
        node.setdefault("is_animated", False)
        node.setdefault("is_video", False)
        node.setdefault("type", "regular")
    if key == "dice":
        node.setdefault("emoji", "🎲")
    if "file_id" in node:
        node.setdefault("file_unique_id", str(node["file_id"]))
    for child_key, child in list(node.items()):
        _walk(child, child_key)


def _user(node: dict[str, Any]) -> None:
    if "first_name" not in node and node.get("type") in ("channel", "group", "supergroup"):
        return  # an old-format channel in `forward_from`: left for the parser's api_kwargs
    node.setdefault("is_bot", False)
    node.setdefault("first_name", node.get("username") or "")


def _chat(node: dict[str, Any]) -> None:
    if "type" in node:
        return
    chat_id = node.get("id")
    if isinstance(chat_id, int) and chat_id > 0:
        node["type"] = "private"
    elif str(chat_id).startswith("-100"):
        node["type"] = "supergroup"
    else:
        node["type"] = "group"
