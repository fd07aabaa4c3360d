"""SLA deadlines on the Chinese business calendar: weekends, public holidays, make-up workdays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intake.records import Severity, Tier
from router import load_rules, parse_rules
from router.calendar import BusinessCalendar
from router.durations import parse_duration
from router.sla import SlaBook

BEIJING = ZoneInfo("Asia/Shanghai")

SHIPPED = Path(__file__).resolve().parents[3] / "router" / "rules.toml"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def book() -> SlaBook:
    config = load_rules()
    return SlaBook(config.sla, config.calendar)


def test_calendar_knows_the_2025_national_day_period() -> None:
    calendar = BusinessCalendar()
    assert calendar.is_workday(date(2025, 9, 28))  # Sunday, make-up workday
    assert not calendar.is_workday(date(2025, 10, 1))  # National Day
    assert not calendar.is_workday(date(2025, 10, 8))  # last day of the holiday
    assert calendar.is_workday(date(2025, 10, 11))  # Saturday, make-up workday
    assert not calendar.is_workday(date(2025, 10, 12))  # an ordinary Sunday


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        (local(2026, 11, 20, 10), local(2026, 12, 1, 18), "Friday: the weekend does not count"),
        (local(2025, 9, 30, 10), local(2025, 10, 16, 18), "before National Day: Oct 1-8 off, Sat Oct 11 works"),
        (local(2025, 9, 26, 10), local(2025, 10, 13, 18), "Sun Sep 28 and Sat Oct 11 work, Oct 1-8 off"),
    ],
)
def test_report_due_in_seven_working_days(book: SlaBook, received: datetime, due: datetime, why: str) -> None:
    assert book.deadlines(Severity.NORMAL, Tier.REGULAR, received).report_due == due.astimezone(UTC), why


def test_one_working_day_lands_on_a_make_up_sunday() -> None:
    calendar = BusinessCalendar()
    assert calendar.add(local(2025, 9, 26, 17), parse_duration("1wd", "t")) == local(2025, 9, 28, 18).astimezone(UTC)


def test_response_clock_runs_in_service_hours_only(book: SlaBook) -> None:
    late = local(2025, 10, 1, 21, 50)  # a public holiday: the desk still works (home service), until 22:00
    deadlines = book.deadlines(Severity.NORMAL, Tier.REGULAR, late)
    assert deadlines.first_response_due == local(2025, 10, 2, 8, 20).astimezone(UTC)
    assert deadlines.first_feedback_due == late.astimezone(UTC) + timedelta(hours=24)


def test_critical_runs_day_and_night_and_policies_by_tier(book: SlaBook) -> None:
    night = local(2025, 10, 3, 23, 0)
    critical = book.deadlines(Severity.CRITICAL, Tier.REGULAR, night)
    assert critical.first_response_due == night.astimezone(UTC) + timedelta(minutes=15)
    assert critical.first_feedback_due == night.astimezone(UTC) + timedelta(hours=4)
    vip = book.deadlines(Severity.NORMAL, Tier.VIP, night)
    assert vip.first_feedback_due == night.astimezone(UTC) + timedelta(hours=12)
    assert book.policy(Severity.SERIOUS, Tier.VIP).escalate_immediately


def test_workday_only_desk_and_company_days_off() -> None:
    rules = SHIPPED.read_text(encoding="utf-8")
    rules = rules.replace('service_days = "daily"', 'service_days = "workdays"').replace(
        "extra_holidays = []", 'extra_holidays = ["2025-10-09"]'
    )
    config = parse_rules(rules)
    book = SlaBook(config.sla, config.calendar)
    received = local(2025, 9, 30, 21, 50)  # 10 minutes left on Sep 30, then the holiday and the company day off
    deadlines = book.deadlines(Severity.NORMAL, Tier.REGULAR, received)
    assert deadlines.first_response_due == local(2025, 10, 10, 8, 20).astimezone(UTC)
    assert deadlines.report_due == local(2025, 10, 17, 18).astimezone(UTC)
