"""The statutory holidays computed from the lunar calendar, checked against dates derived by hand
(from published lunar tables: 春节 2027-02-06 and 2028-01-26, 清明 on the solar term) and against
chinese-calendar's official years under the same rules."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from config.statutory_holidays import RULES_SINCE, statutory_holidays


def _days(year: int, *pairs: tuple[int, int]) -> list[date]:
    return [date(year, m, d) for m, d in pairs]


def test_2027() -> None:
    assert statutory_holidays(2027) == {
        date(2027, 1, 1): "元旦",
        **dict.fromkeys(_days(2027, (2, 5), (2, 6), (2, 7), (2, 8)), "春节"),  # 除夕 Fri 5 Feb … 初三 Mon 8 Feb
        date(2027, 4, 5): "清明节",
        **dict.fromkeys(_days(2027, (5, 1), (5, 2)), "劳动节"),
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        **dict.fromkeys(_days(2027, (10, 1), (10, 2), (10, 3)), "国庆节"),
    }


def test_2028_where_mid_autumn_falls_on_national_day() -> None:
    assert statutory_holidays(2028) == {
        date(2028, 1, 1): "元旦",
        **dict.fromkeys(_days(2028, (1, 25), (1, 26), (1, 27), (1, 28)), "春节"),  # 除夕 Tue 25 Jan
        date(2028, 4, 4): "清明节",  # a leap year: the solar term comes a day early
        **dict.fromkeys(_days(2028, (5, 1), (5, 2)), "劳动节"),
        date(2028, 5, 28): "端午节",
        date(2028, 10, 1): "国庆节",
        date(2028, 10, 2): "国庆节",
        date(2028, 10, 3): "中秋节、国庆节",  # 八月十五 is 3 Oct: one day, both names
    }


@pytest.mark.parametrize("year", [2020, 2023, 2033])
def test_spring_festival_eve_is_the_day_before_new_year_whether_the_twelfth_month_has_29_or_30_days(
        year: int) -> None:
    spring = {2020: date(2020, 1, 25), 2023: date(2023, 1, 22), 2033: date(2033, 1, 31)}[year]
    festival = sorted(d for d, name in statutory_holidays(year).items() if name == "春节")
    assert festival == [date.fromordinal(spring.toordinal() + k) for k in (-1, 0, 1, 2)]


@pytest.mark.parametrize("year", [y for y in range(RULES_SINCE, 2100) if date(y, 1, 1) in chinese_calendar.holidays])
def test_every_statutory_day_is_an_official_holiday_in_the_years_chinese_calendar_knows(year: int) -> None:
    # an official arrangement only adds bridge days around the statutory ones, never drops one
    assert set(statutory_holidays(year)) <= {d for d in chinese_calendar.holidays if d.year == year}


@pytest.mark.parametrize("year", range(RULES_SINCE, 2040))
def test_thirteen_days_every_year(year: int) -> None:
    names = statutory_holidays(year).values()
    assert sum(len(name.split("、")) for name in names) == 13
