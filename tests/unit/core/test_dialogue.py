from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from intake.dialogue import Action, DialogueContext, decide, find_number, find_phone, find_rating
from intake.records import (
    Category,
    ChannelName,
    Classification,
    Complaint,
    ConversationRef,
    Identity,
    InboundMessage,
    Intent,
    MessageKind,
    Priority,
    Severity,
    Status,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CONVERSATION = ConversationRef(ChannelName.WEBCHAT, "session-1")


def message(text: str = "", kind: MessageKind = MessageKind.TEXT, **extra: object) -> InboundMessage:
    return InboundMessage(
        channel=ChannelName.WEBCHAT,
        external_id="m1",
        sender=Identity(ChannelName.WEBCHAT, "session-1"),
        conversation=CONVERSATION,
        kind=kind,
        text=text,
        received_at=NOW,
        **extra,  # type: ignore[arg-type]
    )


def complaint(status: Status = Status.PENDING, minutes_ago: int = 5, **extra: object) -> Complaint:
    at = NOW - timedelta(minutes=minutes_ago)
    base = Complaint(
        number="TS-20261123-000001",
        customer_id="c1",
        channel=ChannelName.WEBCHAT,
        conversation=CONVERSATION,
        received_at=at,
        content="阿姨迟到",
        category=Category.PUNCTUALITY,
        severity=Severity.NORMAL,
        priority=Priority.NORMAL,
        confidence=0.9,
        status=status,
        last_message_at=at,
    )
    return replace(base, **extra)  # type: ignore[arg-type]


def ctx(
    msg: InboundMessage, *complaints: Complaint, intent: Intent = Intent.COMPLAINT, state: dict | None = None
) -> DialogueContext:
    classification = Classification(Category.QUALITY, Severity.NORMAL, 0.8, intent) if msg.text else None
    return DialogueContext(msg, classification, complaints, state, NOW, timedelta(minutes=30))


def test_a_first_complaint_opens_a_new_one() -> None:
    assert decide(ctx(message("阿姨打扫不干净"))).action == Action.NEW_COMPLAINT


def test_more_detail_while_open_and_recent_is_appended() -> None:
    open_one = complaint()
    decision = decide(ctx(message("而且还早退了"), open_one))
    assert decision.action == Action.APPEND
    assert decision.complaint is open_one


def test_an_old_open_complaint_does_not_swallow_a_new_one() -> None:
    assert decide(ctx(message("又有新问题"), complaint(minutes_ago=120))).action == Action.NEW_COMPLAINT


def test_a_closed_complaint_is_not_extended() -> None:
    assert decide(ctx(message("新的问题"), complaint(Status.CLOSED))).action == Action.NEW_COMPLAINT


@pytest.mark.parametrize("intent", [Intent.GREETING, Intent.THANKS, Intent.PRAISE, Intent.ENQUIRY])
def test_small_talk_never_opens_a_complaint(intent: Intent) -> None:
    decision = decide(ctx(message("你好"), intent=intent))
    assert decision.action == Action.SMALL_TALK
    assert decision.intent == intent


def test_progress_question_by_words_by_intent_and_by_number() -> None:
    assert decide(ctx(message("查询进度"))).action == Action.STATUS
    assert decide(ctx(message("我的事情"), intent=Intent.PROGRESS)).action == Action.STATUS
    decision = decide(ctx(message("ts-20261120-000042 处理得如何")))
    assert decision.action == Action.STATUS and decision.number == "TS-20261120-000042"


def test_rating_only_when_one_was_asked_for() -> None:
    asked = complaint(Status.RESOLVED, rating_requested_at=NOW)
    decision = decide(ctx(message("4"), asked))
    assert decision.action == Action.RATE and decision.rating == 4
    assert decide(ctx(message("rate:1"), asked)).rating == 1
    assert decide(ctx(message("4"), complaint(Status.RESOLVED))).action != Action.RATE
    assert decide(ctx(message("6"), asked)).action != Action.RATE


def test_phone_answer_when_awaited_but_not_inside_a_long_story() -> None:
    waiting = {"awaiting": "phone", "complaint": "TS-20261123-000001"}
    decision = decide(ctx(message("138 0013 8000"), complaint(), state=waiting))
    assert decision.action == Action.PROVIDE_PHONE and decision.phone == "13800138000"
    story = "我刚才又想起来，阿姨走的时候把我家钥匙带走了，她电话13800138000一直打不通"
    assert decide(ctx(message(story), complaint(), state=waiting)).action == Action.APPEND


def test_shared_contact_gives_the_phone() -> None:
    decision = decide(ctx(message("", MessageKind.CONTACT, phone="13900139000")))
    assert decision.action == Action.PROVIDE_PHONE and decision.phone == "13900139000"


def test_events_and_commands() -> None:
    assert decide(ctx(message("", MessageKind.EVENT, event="subscribe"))).action == Action.WELCOME
    assert decide(ctx(message("", MessageKind.EVENT, event="unsubscribe"))).action == Action.UNREACHABLE
    assert decide(ctx(message("我要投诉", MessageKind.EVENT, event="click"))).action == Action.PROMPT_COMPLAINT
    assert decide(ctx(message("progress", MessageKind.EVENT, event="click"))).action == Action.STATUS
    assert decide(ctx(message("", MessageKind.EVENT, event="view"))).action == Action.IGNORE
    assert decide(ctx(message("/start", MessageKind.COMMAND))).action == Action.WELCOME
    assert decide(ctx(message("/status@tousu_bot", MessageKind.COMMAND))).action == Action.STATUS
    cancel = decide(ctx(message("/cancel", MessageKind.COMMAND), complaint()))
    assert cancel.action == Action.CANCEL and cancel.complaint is not None


def test_voice_without_transcription_asks_for_text() -> None:
    assert decide(ctx(message("", MessageKind.VOICE))).action == Action.ASK_TEXT


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("电话13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("12345678901", None),
        ("订单号 2023113800138000123", None),
    ],
)
def test_find_phone(text: str, phone: str | None) -> None:
    assert find_phone(text) == phone


def test_find_number_and_rating() -> None:
    assert find_number("单号TS-20261123-000007") == "TS-20261123-000007"
    assert find_number("TS-2026-1") is None
    assert [find_rating(t) for t in ("5", " 3分 ", "rate:2", "10", "五")] == [5, 3, 2, None, None]


def test_a_stray_rating_with_nothing_asked_never_opens_or_extends_a_complaint() -> None:
    for stray in (message("rate:3", MessageKind.CALLBACK), message("rate:3"), message("4", MessageKind.CALLBACK)):
        assert decide(ctx(stray)).action == Action.RATING_NOT_ASKED
        assert decide(ctx(stray, complaint())).action == Action.RATING_NOT_ASKED  # open, recent: not appended
        rated = complaint(Status.CLOSED, rating_requested_at=NOW, satisfaction=4)
        assert decide(ctx(stray, rated)).action == Action.RATING_NOT_ASKED  # the button pressed twice
    assert decide(ctx(message("4"))).action != Action.RATING_NOT_ASKED  # a bare digit typed is left alone
