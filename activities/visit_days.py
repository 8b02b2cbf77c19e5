"""The visit day's activities (民意"5"来听, issue 14 §4): open a day's rounds for every team, close them."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from config.reference_data import base_calendar
from domain.arrangements import apply_arrangements
from domain.workcalendar import WorkCalendar
from eventstore.calendar_log import read_calendar_log
from eventstore.store import EventStore
from org.repository import load_org
from services.visit_days import VisitDesk
from workflows.visit_days import VisitDayRequest, VisitDayResult


class VisitDayActivities:
    """Open and close a visit day's rounds, on the database pool: the org's teams as stored, the work calendar
    with the holiday arrangements loaded into the log."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def _desk(self) -> VisitDesk:
        log = await read_calendar_log(EventStore(self._pool))
        calendar: WorkCalendar = apply_arrangements(base_calendar(), log.arrangements)
        return VisitDesk(self._pool, lambda: calendar)

    @activity.defn(name="open_visit_rounds")
    async def open_visit_rounds(self, input: VisitDayRequest) -> VisitDayResult:
        """Open every team's round for each scheduled date held on `input.day` (none on other days), at
        `input.at`; the ids of the rounds opened or found open."""
        desk = await self._desk()
        return VisitDayResult(round_ids=await desk.open_rounds(await load_org(self._pool), input.day, input.at))

    @activity.defn(name="close_visit_rounds")
    async def close_visit_rounds(self, input: VisitDayRequest) -> VisitDayResult:
        """Close the rounds held on `input.day` still open, with their tally, at `input.at`; their ids."""
        desk = await self._desk()
        return VisitDayResult(round_ids=await desk.close_day(await load_org(self._pool), input.day, input.at))
