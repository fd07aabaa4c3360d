"""Notices to agents (new assignment, escalation, SLA warning, reassignment), rendered from scripts.

The text comes from the reply scripts (purposes `notice_*`), so operators tune it like any
other script; the notice is then handed to the configured notifiers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from intake.ports import Notice, NoticeKind, Notifier, Purpose, ReplyScripts, ScriptContext
from intake.records import Complaint
from router.config import RoutingConfig

log = logging.getLogger(__name__)

NoticeSender = Callable[[Notice], Awaitable[None]]

_PURPOSES = {
    NoticeKind.ASSIGNED: Purpose.NOTICE_ASSIGNED,
    NoticeKind.ESCALATED: Purpose.NOTICE_ESCALATED,
    NoticeKind.SLA_WARNING: Purpose.NOTICE_SLA_WARNING,
    NoticeKind.REASSIGNED: Purpose.NOTICE_REASSIGNED,
}


class NoticeMaker:
    """Builds a `Notice` about a complaint from the matching `notice_*` script."""

    def __init__(self, scripts: ReplyScripts, config: RoutingConfig, locale: str = "zh") -> None:
        self._scripts = scripts
        self._config = config
        self._locale = locale

    def replace_config(self, config: RoutingConfig) -> None:
        """Name agents and teams from `config` from now on (the console's rules save)."""
        self._config = config

    def make(
        self,
        kind: NoticeKind,
        complaint: Complaint,
        recipients: Sequence[str | None],
        at: datetime,
        *,
        deadline: str | None = None,
        due: datetime | None = None,
        previous_agent: str | None = None,
    ) -> Notice:
        """The notice of `kind` about `complaint` for `recipients` (None entries are dropped)."""
        people = tuple(dict.fromkeys(person for person in recipients if person))
        names = self._config.agent_names()
        variables = {
            "number": complaint.number,
            "category": str(complaint.category),
            "severity": str(complaint.severity),
            "priority": str(complaint.priority),
            "team": complaint.team,
            "agent": complaint.assignee,
            "reasons": list(complaint.routing_reasons),
            "deadline": deadline,
            "due": due.isoformat() if due is not None else _first_due(complaint),
            "recipient": people[0] if len(people) == 1 else None,
            "previous_agent": previous_agent,
            "overdue": due is not None and due <= at,
            "received_at": complaint.received_at.isoformat(),
            "now": at.isoformat(),
        }
        context = ScriptContext(
            _PURPOSES[kind], self._locale, None, complaint.category, complaint.severity, variables=variables
        )
        reply = self._scripts.render(context)
        return Notice(
            kind=kind,
            complaint_number=complaint.number,
            recipients=people,
            text=reply.text,
            at=at,
            names=tuple(names.get(person, person) for person in people),
            team=complaint.team,
            priority=str(complaint.priority),
            template=reply.template,
            template_version=reply.template_version,
        )


def _first_due(complaint: Complaint) -> str | None:
    due = complaint.sla.first_response_due
    return due.isoformat() if due is not None and complaint.sla.first_response_at is None else None


def fan_out(notifiers: Sequence[Notifier]) -> NoticeSender:
    """A sender that hands each notice to every notifier; one failing never stops the others."""

    async def send(notice: Notice) -> None:
        for notifier in notifiers:
            try:
                await notifier.notify(notice)
            except Exception:  # a notice is never worth failing the work that caused it
                log.exception("notifier %s failed for %s", notifier.name, notice.complaint_number)

    return send
