"""Working-day arithmetic against the official holiday calendar."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import Clock
from domain.workcalendar import CHINA, DAY, YearRules, build_calendar
from jiehu.reference_data import work_calendar

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


def test_new_year_2027_from_the_override_file() -> None:
    cal = work_calendar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2027 is only partly known: the override warns once
        # Thu 31 Dec 10:00 + 1 working day: 14h left, 1 Jan is a holiday, 2-3 Jan a weekend -> Mon 4 Jan 10:00
        assert cal.add(at(2026, 12, 31, 10), DAY, W) == at(2027, 1, 4, 10)
        assert not cal.is_working_day(date(2027, 1, 1))


def test_unknown_year_falls_back_to_monday_to_friday_and_warns_once() -> None:
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
