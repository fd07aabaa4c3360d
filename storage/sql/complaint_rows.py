"""Converting complaints to and from rows of `complaints` (free text encrypted)."""

from __future__ import annotations

from typing import Any

from intake.records import (
    Category,
    ChannelName,
    Complaint,
    ConversationRef,
    Cue,
    Entity,
    EscalationEntry,
    Priority,
    Severity,
    SlaDeadlines,
    Status,
)
from storage.crypto import FieldCipher

SLA_FIELDS = (
    "first_response_due",
    "first_feedback_due",
    "report_due",
    "first_response_at",
    "first_feedback_at",
    "resolved_at",
)
_ENCRYPTED = ("location", "resolution", "compensation", "feedback")


def complaint_values(complaint: Complaint, cipher: FieldCipher) -> dict[str, Any]:
    """Every column of a complaint except its id."""
    values: dict[str, Any] = {
        "number": complaint.number,
        "customer_id": complaint.customer_id,
        "channel": str(complaint.channel),
        "conversation": complaint.conversation.to_json(),
        "received_at": complaint.received_at,
        "content_enc": cipher.encrypt(complaint.content),
        "category": str(complaint.category),
        "severity": str(complaint.severity),
        "priority": str(complaint.priority),
        "confidence": float(complaint.confidence),
        "status": str(complaint.status),
        "source": complaint.source,
        "cues_enc": cipher.encrypt_json([c.to_json() for c in complaint.cues]),
        "entities_enc": cipher.encrypt_json([e.to_json() for e in complaint.entities]),
        "team": complaint.team,
        "assignee": complaint.assignee,
        "routing_reasons": list(complaint.routing_reasons),
        "repeat_of": complaint.repeat_of,
        "reopen_count": complaint.reopen_count,
        "escalations": [e.to_json() for e in complaint.escalations],
        "sla_paused_at": complaint.sla.paused_at,
        "occurred_at": complaint.occurred_at,
        "order_ref": complaint.order_ref,
        "worker_ref": complaint.worker_ref,
        "satisfaction": complaint.satisfaction,
        "rating_requested_at": complaint.rating_requested_at,
        "callback_needed": complaint.callback_needed,
        "updated_at": complaint.updated_at,
        "last_message_at": complaint.last_message_at,
    }
    values.update({name: getattr(complaint.sla, name) for name in SLA_FIELDS})
    values.update({f"{name}_enc": cipher.encrypt_optional(getattr(complaint, name)) for name in _ENCRYPTED})
    return values


def complaint_from_row(row: Any, cipher: FieldCipher) -> Complaint:
    """A complaint (without transcript) from a `complaints` row mapping."""
    return Complaint(
        id=row["id"],
        number=row["number"],
        customer_id=row["customer_id"],
        channel=ChannelName(row["channel"]),
        conversation=ConversationRef.from_json(row["conversation"]),
        received_at=row["received_at"],
        content=cipher.decrypt(row["content_enc"]),
        category=Category(row["category"]),
        severity=Severity(row["severity"]),
        priority=Priority(row["priority"]),
        confidence=row["confidence"],
        status=Status(row["status"]),
        source=row["source"],
        cues=tuple(
            Cue(c["layer"], c["text"], c["target"], c.get("weight", 1.0)) for c in cipher.decrypt_json(row["cues_enc"])
        ),
        entities=tuple(_entity(e) for e in cipher.decrypt_json(row["entities_enc"])),
        team=row["team"],
        assignee=row["assignee"],
        sla=SlaDeadlines(**{name: row[name] for name in SLA_FIELDS}, paused_at=row["sla_paused_at"]),
        routing_reasons=tuple(row["routing_reasons"] or ()),
        repeat_of=row["repeat_of"],
        reopen_count=int(row["reopen_count"] or 0),
        escalations=[EscalationEntry.from_json(item) for item in row["escalations"] or ()],
        occurred_at=row["occurred_at"],
        location=cipher.decrypt_optional(row["location_enc"]),
        order_ref=row["order_ref"],
        worker_ref=row["worker_ref"],
        resolution=cipher.decrypt_optional(row["resolution_enc"]),
        compensation=cipher.decrypt_optional(row["compensation_enc"]),
        feedback=cipher.decrypt_optional(row["feedback_enc"]),
        satisfaction=row["satisfaction"],
        rating_requested_at=row["rating_requested_at"],
        callback_needed=bool(row["callback_needed"]),
        updated_at=row["updated_at"],
        last_message_at=row["last_message_at"],
    )


def _entity(data: dict[str, Any]) -> Entity:
    return Entity(data["label"], data["text"], data.get("start", -1), data.get("end", -1), data.get("value"))
