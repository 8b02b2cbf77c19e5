"""The gauges behind the alert that next year's holiday arrangement is missing (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY

from domain.workcalendar import YearRules, build_calendar
from jiehu.gauges import refresh_calendar
from jiehu.reference_data import work_calendar


def _gauges() -> tuple[float | None, float | None]:
    return (REGISTRY.get_sample_value("jiehu_calendar_next_year_official"),
            REGISTRY.get_sample_value("jiehu_calendar_days_until_next_year"))


def test_next_year_provisional_and_the_days_left_in_china_time() -> None:
    refresh_calendar(work_calendar(), datetime(2026, 11, 30, 16, tzinfo=UTC))  # 1 December 00:00 in Jining
    assert _gauges() == (0, 31)
    refresh_calendar(work_calendar(), datetime(2026, 11, 30, 15, 59, tzinfo=UTC))
    assert _gauges() == (0, 32)


def test_an_official_next_year_reads_one() -> None:
    calendar = build_calendar({}, {}, {2027: YearRules(), 2028: YearRules(complete=False)})
    refresh_calendar(calendar, datetime(2026, 12, 20, tzinfo=UTC))
    assert _gauges() == (1, 12)
    refresh_calendar(calendar, datetime(2027, 12, 20, tzinfo=UTC))
    assert _gauges() == (0, 12)
