"""The business calendar: Chinese working days (holidays and make-up workdays) and service hours.

Working days come from the `chinese_calendar` package, overridden by the operator's own
extra holidays and extra workdays; for years the package has no data for, Monday to Friday
count as working days. Service hours are the daily window in which the customer-service
desk works; SLA clocks marked "@service" only run inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from router.durations import Clock, Duration

_MAX_DAYS_SCANNED = 800


@dataclass(frozen=True, slots=True)
class ServiceWindow:
    """Daily opening hours; `end` of 00:00 means midnight at the end of the day."""

    start: time
    end: time
    every_day: bool = True

    def bounds(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The window of `day` as aware datetimes."""
        opens = datetime.combine(day, self.start, tz)
        close_day = day + timedelta(days=1) if self.end <= self.start else day
        closes = datetime.combine(close_day, self.end, tz)
        return opens, closes


@dataclass(slots=True)
class BusinessCalendar:
    """Working days and service hours in one time zone."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    service: ServiceWindow | None = None
    workday_end: time = time(18, 0)
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    _known: dict[date, bool] = field(default_factory=dict, repr=False, compare=False)

    def is_workday(self, day: date) -> bool:
        """True on a working day: weekdays that are not public holidays, and make-up workdays."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def local(self, moment: datetime) -> datetime:
        """`moment` in the calendar's time zone."""
        return moment.astimezone(self.tz)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """`start` plus `duration` counted on the duration's clock; aware UTC."""
        if duration.clock is Clock.WORKDAYS:
            return self.add_working_days(start, duration.amount)
        if duration.clock is Clock.SERVICE:
            return self.add_service_time(start, duration.delta)
        return (start + duration.delta).astimezone(UTC)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """End of the `days`-th working day after the local day of `start` (at `workday_end`)."""
        day = self.local(start).date()
        counted = 0
        for _ in range(_MAX_DAYS_SCANNED):
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
                if counted >= days:
                    break
        return datetime.combine(day, self.workday_end, self.tz).astimezone(UTC)

    def in_service(self, moment: datetime) -> bool:
        """True when the service desk is open at `moment`."""
        if self.service is None:
            return True
        local = self.local(moment)
        for day in (local.date() - timedelta(days=1), local.date()):
            if not self._service_day(day):
                continue
            opens, closes = self.service.bounds(day, self.tz)
            if opens <= local < closes:
                return True
        return False

    def add_service_time(self, start: datetime, span: timedelta) -> datetime:
        """`start` plus `span` of service-desk time (the clock stops while the desk is closed)."""
        if self.service is None:
            return (start + span).astimezone(UTC)
        remaining = span
        cursor = self.local(start)
        day = cursor.date() - timedelta(days=1)
        for _ in range(_MAX_DAYS_SCANNED):
            if self._service_day(day):
                opens, closes = self.service.bounds(day, self.tz)
                begin = max(cursor, opens)
                if begin < closes:
                    if begin + remaining <= closes:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= closes - begin
                    cursor = closes
            day += timedelta(days=1)
        return (start + span).astimezone(UTC)

    def _service_day(self, day: date) -> bool:
        assert self.service is not None
        return self.service.every_day or self.is_workday(day)
