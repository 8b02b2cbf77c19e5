"""The State Council's yearly holiday arrangement, loaded while jiehu runs (节假日安排).

The arrangement for next year (国务院办公厅关于XXXX年部分节假日安排的通知) is published each
November: the statutory holidays of the national rules (全国年节及纪念日放假办法), bridge days
around them and the make-up working days (调休上班) that pay for the bridges. An operator loads it
without a release; the load is an event of the `calendar` stream, and every petition still running
re-plans the deadlines it moves (`decider` `ReplanDeadlines`, docs/deadline-rules.md).

Pure: the caller supplies the statutory holidays to check against (they need a lunar calendar).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidCommand
from domain.model import Actor
from domain.workcalendar import WorkCalendar, YearRules

CALENDAR_STREAM = "calendar"  # the log's stream of loaded arrangements
MAX_DAYS = 60  # a year has 13 statutory days and a few bridges; far more is a wrong file


class Arrangement(BaseModel):
    """One year's official arrangement as loaded: holidays (date → name, e.g. 春节) and make-up working
    days. `sequence` is its version in the `calendar` stream: of two arrangements of one year, the
    higher sequence is in force."""

    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=1970, le=2999)
    holidays: dict[date, str]
    workdays: list[date] = []
    source: str = Field(min_length=1, max_length=500)  # the notice, e.g. 国办发明电〔2026〕7号
    loaded_by: Actor
    loaded_at: datetime
    sequence: int = 0
    event_id: str = ""

    def rules(self) -> YearRules:
        """The year's working-day rules from this arrangement (complete: it is official)."""
        return YearRules(frozenset(self.holidays), frozenset(self.workdays), complete=True, names=dict(self.holidays))

    def same_days(self, other: Arrangement) -> bool:
        """Whether `other` has the same holidays and make-up working days (a reload of the same notice)."""
        return self.holidays == other.holidays and set(self.workdays) == set(other.workdays)


class ArrangementLoaded(BaseModel):
    """Event of the `calendar` stream: an operator loaded a year's arrangement (who, when, from what)."""

    type: Literal["CalendarArrangementLoaded"] = "CalendarArrangementLoaded"
    arrangement: Arrangement


class ReplanFinished(BaseModel):
    """Event of the `calendar` stream: every petition open when the arrangement of `sequence` was loaded
    has been told of it (`signalled`), and `gone` had closed meanwhile."""

    type: Literal["CalendarReplanFinished"] = "CalendarReplanFinished"
    sequence: int
    signalled: int
    gone: int
    at: datetime


def check_arrangement(year: int, holidays: Mapping[date, str], workdays: Iterable[date],
                      statutory: Mapping[date, str]) -> None:
    """Refuse an arrangement that cannot be the State Council's for `year`.

    Raises InvalidCommand naming the first wrong date: a date outside `year`; a working day listed
    twice; a date that is both a holiday and a working day; a holiday without a readable name; a
    make-up working day on a Monday-Friday (make-up days move a weekend day to work, so a weekday
    listed is a typo); a statutory holiday of `statutory` missing (the
    national rules fix those days; an arrangement only adds bridges around them); more than MAX_DAYS
    dates.
    """
    workdays = list(workdays)
    twice = sorted(d for d in set(workdays) if workdays.count(d) > 1)
    if twice:
        raise InvalidCommand(f"{twice[0].isoformat()} is listed twice among the working days")
    if len(holidays) + len(workdays) > MAX_DAYS:
        raise InvalidCommand(f"an arrangement lists at most {MAX_DAYS} dates; this one lists "
                             f"{len(holidays) + len(workdays)}")
    for day in [*holidays, *workdays]:
        if day.year != year:
            raise InvalidCommand(f"{day.isoformat()} is not in {year}")
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise InvalidCommand(f"{both[0].isoformat()} is listed both as a holiday and as a working day")
    for day in sorted(workdays):
        if day.weekday() < 5:
            raise InvalidCommand(f"{day.isoformat()} is a {day:%A}: a make-up working day (调休上班) is a "
                                 "Saturday or Sunday")
    missing = sorted(set(statutory) - set(holidays))
    if missing:
        day = missing[0]
        raise InvalidCommand(f"{day.isoformat()} ({statutory[day]}) is a statutory holiday of the national rules "
                             f"(全国年节及纪念日放假办法) and must be among the holidays")
    for day, name in sorted(holidays.items()):
        # blank (ideographic spaces alone), invisible or control characters: not a name anyone can read
        if not name.strip() or not name.isprintable() or len(name) > 64:
            raise InvalidCommand(f"{day.isoformat()}: each holiday needs a readable name of 1 to 64 characters "
                                 "(e.g. 春节), without control or invisible characters")


def in_force(arrangements: Iterable[Arrangement]) -> dict[int, Arrangement]:
    """The arrangement in force for each year: the one loaded last (highest sequence)."""
    latest: dict[int, Arrangement] = {}
    for arrangement in arrangements:
        known = latest.get(arrangement.year)
        if known is None or arrangement.sequence > known.sequence:
            latest[arrangement.year] = arrangement
    return latest


def apply_arrangements(calendar: WorkCalendar, arrangements: Iterable[Arrangement]) -> WorkCalendar:
    """`calendar` with each year's arrangement in force replacing what it held for that year."""
    return calendar.with_years({year: a.rules() for year, a in in_force(arrangements).items()})

