"""The working-day calendar: each year's holidays, make-up working days and whether it is official;
the city level loads a year's official arrangement (节假日安排) without a release."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field

from api.auth import CurrentActor
from api.deps import ServicesDep, StoreDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.input_rules import CheckedInput
from api.schemas import CalendarLoadOut, CalendarYearOut, HolidayOut, OfficeHoursOut, OfficePeriodOut, OfficeSeasonOut
from api.scope import require_role
from config.reference_data import current_arrangements, work_calendar
from domain.arrangements import MAX_DAYS, in_force
from domain.enums import CalendarStatus
from domain.workcalendar import OfficeHours
from services.calendar import load_arrangement

router = APIRouter(prefix="/v1", tags=["reference"])


class HolidayIn(CheckedInput):
    """One holiday of a year's arrangement: its date and name."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    name: str = Field(min_length=1, max_length=64, description="e.g. 春节, 国庆节")


class ArrangementIn(CheckedInput):
    """A year's official arrangement as the State Council's notice publishes it."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=500, description="the notice, e.g. 国办发明电〔2026〕7号")
    holidays: list[HolidayIn] = Field(max_length=MAX_DAYS, description="every day off, statutory and bridge days")
    workdays: list[dt.date] = Field(default=[], max_length=MAX_DAYS, description="make-up working days (调休上班)")


@router.get("/calendar/{year}", response_model=CalendarYearOut, responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_calendar_year(year: int, _: CurrentActor) -> CalendarYearOut:
    """A year's holidays and make-up working days, official or provisional, its office hours, and the
    load it comes from when it was loaded while jiehu runs."""
    return _year_out(year)


@router.put("/calendar/{year}", response_model=CalendarLoadOut, status_code=201,
            responses={200: {"description": "the year already had exactly these days; nothing was recorded",
                             "model": CalendarLoadOut}, **PROBLEM_RESPONSES(401, 403, 409, 422)})
async def load_calendar_year(year: int, body: ArrangementIn, response: Response, services: ServicesDep,
                             store: StoreDep, actor: CurrentActor) -> CalendarLoadOut:
    """Load `year`'s official arrangement (admin at the city level): it is recorded in the log (who, when,
    which notice), every process counts on it within 30 s, and every open petition re-plans the deadlines
    it moves (a `DeadlinesReplanned` event each). 422 names the first date that cannot be right (outside
    the year, a weekday make-up day, a statutory holiday missing, a date twice)."""
    require_role(actor, "load-calendar")
    if actor.unit_code:
        raise ApiError(403, "city_level_only", "the holiday arrangement is the whole city's calendar: "
                                               "an admin of the city level (no unit) loads it")
    days = [h.date for h in body.holidays]
    if len(set(days)) != len(days):
        twice = sorted(d for d in set(days) if days.count(d) > 1)[0]
        raise ApiError(422, "invalid_arrangement", f"{twice.isoformat()} is listed twice among the holidays")
    assert services.temporal is not None
    result = await load_arrangement(
        store, services.temporal, services.settings.task_queue, year=year,
        holidays={h.date: h.name.strip() for h in body.holidays}, workdays=list(body.workdays),
        source=body.source, actor=actor, now=datetime.now(UTC),
    )
    if not result.recorded:
        response.status_code = 200
    return CalendarLoadOut(**_year_out(year).model_dump(), recorded=result.recorded,
                           replan_workflow_id=result.replan_workflow_id)


def _year_out(year: int) -> CalendarYearOut:
    calendar = work_calendar()
    rules = calendar.years.get(year)
    if rules is None:
        raise ApiError(404, "calendar_year_unknown", f"jiehu holds no working-day calendar for {year}")
    status = CalendarStatus.OFFICIAL if rules.complete else CalendarStatus.PROVISIONAL
    loaded = in_force(current_arrangements()).get(year)
    return CalendarYearOut(
        year=year, status=status.value, status_label=status.label,
        holidays=[HolidayOut(date=day, name=rules.names.get(day, "")) for day in sorted(rules.holidays)],
        workdays=sorted(rules.workdays), office_hours=_office_hours(calendar.office_hours, year),
        source=loaded.source if loaded else None, loaded_at=loaded.loaded_at if loaded else None,
        loaded_by=loaded.loaded_by.name if loaded else None, sequence=loaded.sequence if loaded else None,
    )


def _office_hours(hours: OfficeHours | None, year: int) -> OfficeHoursOut | None:
    if hours is None:
        return None
    return OfficeHoursOut(seasons=[
        OfficeSeasonOut(name=season.name, label=season.label, first_day=first, last_day=last,
                        periods=[OfficePeriodOut(start=f"{a:%H:%M}", end=f"{b:%H:%M}") for a, b in season.periods])
        for first, last, season in hours.seasons_of(year)
    ])
