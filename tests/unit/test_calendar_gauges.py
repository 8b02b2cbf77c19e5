"""The gauges behind the alert that next year's holiday arrangement is missing (issue 11)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY

from config.reference_data import work_calendar
from domain.workcalendar import CHINA, YearRules, build_calendar
from services.gauges import refresh_calendar

NEW_YEAR_2027 = datetime(2027, 1, 1, tzinfo=CHINA).timestamp()
NEW_YEAR_2028 = datetime(2028, 1, 1, tzinfo=CHINA).timestamp()


def _gauges() -> tuple[float | None, float | None]:
    return (REGISTRY.get_sample_value("jiehu_calendar_next_year_official"),
            REGISTRY.get_sample_value("jiehu_calendar_next_year_start_timestamp_seconds"))


def test_next_year_provisional_and_the_days_left_in_china_time() -> None:
    refresh_calendar(work_calendar(), datetime(2026, 11, 30, 16, tzinfo=UTC))  # 1 December 00:00 in Jining
    assert _gauges() == (0, NEW_YEAR_2027)
    refresh_calendar(work_calendar(), datetime(2026, 12, 31, 16, tzinfo=UTC))  # already 2027 in Jining
    assert _gauges() == (0, NEW_YEAR_2028)


def test_an_official_next_year_reads_one() -> None:
    calendar = build_calendar({}, {}, {2027: YearRules(), 2028: YearRules(complete=False)})
    refresh_calendar(calendar, datetime(2026, 12, 20, tzinfo=UTC))
    assert _gauges() == (1, NEW_YEAR_2027)
    refresh_calendar(calendar, datetime(2027, 12, 20, tzinfo=UTC))
    assert _gauges() == (0, NEW_YEAR_2028)
