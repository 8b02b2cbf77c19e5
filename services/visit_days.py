"""民意"5"来听 visit days (issue 14 §4): opening every team's round on a visit day, recording what residents
raise as petitions (channel `visit`, the team on them), closing a round with its tally.

The day's rule (5th/15th/25th, moved to the next working day) is `domain/visit_days.py`'s; who may record
for a team (its cadres, by token subject; admins) is checked here, on the org's teams. Reporting goes
through the intake service like every channel. Holds no SQL (`eventstore/visit_rounds.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import asyncpg
import structlog

from domain.enums import Channel, Role, UnitKind
from domain.errors import InvalidCommand, NotFound, StreamConflict
from domain.model import Actor
from domain.visit_days import (
    VisitRound,
    decide_close,
    decide_matter,
    decide_open,
    require_open,
    round_id,
    scheduled_dates_held_on,
)
from domain.workcalendar import WorkCalendar
from eventstore.petition_queries import visit_petitions
from eventstore.store import EventStore
from eventstore.visit_rounds import append_round, read_round, rounds_open_on
from org.model import OrgTree, VisitTeam
from services.errors import OutOfScope
from services.intake import IntakeService, Reported
from services.intake_command import Intake, VisitMatter, locate

log = structlog.get_logger()

VISIT_DAY_ACTOR = Actor(id="visit-days", name="民意\"5\"来听 (visit days)", unit_code="", role=Role.SYSTEM)


class RoundNotFound(NotFound):
    """No visit round with this id (404)."""

    code = "visit_round_not_found"


def _event_id(round_: str, what: str) -> str:
    """A deterministic event id, so a retried open or close appends nothing twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"jiehu:{round_}:{what}"))


@dataclass(frozen=True)
class TeamReach:
    """What a visit team's cadre reaches when reporting: grids of the communities the round visits; petitions
    they reported or handled there (a matter that follows a closed one)."""

    actor: Actor
    org: OrgTree
    units: tuple[str, ...]

    def may_report_in(self, grid_code: str) -> bool:
        """Whether `grid_code` lies in a community the round visits."""
        grid = self.org.units.get(grid_code)
        return grid is not None and grid.parent_code in self.units

    def may_see(self, row: dict[str, Any]) -> bool:
        """Whether the cadre may see the petition `row`: they reported it, or it was handled in the round's
        communities."""
        below = {code for unit in self.units for code in self.org.subtree(unit)}
        return row.get("reported_by") == self.actor.id or bool(set(row["handled_units"]) & below)


@dataclass
class VisitDesk:
    """Visit rounds on the pool: open a day's rounds, record matters through `intake` (None: the worker's desk,
    which only opens and closes), close rounds. `calendar` gives the work calendar in force (holidays and
    make-up working days, loaded arrangements included)."""

    pool: asyncpg.Pool
    calendar: Callable[[], WorkCalendar]
    intake: IntakeService | None = None

    def scheduled_on(self, day: date) -> list[date]:
        """The scheduled visit dates (5th/15th/25th) whose rounds are held on `day` (Asia/Shanghai date): [] when
        `day` is no visit day."""
        return scheduled_dates_held_on(day, self.calendar().is_working_day)

    async def open_rounds(self, org: OrgTree, day: date, now: datetime, actor: Actor = VISIT_DAY_ACTOR
                          ) -> list[str]:
        """Open, for every team of `org`, the round of each scheduled date held on `day`; returns the ids of the
        rounds opened or found open (idempotent per team and date: a second run opens nothing twice). [] when
        `day` is no visit day."""
        opened: list[str] = []
        for scheduled in self.scheduled_on(day):
            for team in org.visit_teams.values():
                rid = round_id(team.code, scheduled)
                await self._with_retry(rid, _opening(team, scheduled, day, now, actor), _event_id(rid, "opened"))
                opened.append(rid)
        return opened

    async def record_matter(self, org: OrgTree, rid: str, intake: Intake, visit: VisitMatter) -> tuple[Reported,
                                                                                                          VisitRound]:
        """Report a matter a resident raised in round `rid` (its petition has channel `visit` and the team on it)
        and record it in the round. RoundNotFound; OutOfScope unless the actor is a cadre of the round's team (or
        an admin) and the grid lies in a community the round visits; InvalidState once the round closed; the
        intake service's refusals (fields, category, location)."""
        if self.intake is None:
            raise RuntimeError("this visit desk records no matters (no intake service)")
        state, _ = await read_round(EventStore(self.pool), rid)
        if state.opened_at is None:
            raise RoundNotFound(f"no visit round {rid}")
        team = org.visit_teams.get(state.team_code)
        require_member(intake.actor, team, state.team_code, org)
        require_open(state)
        grid_code = locate(org, intake.grid_code, intake.latitude, intake.longitude)
        grid = org.units.get(grid_code)
        if grid is None or grid.kind is not UnitKind.GRID:
            raise InvalidCommand(f"unknown grid {grid_code!r}", field="grid_code")
        reach = TeamReach(intake.actor, org, tuple(state.units))
        if not reach.may_report_in(grid_code):
            raise OutOfScope(f"grid {grid_code} lies outside the communities round {rid} visits "
                             f"({', '.join(state.units)})")
        reported = await self.intake.report(
            replace(intake, channel=Channel.VISIT, grid_code=grid_code, visit=replace(visit, team=state.team_code,
                                                                                      round_id=rid)), org, reach)
        category = intake.category
        recorded = await self._with_retry(rid, lambda s: decide_matter(
            s, petition_id=reported.petition_id, unit_code=grid.parent_code or "", grid_code=grid_code,
            category=category, on_the_spot=visit.on_the_spot, now=intake_now(reported), actor=intake.actor),
            _event_id(rid, f"matter:{reported.petition_id}"))
        return reported, recorded

    async def close_round(self, org: OrgTree, rid: str, actor: Actor, now: datetime, by_schedule: bool = False
                          ) -> VisitRound:
        """Close round `rid` with its tally (a closed one is left as it is). RoundNotFound; OutOfScope unless the
        actor is a cadre of its team, an admin or the end-of-day run (`by_schedule`)."""
        state, _ = await read_round(EventStore(self.pool), rid)
        if state.opened_at is None:
            raise RoundNotFound(f"no visit round {rid}")
        if not by_schedule:
            require_member(actor, org.visit_teams.get(state.team_code), state.team_code, org)
        await self._record_strays(org, state)
        return await self._with_retry(rid, lambda s: decide_close(s, now=now, actor=actor, by_schedule=by_schedule),
                                      _event_id(rid, "closed"))

    async def close_day(self, org: OrgTree, day: date, now: datetime) -> list[str]:
        """Close every round held on `day` still open (the end of the visit day); returns their ids."""
        closing = await rounds_open_on(self.pool, day)
        for rid in closing:
            await self.close_round(org, rid, VISIT_DAY_ACTOR, now, by_schedule=True)
        return closing

    async def _record_strays(self, org: OrgTree, state: VisitRound) -> None:
        """Record the matters of open round `state` whose petition exists but whose record in the round was lost
        (the process died between the two halves of `record_matter`), so the close's tally counts them. A
        petition is the round's when its `PetitionReported` names the round (`visit_round`)."""
        if not state.is_open or state.opened_at is None:
            return
        store = EventStore(self.pool)
        for row in await visit_petitions(self.pool, state.team_code, state.opened_at):
            if row["id"] in state.petitions:
                continue
            first = (await store.read_stream(row["id"]))[:1]
            if not first or first[0].type != "PetitionReported" or first[0].data.get("visit_round") != state.round_id:
                continue
            grid = org.units.get(row["grid_code"])
            unit_code = grid.parent_code if grid is not None and grid.parent_code else ""
            reporter = Actor.model_validate(first[0].data["actor"])
            matter = {"petition_id": row["id"], "unit_code": unit_code, "grid_code": row["grid_code"],
                      "category": row["category"], "on_the_spot": bool(row["on_the_spot"]),
                      "now": row["reported_at"], "actor": reporter}

            def recorded(s: VisitRound, matter: dict[str, Any] = matter) -> list[Any]:
                return decide_matter(s, **matter)

            await self._with_retry(state.round_id, recorded, _event_id(state.round_id, f"matter:{row['id']}"))
            log.warning("visit_matter_recovered", round_id=state.round_id, petition_id=row["id"])

    async def _with_retry(self, rid: str, decide: Callable[[VisitRound], list[Any]], event_id: str) -> VisitRound:
        """Read the round, decide, append at the version read; read and decide again when another writer moved
        the stream first (five tries, then StreamConflict)."""
        for _ in range(5):
            state, _ = await read_round(EventStore(self.pool), rid)
            events = decide(state)
            try:
                return await append_round(self.pool, rid, state.version, events,
                                          [event_id] if len(events) == 1 else None)
            except StreamConflict:
                continue
        raise StreamConflict(f"visit round {rid} kept moving; try again")


def _opening(team: VisitTeam, scheduled: date, day: date, now: datetime, actor: Actor
             ) -> Callable[[VisitRound], list[Any]]:
    """The decision that opens `team`'s round for `scheduled`, held on `day`."""
    def decide(state: VisitRound) -> list[Any]:
        return list(decide_open(state, team_code=team.code, district_code=team.district_code,
                                units=team.visited_units, scheduled=scheduled, visit_date=day, now=now, actor=actor))
    return decide


def require_member(actor: Actor, team: VisitTeam | None, team_code: str, org: OrgTree | None = None) -> None:
    """OutOfScope unless `actor` is a cadre of `team` (by token subject) working where the org says they do
    (the token's unit is their body's unit when the org names it, else a unit of the team's district), or an
    admin of the city or of the team's district."""
    if actor.role is Role.ADMIN and (not actor.unit_code or team is None or actor.unit_code == team.district_code):
        return
    cadre = next((c for c in team.cadres if c.id == actor.id), None) if team is not None else None
    if team is None or cadre is None:
        raise OutOfScope(f"only a cadre of visit team {team_code} records and closes its rounds")
    unit = org.units.get(actor.unit_code) if org is not None else None
    in_district = unit is not None and unit.district_code == team.district_code
    where = cadre.unit == actor.unit_code if cadre.unit else in_district
    if org is not None and not where:
        raise OutOfScope(f"{actor.id} is a cadre of visit team {team_code} for "
                         f"{cadre.unit or team.district_code}, not for {actor.unit_code or 'no unit'}")


def intake_now(reported: Reported) -> datetime:
    """When the matter was recorded: its petition's report time (now, for a keyed retry's row)."""
    if reported.state is not None and reported.state.reported_at is not None:
        return reported.state.reported_at
    if reported.row is not None and reported.row.get("reported_at") is not None:
        at = reported.row["reported_at"]
        return at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    raise InvalidCommand("the matter's petition has no report time")
