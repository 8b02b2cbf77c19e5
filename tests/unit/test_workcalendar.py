"""Working-day arithmetic against the official holiday calendar."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.reference_data import work_calendar
from domain.enums import Clock
from domain.workcalendar import CHINA, DAY, YearRules, build_calendar

W = Clock.WORKING


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def test_two_working_days_across_national_day_2026() -> None:
    # Wed 30 Sep 10:00: 14h left that day, 1-7 Oct are holidays, Thu 8 Oct is a full day, due Fri 9 Oct 10:00
    assert work_calendar().add(at(2026, 9, 30, 10), 2 * DAY, W) == at(2026, 10, 9, 10)


def test_make_up_working_day_counts() -> None:
    # Sunday 20 Sep 2026 is an official make-up working day (调休上班)
    cal = work_calendar()
    assert cal.is_working_day(date(2026, 9, 20))
    assert cal.add(at(2026, 9, 19, 10), DAY, W) == at(2026, 9, 21, 0)


def test_new_year_2027_from_the_statutory_holidays_without_a_warning() -> None:
    cal = work_calendar()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 2027's statutory days are known: nothing falls back to Mon-Fri
        # Thu 31 Dec 10:00 + 1 working day: 14h left, 1 Jan is a holiday, 2-3 Jan a weekend -> Mon 4 Jan 10:00
        assert cal.add(at(2026, 12, 31, 10), DAY, W) == at(2027, 1, 4, 10)
        assert not cal.is_working_day(date(2027, 1, 1))


def test_two_working_days_across_spring_festival_2027() -> None:
    # issue 11: Thu 4 Feb 10:00 has 14h left; 5 Feb (除夕) to 8 Feb (初三) are holidays, Tue 9 Feb is a
    # full day, so the deadline is Wed 10 Feb 10:00 (not Mon 8 Feb, as when 2027 knew only 元旦 and 国庆)
    assert work_calendar().add(at(2027, 2, 4, 10), 2 * DAY, W) == at(2027, 2, 10, 10)


@pytest.mark.parametrize("day", [date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5), date(2027, 6, 9),
                                 date(2027, 9, 15)], ids=["除夕", "初三", "清明", "端午", "中秋"])
def test_lunar_statutory_days_of_2027_are_not_working_days(day: date) -> None:
    assert day.weekday() < 5 and not work_calendar().is_working_day(day)


def test_years_without_an_arrangement_are_provisional_and_official_ones_are_not() -> None:
    cal = work_calendar()
    assert not cal.is_provisional(date(2026, 12, 31))
    assert cal.is_provisional(date(2027, 1, 1)) and cal.is_provisional(date(2030, 6, 1))
    assert cal.is_provisional(date(1999, 1, 1))  # not held at all: nothing official either


def test_a_clock_that_ends_in_a_provisional_year_is_provisional() -> None:
    cal = work_calendar()
    assert not cal.provisional(at(2026, 12, 1, 10), at(2026, 12, 8, 10), W)
    assert cal.provisional(at(2026, 12, 28, 10), at(2027, 1, 5, 10), W)  # judged by the due date
    assert not cal.provisional(at(2026, 12, 28, 10), at(2027, 1, 5, 10), Clock.NATURAL)


def test_an_official_override_wins_over_the_statutory_days() -> None:
    from config.reference_data import load_overrides, with_statutory_years

    overrides = load_overrides("years:\n  2027:\n    holidays: {2027-02-05: 春节, 2027-02-11: 春节}\n"
                               "    workdays: [2027-02-20]\n  2028:\n    complete: false\n"
                               "    holidays: [2028-02-01]\n")
    cal = with_statutory_years(build_calendar({}, {}, overrides), last_year=2029)
    assert cal.years[2027].complete and cal.years[2027].holidays == {date(2027, 2, 5), date(2027, 2, 11)}
    assert cal.years[2027].names[date(2027, 2, 11)] == "春节" and cal.is_working_day(date(2027, 2, 20))
    assert not cal.is_provisional(date(2027, 6, 9)) and cal.is_working_day(date(2027, 6, 9))
    assert cal.is_provisional(date(2028, 1, 1)) and not cal.is_working_day(date(2028, 2, 1))  # partial: added
    assert not cal.is_working_day(date(2028, 1, 26)) and not cal.is_working_day(date(2029, 1, 1))


def test_a_year_held_not_at_all_falls_back_to_monday_to_friday_and_warns_once() -> None:
    cal = build_calendar({}, {}, {2026: YearRules()})
    with pytest.warns(RuntimeWarning, match="2031") as record:
        assert cal.add(at(2031, 1, 3, 12), DAY, W) == at(2031, 1, 6, 12)  # Fri noon -> Mon noon
        cal.add(at(2031, 2, 3, 12), DAY, W)
    assert len([w for w in record if "2031" in str(w.message)]) == 1


def test_natural_clock_ignores_the_calendar() -> None:
    assert work_calendar().add(at(2026, 10, 1, 8), 7200, Clock.NATURAL) == at(2026, 10, 1, 10)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 1)),
    seconds=st.floats(min_value=1, max_value=20 * DAY),
)
def test_add_subtract_and_between_agree(start: datetime, seconds: float) -> None:
    cal = work_calendar()
    begin = start.replace(tzinfo=CHINA)
    end = cal.add(begin, seconds, W)
    assert end >= begin
    assert cal.between(begin, end, W) == pytest.approx(seconds, abs=1e-3)
    back = cal.subtract(end, seconds, W)
    # subtract lands on `begin`, or where working time resumes after it: no working time lies between
    assert cal.between(back, end, W) == pytest.approx(seconds, abs=1e-3)
    assert cal.between(begin, back, W) == pytest.approx(0, abs=1e-3)
    assert back >= begin - timedelta(microseconds=1)
