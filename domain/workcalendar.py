"""Working time: Chinese official holidays and make-up working days, as pure arithmetic.

A year is official when the State Council's arrangement (bridge days, make-up working days) is
known; a provisional year knows only the statutory holidays of the national rules, and deadlines
that fall in it may still move when the arrangement is published (`is_provisional`).

A deadline of "5 working days" is 5 x 24 hours of working-day time counted from the moment the
clock starts, skipping holidays and weekends that are not make-up working days. A natural clock
counts every second. All arithmetic is done in Asia/Shanghai local dates.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from domain.enums import Clock

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
DAY = 86_400


@dataclass(frozen=True)
class YearRules:
    """Dates that break the Mon-Fri rule in one year."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    complete: bool = True  # False: only the statutory dates are known, not the year's arrangement
    names: Mapping[date, str] = field(default_factory=dict, compare=False, hash=False)  # holiday → 元旦, 春节, …


@dataclass
class WorkCalendar:
    """Holidays and make-up working days by year; a year it does not hold at all falls back to Mon-Fri."""

    years: dict[int, YearRules]
    _warned: set[int] = field(default_factory=set, repr=False, compare=False)

    def is_working_day(self, day: date) -> bool:
        rules = self.years.get(day.year)
        if rules is None:
            self._warn_unknown(day.year)
            return day.weekday() < 5
        if day in rules.workdays:
            return True
        if day in rules.holidays:
            return False
        return day.weekday() < 5

    def is_provisional(self, day: date) -> bool:
        """Whether `day`'s year lacks an official arrangement (only statutory holidays, or nothing)."""
        rules = self.years.get(day.year)
        return rules is None or not rules.complete

    def provisional(self, start: datetime, end: datetime, clock: Clock) -> bool:
        """Whether `clock` time from `start` to `end` counts a day of a provisional year: the instant
        `end` may move when that year's arrangement is published. A natural clock never does."""
        if clock is Clock.NATURAL:
            return False
        first, last = start.astimezone(CHINA).year, end.astimezone(CHINA).year
        return any(self.is_provisional(date(year, 1, 1)) for year in range(first, last + 1))

    def add(self, start: datetime, seconds: float, clock: Clock) -> datetime:
        """The instant `seconds` of `clock` time after `start`."""
        if clock is Clock.NATURAL or seconds <= 0:
            return start + timedelta(seconds=max(seconds, 0))
        local = start.astimezone(CHINA)
        day = local.date()
        remaining = float(seconds)
        offset = _seconds_into_day(local)
        while True:
            if self.is_working_day(day):
                available = DAY - offset
                if remaining <= available + 1e-6:  # timedelta keeps microseconds only
                    moment = datetime.combine(day, time(), CHINA) + timedelta(seconds=offset + remaining)
                    return moment.astimezone(start.tzinfo or UTC)
                remaining -= available
            day += timedelta(days=1)
            offset = 0.0

    def subtract(self, end: datetime, seconds: float, clock: Clock) -> datetime:
        """The instant `seconds` of `clock` time before `end` (the inverse of `add`)."""
        if clock is Clock.NATURAL or seconds <= 0:
            return end - timedelta(seconds=max(seconds, 0))
        local = end.astimezone(CHINA)
        day = local.date()
        remaining = float(seconds)
        available = _seconds_into_day(local)
        while True:
            if self.is_working_day(day):
                if remaining <= available + 1e-6:  # timedelta keeps microseconds only
                    moment = datetime.combine(day, time(), CHINA) + timedelta(seconds=available - remaining)
                    return moment.astimezone(end.tzinfo or UTC)
                remaining -= available
            day -= timedelta(days=1)
            available = float(DAY)

    def between(self, start: datetime, end: datetime, clock: Clock) -> float:
        """Seconds of `clock` time from `start` to `end` (0 if end is not after start)."""
        if end <= start:
            return 0.0
        if clock is Clock.NATURAL:
            return (end - start).total_seconds()
        a, b = start.astimezone(CHINA), end.astimezone(CHINA)
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                lo = _seconds_into_day(a) if day == a.date() else 0.0
                hi = _seconds_into_day(b) if day == b.date() else float(DAY)
                total += max(hi - lo, 0.0)
            day += timedelta(days=1)
        return total

    def _warn_unknown(self, year: int) -> None:
        if year not in self._warned:
            self._warned.add(year)
            warnings.warn(
                f"no holiday calendar for {year}, not even its statutory holidays: counting Mon-Fri as "
                "working days",
                RuntimeWarning,
                stacklevel=3,
            )


def _seconds_into_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def build_calendar(
    holidays: Mapping[date, object],
    workdays: Mapping[date, object],
    overrides: dict[int, YearRules] | None = None,
) -> WorkCalendar:
    """A calendar from holiday/make-up-day tables (e.g. chinese-calendar's) plus per-year overrides.

    A year present in `overrides` replaces whatever the tables say about that year. A holiday whose
    value in `holidays` is a string keeps it as its name.
    """
    years: dict[int, tuple[set[date], set[date]]] = {}
    for day in holidays:
        years.setdefault(day.year, (set(), set()))[0].add(day)
    for day in workdays:
        years.setdefault(day.year, (set(), set()))[1].add(day)
    names = {day: value for day, value in holidays.items() if isinstance(value, str)}
    result = {year: YearRules(frozenset(h), frozenset(w), names={d: names[d] for d in h if d in names})
              for year, (h, w) in years.items()}
    result.update(overrides or {})
    return WorkCalendar(result)
