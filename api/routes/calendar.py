"""The working-day calendar: each year's holidays, make-up working days and whether it is official."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentActor
from api.errors import PROBLEM_RESPONSES, ApiError
from api.schemas import CalendarYearOut, HolidayOut, OfficeHoursOut, OfficePeriodOut, OfficeSeasonOut
from domain.enums import CalendarStatus
from domain.workcalendar import OfficeHours
from jiehu.reference_data import work_calendar

router = APIRouter(prefix="/v1", tags=["reference"])


@router.get("/calendar/{year}", response_model=CalendarYearOut, responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_calendar_year(year: int, _: CurrentActor) -> CalendarYearOut:
    """A year's holidays and make-up working days, official or provisional, and its office hours."""
    calendar = work_calendar()
    rules = calendar.years.get(year)
    if rules is None:
        raise ApiError(404, "calendar_year_unknown", f"jiehu holds no working-day calendar for {year}")
    status = CalendarStatus.OFFICIAL if rules.complete else CalendarStatus.PROVISIONAL
    return CalendarYearOut(
        year=year, status=status.value, status_label=status.label,
        holidays=[HolidayOut(date=day, name=rules.names.get(day, "")) for day in sorted(rules.holidays)],
        workdays=sorted(rules.workdays), office_hours=_office_hours(calendar.office_hours, year),
    )


def _office_hours(hours: OfficeHours | None, year: int) -> OfficeHoursOut | None:
    if hours is None:
        return None
    return OfficeHoursOut(seasons=[
        OfficeSeasonOut(name=season.name, label=season.label, first_day=first, last_day=last,
                        periods=[OfficePeriodOut(start=f"{a:%H:%M}", end=f"{b:%H:%M}") for a, b in season.periods])
        for first, last, season in hours.seasons_of(year)
    ])
