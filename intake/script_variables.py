"""The variables a reply script (话术) about a complaint can use, built in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from intake.messages import label
from intake.records import Complaint


def complaint_variables(complaint: Complaint, locale: str) -> dict[str, Any]:
    """Number, category, severity and status (codes and words in `locale`), owner, SLA and outcome."""
    return {
        "number": complaint.number,
        "category": str(complaint.category),
        "category_label": label("category", complaint.category, locale),
        "severity": str(complaint.severity),
        "severity_label": label("severity", complaint.severity, locale),
        "status": str(complaint.status),
        "status_label": label("status", complaint.status, locale),
        "team": complaint.team,
        "agent": complaint.assignee,
        "channel": str(complaint.channel),
        "received_at": iso(complaint.received_at),
        "sla_first_response_due": iso(complaint.sla.first_response_due),
        "sla_first_feedback_due": iso(complaint.sla.first_feedback_due),
        "sla_report_due": iso(complaint.sla.report_due),
        "resolution": complaint.resolution,
        "compensation": complaint.compensation,
    }


def iso(value: datetime | None) -> str | None:
    """ISO 8601 text of `value`, None stays None."""
    return value.isoformat() if value is not None else None
