"""The shipped reply scripts: every purpose in zh and en, the acknowledgement, the rating request."""

from __future__ import annotations

import pytest

from intake.ports import Purpose, ScriptContext
from intake.records import Category, ChannelName, Severity
from router import load_scripts

VARIABLES = {
    "number": "TS-20261123-000042",
    "customer_name": "王芳",
    "customer_title": "女士",
    "team": "service_quality",
    "received_at": "2026-11-23T03:00:00+00:00",
    "sla_first_response_due": "2026-11-23T03:30:00+00:00",
    "sla_first_feedback_due": "2026-11-24T03:00:00+00:00",
    "status": "in_progress",
    "text": "阿姨明天上午十点到。",
}


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("purpose", list(Purpose))
def test_every_purpose_has_a_shipped_script(purpose: Purpose, locale: str) -> None:
    book = load_scripts()
    reply = book.render(
        ScriptContext(purpose, locale, ChannelName.WECHAT, Category.QUALITY, Severity.NORMAL, VARIABLES)
    )
    assert reply.template is not None and reply.template.startswith(purpose.value)
    assert reply.template.endswith(f".{locale}")
    assert reply.template_version == 1
    assert "{{" not in reply.text and "{%" not in reply.text and reply.text.strip()


def test_acknowledgement_names_the_number_the_salutation_and_the_promise() -> None:
    reply = load_scripts().render(ScriptContext(Purpose.ACKNOWLEDGEMENT, variables=VARIABLES))
    assert "TS-20261123-000042" in reply.text
    assert reply.text.startswith("王女士好")
    assert "品质部" in reply.text and "30分钟内" in reply.text and "24小时内" in reply.text


def test_rating_request_offers_one_to_five() -> None:
    reply = load_scripts().render(ScriptContext(Purpose.RATING_REQUEST, variables=VARIABLES))
    assert [q.payload for q in reply.quick_replies] == [f"rate:{n}" for n in range(1, 6)]
    assert all(q.label for q in reply.quick_replies)
