"""The working-day calendar: each year's holidays, make-up working days and whether it is official."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentActor
from api.errors import PROBLEM_RESPONSES, ApiError
from api.schemas import CalendarYearOut, HolidayOut
from domain.enums import CalendarStatus
from jiehu.reference_data import work_calendar

router = APIRouter(prefix="/v1", tags=["reference"])


@router.get("/calendar/{year}", response_model=CalendarYearOut, responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_calendar_year(year: int, _: CurrentActor) -> CalendarYearOut:
    """A year's holidays and make-up working days, official or provisional (office hours: null, none exist yet)."""
    rules = work_calendar().years.get(year)
    if rules is None:
        raise ApiError(404, "calendar_year_unknown", f"jiehu holds no working-day calendar for {year}")
    status = CalendarStatus.OFFICIAL if rules.complete else CalendarStatus.PROVISIONAL
    return CalendarYearOut(
        year=year, status=status.value, status_label=status.label,
        holidays=[HolidayOut(date=day, name=rules.names.get(day, "")) for day in sorted(rules.holidays)],
        workdays=sorted(rules.workdays), office_hours=None,
    )
