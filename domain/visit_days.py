"""民意"5"来听 visit days (issue 14 §4): when a visit team's round falls, and a round's life.

The rule (济宁 兖州/任城 "民意'5'来听", 民情书记 "红色帮办团"): every visit team goes out to the villages,
communities and enterprises it is assigned to on the 5th, 15th and 25th of each month. A date that is
not a working day (a weekend, a statutory holiday; a make-up working day 调休上班 counts as working)
moves to the next working day, as the districts' notices move them (Asia/Shanghai dates).

A round is a stream of its own (`visit-round-<team>-<YYYYMMDD of the scheduled date>`): opened for
every team on the visit day (`VisitRoundOpened`), each matter a resident raises (`VisitMatterRecorded`,
naming the petition it became, resolved on the spot or handed on into the ladder), and the close with
its tally (`VisitRoundClosed`: matters collected, resolved on the spot, handed on) — by the team, or
at the end of the visit day by the Schedule's run. One round per team and scheduled date.

Pure: no I/O, no clock; the calendar is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.errors import InvalidCommand, InvalidState
from domain.model import Actor

VISIT_DAYS_OF_MONTH = (5, 15, 25)  # 民意"5"来听: the 5th, 15th and 25th
# how far a scheduled date may move: the longest run of days off in a year (Spring Festival, National Day:
# 8–9 days with the weekend) and then some
MAX_MOVE_DAYS = 20


def moved_visit_day(scheduled: date, is_working_day: Callable[[date], bool]) -> date:
    """The day the round scheduled for `scheduled` (a 5th, 15th or 25th) is held: that day if it is a working
    day, else the next working day (`is_working_day`: the work calendar's, holidays and make-up days in).
    InvalidCommand if no working day follows within MAX_MOVE_DAYS (a calendar that is all holidays)."""
    day = scheduled
    for _ in range(MAX_MOVE_DAYS + 1):
        if is_working_day(day):
            return day
        day += timedelta(days=1)
    raise InvalidCommand(f"no working day within {MAX_MOVE_DAYS} days after {scheduled}")


def scheduled_dates_held_on(day: date, is_working_day: Callable[[date], bool]) -> list[date]:
    """The scheduled visit dates (5th/15th/25th) whose round is held on `day`, oldest first: [] when `day` is
    no visit day; usually one date; two when a long holiday moved one onto the next (the calendar's rule,
    `moved_visit_day`). What the daily Schedule's run asks each morning."""
    if not is_working_day(day):
        return []
    found: list[date] = []
    for back in range(MAX_MOVE_DAYS, -1, -1):
        candidate = day - timedelta(days=back)
        if candidate.day in VISIT_DAYS_OF_MONTH and moved_visit_day(candidate, is_working_day) == day:
            found.append(candidate)
    return found


def visit_days_of_month(year: int, month: int, is_working_day: Callable[[date], bool]) -> list[tuple[date, date]]:
    """(scheduled date, the day it is held) for the month's 5th, 15th and 25th, in order; a held day may fall
    in the next month (a 25th before a long holiday)."""
    return [(date(year, month, d), moved_visit_day(date(year, month, d), is_working_day))
            for d in VISIT_DAYS_OF_MONTH]


def round_id(team_code: str, scheduled: date) -> str:
    """The id (and stream) of a team's round for one scheduled date: `visit-round-<team>-<YYYYMMDD>`, so opening
    it twice finds the same round (idempotent per team and date)."""
    return f"visit-round-{team_code}-{scheduled:%Y%m%d}"


# --- the round's events ----------------------------------------------------------------------------


class _RoundEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    round_id: str
    team_code: str


class VisitRoundOpened(_RoundEvent):
    """A team's visit round opened: the scheduled date it stands for (5th/15th/25th), the day it is held (moved to
    the next working day when the date is not one), the team's district and the units it visits."""

    type: Literal["VisitRoundOpened"] = "VisitRoundOpened"
    district_code: str
    scheduled_for: date
    visit_date: date
    units: list[str]
    actor: Actor


class VisitMatterRecorded(_RoundEvent):
    """A resident raised a matter during the round: the petition it became (channel `visit`, the team on it),
    where (unit visited, grid), its category, and whether the team resolved it on the spot or handed it on."""

    type: Literal["VisitMatterRecorded"] = "VisitMatterRecorded"
    petition_id: str
    unit_code: str
    grid_code: str
    category: str
    on_the_spot: bool
    actor: Actor


class VisitRoundClosed(_RoundEvent):
    """The round closed with its tally: matters collected, resolved on the spot, handed on (collected =
    on the spot + handed on). `by_schedule`: closed at the end of the visit day, not by the team."""

    type: Literal["VisitRoundClosed"] = "VisitRoundClosed"
    collected: int
    on_the_spot: int
    handed_on: int
    by_schedule: bool = False
    actor: Actor


VisitRoundEvent = Annotated[VisitRoundOpened | VisitMatterRecorded | VisitRoundClosed, Field(discriminator="type")]
ROUND_EVENTS = TypeAdapter(VisitRoundEvent)
ROUND_EVENT_TYPES = ("VisitRoundOpened", "VisitMatterRecorded", "VisitRoundClosed")


class VisitRound(BaseModel):
    """A round folded from its events (`fold_round`); `version` is its stream's, the next append's expected one."""

    round_id: str
    team_code: str = ""
    district_code: str = ""
    scheduled_for: date | None = None
    visit_date: date | None = None
    units: list[str] = []
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    petitions: list[str] = []
    collected: int = 0
    on_the_spot: int = 0
    handed_on: int = 0
    version: int = 0

    @property
    def is_open(self) -> bool:
        """Opened and not closed."""
        return self.opened_at is not None and self.closed_at is None


def evolve_round(state: VisitRound, event: VisitRoundOpened | VisitMatterRecorded | VisitRoundClosed) -> VisitRound:
    """`state` after `event` (a copy; the tally counts as matters are recorded)."""
    update: dict[str, object] = {"version": state.version + 1}
    if isinstance(event, VisitRoundOpened):
        update |= {"team_code": event.team_code, "district_code": event.district_code,
                   "scheduled_for": event.scheduled_for, "visit_date": event.visit_date, "units": list(event.units),
                   "opened_at": event.at}
    elif isinstance(event, VisitMatterRecorded):
        update |= {"petitions": [*state.petitions, event.petition_id], "collected": state.collected + 1,
                   "on_the_spot": state.on_the_spot + int(event.on_the_spot),
                   "handed_on": state.handed_on + int(not event.on_the_spot)}
    else:
        update |= {"closed_at": event.at}
    return state.model_copy(update=update)


def fold_round(round_id_: str, events: Iterable[VisitRoundOpened | VisitMatterRecorded | VisitRoundClosed]
               ) -> VisitRound:
    """The round `round_id_` as its events leave it (an unopened round for none)."""
    state = VisitRound(round_id=round_id_)
    for event in events:
        state = evolve_round(state, event)
    return state


# --- deciding --------------------------------------------------------------------------------------


def decide_open(state: VisitRound, *, team_code: str, district_code: str, units: list[str], scheduled: date,
                visit_date: date, now: datetime, actor: Actor) -> list[VisitRoundOpened]:
    """Open the team's round for `scheduled` held on `visit_date`: [] if it was opened already (idempotent: a
    retried or repeated run opens nothing twice). InvalidCommand for a date that is no 5th/15th/25th or a held
    day before it."""
    if state.opened_at is not None:
        return []
    if scheduled.day not in VISIT_DAYS_OF_MONTH:
        raise InvalidCommand(f"{scheduled} is no visit date (the 5th, 15th or 25th)", field="scheduled_for")
    if visit_date < scheduled:
        raise InvalidCommand(f"a round for {scheduled} cannot be held before it ({visit_date})", field="visit_date")
    return [VisitRoundOpened(at=now, round_id=round_id(team_code, scheduled), team_code=team_code,
                             district_code=district_code, scheduled_for=scheduled, visit_date=visit_date,
                             units=units, actor=actor)]


def require_open(state: VisitRound) -> None:
    """InvalidState unless the round is open (matters are recorded only while it is)."""
    if state.opened_at is None:
        raise InvalidState(f"visit round {state.round_id} has not been opened")
    if state.closed_at is not None:
        raise InvalidState(f"visit round {state.round_id} closed at {state.closed_at:%Y-%m-%d %H:%M} (UTC); "
                           "report a later matter through the plain report")


def decide_matter(state: VisitRound, *, petition_id: str, unit_code: str, grid_code: str, category: str,
                  on_the_spot: bool, now: datetime, actor: Actor) -> list[VisitMatterRecorded]:
    """Record a matter of the open round as the petition `petition_id` (already reported at `now`): [] if the
    round holds it already (a retry). A petition reported before the round closed is still recorded when the
    close came in between (the round's figures count it; the close's tally is what was known then), so no
    reported matter is left out of its round. InvalidState unless the round was open at `now`; InvalidCommand
    for a unit the round does not visit."""
    if state.closed_at is None or now > state.closed_at:
        require_open(state)
    if petition_id in state.petitions:
        return []
    if unit_code not in state.units:
        raise InvalidCommand(f"unit {unit_code} is not one the team of round {state.round_id} visits",
                             field="unit_code")
    return [VisitMatterRecorded(at=now, round_id=state.round_id, team_code=state.team_code, petition_id=petition_id,
                                unit_code=unit_code, grid_code=grid_code, category=category, on_the_spot=on_the_spot,
                                actor=actor)]


def decide_close(state: VisitRound, *, now: datetime, actor: Actor, by_schedule: bool = False
                 ) -> list[VisitRoundClosed]:
    """Close the round with its tally; [] if it closed already (the end-of-day run after the team closed it).
    InvalidState if it was never opened."""
    if state.opened_at is None:
        raise InvalidState(f"visit round {state.round_id} has not been opened")
    if state.closed_at is not None:
        return []
    return [VisitRoundClosed(at=now, round_id=state.round_id, team_code=state.team_code, collected=state.collected,
                             on_the_spot=state.on_the_spot, handed_on=state.handed_on, by_schedule=by_schedule,
                             actor=actor)]
