"""Open311 as real clients send it: GeoReport's name order and the date-times clients put in queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.open311.names import display_name
from api.open311.routes import parse_datetime
from domain.masking import mask_name
from domain.workcalendar import CHINA


@pytest.mark.parametrize(
    ("first", "last", "name", "masked"),
    [
        ("三", "张", "张三", "张**"),  # GeoReport: first_name is the given name, last_name the family name
        ("秀英", "陈", "陈秀英", "陈**"),
        ("小明", "欧阳", "欧阳小明", "欧**"),
        ("Jane", "Doe", "Jane Doe", "J**"),  # Western names keep their own order
        ("", "张", "张", "张**"),
        ("Jane", "", "Jane", "J**"),
        (" 三 ", " 张", "张三", "张**"),
        ("太郎", "山田", "山田太郎", "山**"),
        ("철수", "김", "김철수", "김**"),
        ("", "", "", ""),
    ],
)
def test_a_name_is_family_then_given_in_cjk_and_first_last_otherwise(first, last, name, masked):
    assert display_name(first, last) == name
    assert mask_name(name) == masked


def test_a_masked_name_does_not_tell_its_length():
    assert mask_name("张三") == mask_name("张三丰") == "张**"


UTC_NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T12:00:00Z", UTC_NOON),  # the spec's example form
        ("2026-11-28T12:00:00z", UTC_NOON),
        ("2026-11-28T12:00:00.017Z", UTC_NOON + timedelta(milliseconds=17)),  # JavaScript's toISOString()
        ("2026-11-28T12:00:00.1234567Z", UTC_NOON + timedelta(microseconds=123456)),
        ("2026-11-28T20:00:00+08:00", UTC_NOON),
        ("2026-11-28T07:00:00-0500", UTC_NOON),  # offsets without a colon (PHP's date('O'))
        ("2026-11-28T20:00:00+08", UTC_NOON),
        ("2026-11-28T12:00Z", UTC_NOON),  # without seconds
        ("2026-11-28T12:00:00+00:00", UTC_NOON),  # Python's isoformat()
        ("2026-11-28T12:00:00 00:00", UTC_NOON),  # `+00:00` sent unencoded: the + arrives as a space
        ("2026-11-28T20:00:00 08:00", UTC_NOON),
        ("2026-11-28T20:00:00", UTC_NOON),  # no offset: China time
        ("2026-11-28 20:00:00", UTC_NOON),
        ("20261128T120000Z", UTC_NOON),  # ISO 8601 basic format
        ("2026-11-28", datetime(2026, 11, 28, tzinfo=CHINA)),  # a date: from its start (China time)
    ],
)
def test_date_times_in_the_forms_clients_send(text, expected):
    assert parse_datetime("start_date", text) == expected


def test_an_end_date_that_is_a_date_takes_the_whole_day():
    end = parse_datetime("end_date", "2026-11-28", end_of_day=True)
    assert end == datetime(2026, 11, 29, tzinfo=CHINA) - timedelta(microseconds=1)
    assert parse_datetime("end_date", "2026-11-28T10:00:00Z", end_of_day=True).tzinfo == UTC


@pytest.mark.parametrize("text", ["yesterday", "28/11/2026", "2026-13-01", "2026-11-28T25:00:00Z", "1732780800"])
def test_an_unreadable_date_time_is_refused_naming_the_parameter(text):
    with pytest.raises(ValueError, match="start_date must be an ISO 8601 date-time"):
        parse_datetime("start_date", text)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00", "0001-01-01"])
def test_a_date_time_at_the_edge_of_the_calendar_is_refused_not_a_server_error(text):
    with pytest.raises(ValueError, match="end_date is out of range"):
        parse_datetime("end_date", text, end_of_day=True)
