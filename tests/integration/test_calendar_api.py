"""GET /v1/calendar/{year}: what the console and integrators count working days on (issue 11)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role, unit", [("grid_worker", "rc-yuehe-taibai-g1"), ("department_staff", "rencheng-water"),
                                        ("admin", "rencheng")])
async def test_any_authenticated_role_reads_a_provisional_year(as_, role, unit):
    response = await as_(role, unit).get("/v1/calendar/2027")
    assert response.status_code == 200, response.text
    year = response.json()
    assert (year["year"], year["status"], year["status_label"]) == (2027, "provisional", "暂定(仅法定节假日)")
    holidays = {h["date"]: h["name"] for h in year["holidays"]}
    assert {d: holidays[d] for d in ("2027-02-05", "2027-02-08", "2027-04-05", "2027-06-09", "2027-09-15")} == {
        "2027-02-05": "春节", "2027-02-08": "春节", "2027-04-05": "清明节", "2027-06-09": "端午节",
        "2027-09-15": "中秋节"}
    assert len(holidays) == 13 and year["workdays"] == []
    assert [s["name"] for s in year["office_hours"]["seasons"]] == ["winter", "summer", "winter"]
    assert list(holidays) == sorted(holidays)


async def test_an_official_year_lists_its_bridge_and_make_up_days(as_):
    year = (await as_("grid_worker", "rc-yuehe-taibai-g1").get("/v1/calendar/2026")).json()
    assert year["status"] == "official" and year["status_label"] == "国务院正式安排"
    holidays = {h["date"]: h["name"] for h in year["holidays"]}
    assert holidays["2026-10-07"] == "国庆节" and holidays["2026-02-15"] == "春节"
    assert "2026-09-20" in year["workdays"]  # Sunday, worked for 国庆节


async def test_a_year_shows_its_office_hours_season_by_season(as_):
    year = (await as_("grid_worker", "rc-yuehe-taibai-g1").get("/v1/calendar/2026")).json()
    assert year["office_hours"]["seasons"] == [
        {"name": "winter", "label": "冬季作息", "first_day": "2026-01-01", "last_day": "2026-04-30",
         "periods": [{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}]},
        {"name": "summer", "label": "夏季作息", "first_day": "2026-05-01", "last_day": "2026-09-30",
         "periods": [{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "18:00"}]},
        {"name": "winter", "label": "冬季作息", "first_day": "2026-10-01", "last_day": "2026-12-31",
         "periods": [{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}]},
    ]


async def test_errors_are_problems(as_, http):
    caller = as_("grid_worker", "rc-yuehe-taibai-g1")
    missing = await caller.get("/v1/calendar/1999")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "calendar_year_unknown"
    assert (await caller.get("/v1/calendar/2200")).status_code == 404
    assert (await caller.get("/v1/calendar/next")).status_code == 422
    assert (await http.get("/v1/calendar/2027")).status_code == 401


async def test_petitions_say_whether_their_deadlines_are_provisional(as_):
    # reported today (late November 2026): its deadlines lie in 2026, whose arrangement is official
    created = await as_("grid_worker", "rc-yuehe-taibai-g1").report()
    assert created["deadlines_provisional"] is False
