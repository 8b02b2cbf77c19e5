"""Loading a year's official holiday arrangement (节假日安排) without a release, and following loads.

`load_arrangement` checks the arrangement against the national rules, appends it to the `calendar`
stream (who, when, from which notice), adopts it in this process and starts the re-plan of every open
petition (`workflows.calendar_replan`). Other processes adopt it within `FOLLOW_SECONDS`
(`follow_calendar`). Used by `PUT /v1/calendar/{year}` and `jiehu calendar load FILE`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog
import yaml
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from config.reference_data import adopt_arrangements, as_date
from config.statutory_holidays import statutory_holidays
from domain.arrangements import Arrangement, check_arrangement
from domain.errors import InvalidCommand
from domain.model import Actor
from domain.workcalendar import CHINA
from eventstore.calendar_log import CalendarLog, read_calendar_log, record_arrangement
from eventstore.store import EventStore
from workflows.calendar_replan import CalendarReplanWorkflow, replan_workflow_id
from workflows.inputs import CalendarReplanInput

FOLLOW_SECONDS = 30.0  # a load reaches every other running process within this time
log = structlog.get_logger()


@dataclass(frozen=True)
class LoadResult:
    """What loading a year's holiday arrangement did: the arrangement in force, whether it was recorded, and the id
    of the re-plan workflow that tells running petitions."""

    arrangement: Arrangement  # as recorded (with its sequence), or the one already in force
    recorded: bool  # False: the year already had exactly these days; nothing was appended
    replan_workflow_id: str


async def load_arrangement(store: EventStore, client: Client, task_queue: str, *, year: int,
                           holidays: dict[date, str], workdays: list[date], source: str, actor: Actor,
                           now: datetime) -> LoadResult:
    """Check, record and adopt one year's arrangement, and start re-planning the open petitions.

    Raises InvalidCommand (a clear message naming the wrong date) when it cannot be the State Council's
    arrangement for `year` (`domain.arrangements.check_arrangement`); loading the days already in
    force again records nothing and answers with the arrangement in force.
    """
    check(year, holidays, workdays, now)
    arrangement = Arrangement(year=year, holidays=holidays, workdays=sorted(workdays), source=source.strip(),
                              loaded_by=actor, loaded_at=now)
    recorded = await record_arrangement(store, arrangement)
    calendar_log = await read_calendar_log(store)
    adopt_arrangements(calendar_log.arrangements)
    if recorded is None:
        current = [a for a in calendar_log.arrangements if a.year == year][-1]
        return LoadResult(current, False, replan_workflow_id(current.sequence))
    log.info("calendar arrangement loaded", year=year, sequence=recorded.sequence, source=recorded.source,
             actor=actor.id)
    await start_replan(client, task_queue, recorded)
    return LoadResult(recorded, True, replan_workflow_id(recorded.sequence))


def check(year: int, holidays: dict[date, str], workdays: list[date], now: datetime) -> None:
    """Refuse (InvalidCommand) what cannot be the State Council's arrangement for `year`: a year other
    than this one or the next (Beijing time: the notice for next year comes each November; a correction
    of this year's may follow), or days the national rules rule out (`check_arrangement`)."""
    this_year = now.astimezone(CHINA).year
    if not this_year <= year <= this_year + 1:
        raise InvalidCommand(f"an arrangement is loaded for this year or the next ({this_year} or {this_year + 1}), "
                             f"not {year}")
    check_arrangement(year, holidays, workdays, statutory_holidays(year))


async def start_replan(client: Client, task_queue: str, arrangement: Arrangement) -> None:
    """Start (or find running) the re-plan of `arrangement`; a finished one that left no
    `CalendarReplanFinished` (it failed) runs again: each petition ignores what it already has."""
    await client.start_workflow(
        CalendarReplanWorkflow.run, CalendarReplanInput(arrangement=arrangement),
        id=replan_workflow_id(arrangement.sequence), task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )


async def resume_replans(calendar_log: CalendarLog, client: Client, task_queue: str) -> list[int]:
    """Start the re-plan of every load of `calendar_log` whose re-plan has not finished (a process stopped
    between recording a load and starting its re-plan); returns their sequences."""
    for arrangement in calendar_log.unfinished:
        await start_replan(client, task_queue, arrangement)
    return [a.sequence for a in calendar_log.unfinished]


async def follow_calendar(store: EventStore, every: float = FOLLOW_SECONDS, adopted: bool = False) -> None:
    """Adopt the arrangements of the `calendar` stream now (later, with `adopted`: the caller just did) and
    every `every` seconds (runs until cancelled; a database that is down is tried again at the next turn)."""
    if adopted:
        await asyncio.sleep(every)
    while True:
        try:
            if adopt_arrangements((await read_calendar_log(store)).arrangements):
                log.info("calendar arrangements adopted")
        except Exception as error:  # the database is away: keep the calendar we have, try again later
            log.warning("calendar arrangements not read", error=repr(error))
        await asyncio.sleep(every)


def parse_arrangement_file(text: str) -> tuple[str, dict[int, tuple[dict[date, str], list[date]]]]:
    """An arrangement file: `source:` (the notice) and `years: {YEAR: {holidays: {DATE: NAME}, workdays:
    [DATE]}}` (the shape of config/data/calendar_overrides.yaml). Raises InvalidCommand on any other shape."""
    try:
        raw: Any = yaml.safe_load(text) or {}
        source = str(raw.get("source") or "").strip()
        years: dict[int, tuple[dict[date, str], list[date]]] = {}
        for year, spec in (raw.get("years") or {}).items():
            listed = spec.get("holidays") or {}
            if not isinstance(listed, dict):
                raise InvalidCommand(f"{year}: holidays must map each date to its name (2027-01-01: 元旦)")
            holidays = {as_date(day): "" if name is None else str(name) for day, name in listed.items()}
            years[int(year)] = (holidays, [as_date(day) for day in spec.get("workdays") or []])
    except (AttributeError, TypeError, ValueError, yaml.YAMLError) as error:
        raise InvalidCommand(f"not an arrangement file: {error}") from None
    if not source:
        raise InvalidCommand("say which notice the arrangement comes from (source: 国办发明电〔YYYY〕N号)")
    if not years:
        raise InvalidCommand("the file lists no year (years: {2027: {holidays: ..., workdays: ...}})")
    return source, years

