from datetime import UTC, datetime

from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Priority,
    QuickReply,
    Reply,
    Severity,
    SlaDeadlines,
    Status,
)


def test_priority_raise_caps_at_urgent() -> None:
    assert Priority.NORMAL.raised() == Priority.HIGH
    assert Priority.HIGH.raised(5) == Priority.URGENT
    assert Priority.LOW.rank < Priority.URGENT.rank


def test_severity_rank_orders_levels() -> None:
    assert Severity.NORMAL.rank < Severity.SERIOUS.rank < Severity.CRITICAL.rank


def test_reply_json_round_trip_keeps_quick_replies_and_template() -> None:
    reply = Reply("请评分", (QuickReply("5 非常满意", "rate:5"),), template="rating_request", template_version=3)
    assert Reply.from_json(reply.to_json()) == reply


def test_conversation_ref_round_trip() -> None:
    ref = ConversationRef(ChannelName.TELEGRAM, "12345", {"chat_type": "group"})
    assert ConversationRef.from_json(ref.to_json()) == ref


def test_complaint_json_has_the_fields_the_api_promises() -> None:
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    complaint = Complaint(
        number="TS-20261123-000001",
        customer_id="c1",
        channel=ChannelName.WEBCHAT,
        conversation=ConversationRef(ChannelName.WEBCHAT, "s1"),
        received_at=now,
        content="阿姨迟到",
        category=Category.PUNCTUALITY,
        severity=Severity.NORMAL,
        priority=Priority.NORMAL,
        confidence=0.8,
        sla=SlaDeadlines(first_response_due=now),
    )
    data = complaint.to_json()
    for key in (
        "number",
        "status",
        "received_at",
        "channel",
        "category",
        "severity",
        "priority",
        "team",
        "assignee",
        "sla",
        "repeat_of",
        "transcript",
    ):
        assert key in data
    assert data["sla"]["first_response_due"] == now.isoformat()
    assert data["status"] == "pending"
    assert complaint.is_open
    complaint.status = Status.CLOSED
    assert not complaint.is_open
