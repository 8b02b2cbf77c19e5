"""Working time: Chinese official holidays and make-up working days, as pure arithmetic.

A year is official when the State Council's arrangement (bridge days, make-up working days) is
known; a provisional year knows only the statutory holidays of the national rules, and deadlines
that fall in it may still move when the arrangement is published (`is_provisional`).

Clocks (`Clock`; docs/deadline-rules.md):
- NATURAL counts every second.
- WORKING (legacy, kept for the petitions whose rules use it) counts every second of a working day:
  "5 working days" is 5 x 24 hours of working-day time from the moment the clock starts.
- OFFICE counts only the office hours of working days (`OfficeHours`: seasonal schedules, data).
- WHOLE_WORKING_DAYS counts whole working days from the next working day (次日起算, 含本数): a day is
  86,400 units spread evenly over that day's office hours, the day the clock starts does not count,
  so N days end when the office closes on the Nth working day after it.
Working days skip holidays and weekends that are not make-up working days. All arithmetic is done in
Asia/Shanghai local dates.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from domain.enums import Clock

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
DAY = 86_400
_EPS = 1e-6  # timedelta keeps microseconds only

Period = tuple[time, time]


@dataclass(frozen=True)
class OfficeSchedule:
    """One season's office hours (作息时间): the periods of a working day in local time, in order
    (an end of 00:00 is midnight at the end of the day)."""

    name: str  # e.g. winter
    label: str  # e.g. 冬季作息
    starts: tuple[int, int]  # (month, day): it applies from this day each year until the next season starts
    periods: tuple[Period, ...]

    def __post_init__(self) -> None:
        month, day = self.starts
        date(2025, month, day)  # raises on a day not every year has (29 February)
        if not self.periods:
            raise ValueError(f"office schedule {self.name!r} has no periods")
        last = 0.0
        for (begin, end), (lo, hi) in zip(self.periods, self.seconds(), strict=True):
            if not lo < hi or lo < last:
                raise ValueError(f"office schedule {self.name!r}: periods must be in order and not overlap, "
                                 f"got {begin:%H:%M}-{end:%H:%M}")
            last = hi

    def seconds(self) -> tuple[tuple[float, float], ...]:
        """The periods as seconds into the day."""
        return tuple((_seconds_of(begin), _seconds_of(end) if end != time() else float(DAY))
                     for begin, end in self.periods)


@dataclass(frozen=True)
class OfficeHours:
    """Seasonal office schedules; each season runs from its `starts` to the next one's, around the year."""

    seasons: tuple[OfficeSchedule, ...]

    def __post_init__(self) -> None:
        if not self.seasons:
            raise ValueError("office hours need at least one season")
        if len({s.starts for s in self.seasons}) != len(self.seasons):
            raise ValueError("two office seasons start on the same day")
        object.__setattr__(self, "seasons", tuple(sorted(self.seasons, key=lambda s: s.starts)))

    def schedule_on(self, day: date) -> OfficeSchedule:
        """The office schedule in force on `day` (the season that started last, by month and day)."""
        current = self.seasons[-1]  # the last season of the year runs on into January
        for season in self.seasons:
            if season.starts <= (day.month, day.day):
                current = season
        return current

    def seasons_of(self, year: int) -> list[tuple[date, date, OfficeSchedule]]:
        """The schedules of `year` with the first and last day each applies on."""
        starts = [(date(year, 1, 1), self.schedule_on(date(year, 1, 1)))]
        for season in self.seasons:
            first = date(year, *season.starts)
            if first == starts[-1][0]:
                starts[-1] = (first, season)
            else:
                starts.append((first, season))
        ends = [nxt - timedelta(days=1) for nxt, _ in starts[1:]] + [date(year, 12, 31)]
        return [(first, last, season) for (first, season), last in zip(starts, ends, strict=True)]




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
    # None: none configured, office time is the whole working day (the OFFICE and WHOLE_WORKING_DAYS clocks)
    office_hours: OfficeHours | None = None
    _warned: set[int] = field(default_factory=set, repr=False, compare=False)

    def with_years(self, years: Mapping[int, YearRules]) -> WorkCalendar:
        """A copy in which each year of `years` replaces what this calendar holds for it."""
        return WorkCalendar({**self.years, **years}, self.office_hours)

    def same_place(self, other: WorkCalendar, start: datetime, due: datetime) -> datetime:
        """`due` moved to the same place among `other`'s working days as it holds among this calendar's,
        counting from `start`'s day: due on the k-th working day after it here, it is due on the k-th
        working day after it in `other`, at the same local time of day (a yellow card at 16:00 stays at
        16:00, a deadline at the office's close stays at the close). A `due` on `start`'s day, or on a
        day this calendar does not count as working, stays where it is. Shapes: aware datetimes in,
        an aware datetime in `due`'s zone out."""
        first, local = start.astimezone(CHINA).date(), due.astimezone(CHINA)
        last = local.date()
        if last <= first or not self.is_working_day(last):
            return due
        place = sum(1 for n in range(1, (last - first).days + 1) if self.is_working_day(first + timedelta(days=n)))
        day, counted = first, 0
        while counted < place:
            day += timedelta(days=1)
            counted += other.is_working_day(day)
        return datetime.combine(day, local.time(), CHINA).astimezone(due.tzinfo or UTC)

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day: a make-up working day (调休上班) is, a holiday is not, otherwise Monday to
        Friday. A year without rules counts weekdays (and warns once)."""
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
        """The instant `seconds` of `clock` time after `start` (the earliest, where the clock stands
        still). WHOLE_WORKING_DAYS counts from the next day: the rest of `start`'s day does not count."""
        if clock is Clock.NATURAL or seconds <= 0:
            return start + timedelta(seconds=max(seconds, 0))
        if clock is not Clock.WORKING:
            begin = _next_day(start) if clock is Clock.WHOLE_WORKING_DAYS else start.astimezone(CHINA)
            return self._add_office(begin, seconds, clock).astimezone(start.tzinfo or UTC)
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
        """The instant `seconds` of `clock` time before `end` (the inverse of `add`). For OFFICE and
        WHOLE_WORKING_DAYS the earliest such instant: one whole working day before the close of a day is
        the close of the working day before it, not the next morning."""
        if clock is Clock.NATURAL or seconds <= 0:
            return end - timedelta(seconds=max(seconds, 0))
        if clock is not Clock.WORKING:
            return self._subtract_office(end.astimezone(CHINA), seconds, clock).astimezone(end.tzinfo or UTC)
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
        """Seconds of `clock` time from `start` to `end` (0 if end is not after start).

        WHOLE_WORKING_DAYS counts whole days: the working days after `start`'s day up to and including
        `end`'s (a day begun is spent). So it adds up (between(a, b) + between(b, c) == between(a, c)): a
        paused clock keeps the whole days it has not begun, a resumed one counts them from the next day,
        and the days a unit used before a return plus the days left are the days it was given."""
        if end <= start:
            return 0.0
        if clock is Clock.NATURAL:
            return (end - start).total_seconds()
        if clock is Clock.WHOLE_WORKING_DAYS:
            begin, until = _next_day(start), _next_day(end)
            return self._between_office(begin, until, clock) if until > begin else 0.0
        if clock is Clock.OFFICE:
            return self._between_office(start.astimezone(CHINA), end.astimezone(CHINA), clock)
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

    def _segments(self, day: date, clock: Clock) -> tuple[tuple[float, float, float], ...]:
        """The office periods of `day` as (from, to) seconds into it and how many units of `clock` a
        second of them counts; none on a day off."""
        if not self.is_working_day(day):
            return ()
        periods = (self.office_hours or WHOLE_DAY).schedule_on(day).seconds()
        weight = 1.0 if clock is Clock.OFFICE else DAY / sum(hi - lo for lo, hi in periods)
        return tuple((lo, hi, weight) for lo, hi in periods)

    def _add_office(self, local: datetime, seconds: float, clock: Clock) -> datetime:
        day, offset, remaining = local.date(), _seconds_into_day(local), float(seconds)
        while True:
            for lo, hi, weight in self._segments(day, clock):
                lo = max(lo, offset)
                if hi <= lo:
                    continue
                available = (hi - lo) * weight
                if remaining <= available + _EPS:
                    return _at(day, min(lo + remaining / weight, hi))
                remaining -= available
            day += timedelta(days=1)
            offset = 0.0

    def _subtract_office(self, local: datetime, seconds: float, clock: Clock) -> datetime:
        day, limit, remaining = local.date(), _seconds_into_day(local), float(seconds)
        while True:
            for lo, hi, weight in reversed(self._segments(day, clock)):
                hi = min(hi, limit)
                if hi <= lo:
                    continue
                if remaining <= _EPS:  # counted back to the start of the next period: the earliest instant is here
                    return _at(day, hi)
                available = (hi - lo) * weight
                if remaining < available - _EPS:
                    return _at(day, hi - remaining / weight)
                remaining = max(remaining - available, 0.0)
            day -= timedelta(days=1)
            limit = float(DAY)

    def _between_office(self, a: datetime, b: datetime, clock: Clock) -> float:
        total, day = 0.0, a.date()
        while day <= b.date():
            lo_bound = _seconds_into_day(a) if day == a.date() else 0.0
            hi_bound = _seconds_into_day(b) if day == b.date() else float(DAY)
            for lo, hi, weight in self._segments(day, clock):
                total += max(min(hi, hi_bound) - max(lo, lo_bound), 0.0) * weight
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


def _seconds_of(moment: time) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def _at(day: date, seconds: float) -> datetime:
    return datetime.combine(day, time(), CHINA) + timedelta(seconds=seconds)


def _next_day(moment: datetime) -> datetime:
    """Midnight after `moment`'s local day: where a clock counted from the next day starts."""
    return datetime.combine(moment.astimezone(CHINA).date() + timedelta(days=1), time(), CHINA)



# office time when none is configured: the whole of every working day
WHOLE_DAY = OfficeHours((OfficeSchedule("whole_day", "全天", (1, 1), ((time(), time()),)),))


def build_calendar(
    holidays: Mapping[date, object],
    workdays: Mapping[date, object],
    overrides: dict[int, YearRules] | None = None,
    office_hours: OfficeHours | None = None,
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
    return WorkCalendar(result, office_hours)
