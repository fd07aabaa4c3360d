"""Catalogue messages carried by errors: words in the reader's locale, English in `str()`."""

from __future__ import annotations

from intake.errors import ConfigError, InvalidInput
from intake.messages import Message, entry, register, words

register("zh", {"test.hello": "你好 {name}", "test.inner": "第 {n} 项", "test.list": "问题：\n  {lines}"})
register("en", {"test.hello": "hello {name}", "test.inner": "item {n}", "test.list": "problems:\n  {lines}"})


def test_a_message_is_english_in_str_and_any_locale_in_text() -> None:
    message = entry("test.hello", name=entry("test.inner", n=2))
    assert str(message) == "hello item 2"
    assert message.text() == "你好 第 2 项" and message.text("en") == "hello item 2"
    lines = Message("test.list", {"lines": [entry("test.inner", n=1), "plain"]})
    assert lines.text("zh") == "问题：\n  第 1 项\n  plain"
    assert words(lines, "en") == "problems:\n  item 1\n  plain" and words(5) == "5"


def test_an_error_with_a_message_speaks_the_readers_locale() -> None:
    error = InvalidInput(entry("test.hello", name="x"), field="file")
    assert str(error) == "hello x"
    assert error.detail_text("zh") == "你好 x" and error.detail_text("en") == "hello x"
    assert error.text("zh") == "请求内容有误：你好 x" and error.text("en") == "Invalid request: hello x"


def test_an_error_without_a_message_keeps_its_detail() -> None:
    error = ConfigError("internal words", detail="shown words")
    assert error.entry is None and error.detail_text("en") == "shown words"
    assert error.text("zh") == "配置错误：shown words"
    assert ConfigError("only text").text("en") == "Configuration error: only text"
