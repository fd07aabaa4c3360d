"""SLA policy: deadlines for a complaint from its severity and the customer's tier."""

from __future__ import annotations

from datetime import datetime

from intake.records import Severity, SlaDeadlines, Tier
from router.calendar import BusinessCalendar
from router.config import SlaPolicy


class SlaBook:
    """Chooses the most specific policy and computes deadlines on the business calendar."""

    def __init__(self, policies: tuple[SlaPolicy, ...], calendar: BusinessCalendar) -> None:
        self._policies = policies
        self.calendar = calendar

    def policy(self, severity: Severity, tier: Tier) -> SlaPolicy:
        """The policy for this severity and tier: severity beats tier, both beat the generic one."""
        matches = [
            policy for policy in self._policies if policy.severity in (None, severity) and policy.tier in (None, tier)
        ]
        return max(matches, key=lambda policy: policy.specificity)

    def deadlines(self, severity: Severity, tier: Tier, received_at: datetime) -> SlaDeadlines:
        """First response, first feedback and report deadlines of a complaint received at `received_at`."""
        policy = self.policy(severity, tier)
        return SlaDeadlines(
            first_response_due=self.calendar.add(received_at, policy.first_response),
            first_feedback_due=self.calendar.add(received_at, policy.first_feedback),
            report_due=self.calendar.add(received_at, policy.report),
        )
