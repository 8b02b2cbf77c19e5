"""民意"5"来听 visit days (issue 14 §4): the visit teams (org data), their rounds, the matters residents raise
and the figures per team. The rounds are opened and closed by the visit days' Schedule
(`workflows/visit_days.py`); a team's cadre records matters and may close its round early."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field, model_validator

from api import cursors
from api.auth import CurrentActor
from api.deps import IntakeDep, OrgDep, ServicesDep
from api.downloads import Format, download
from api.errors import PROBLEM_RESPONSES, ApiError
from api.idempotency import IdempotencyKey
from api.petition_views import command_out, reported_out, state_out
from api.schemas import ReportIn
from api.scope import require_role
from config.reference_data import work_calendar
from domain.channels import ChannelRefused
from domain.commands import MAX_EVIDENCE, MAX_TEXT
from domain.enums import Channel, Role
from domain.evaluation import Period
from domain.model import Actor
from evaluation.visit_figures import COLUMNS as TEAM_COLUMNS
from evaluation.visit_figures import visit_team_rows
from eventstore.visit_rounds import list_rounds, round_row
from org.model import OrgTree
from services.intake_command import Intake, VisitMatter
from services.visit_days import VisitDesk

router = APIRouter(prefix="/v1", tags=["visit days"])
READ_ERRORS = PROBLEM_RESPONSES(401, 404, 422)


class VisitMatterIn(ReportIn):
    """A matter a resident raised to the team during its round: where, what, who (as any report; its channel is
    `visit`). `on_the_spot`: the team resolved it there and then — `result` (what was done) and `evidence_urls`
    (at least one photo link) required; it is resolved at its grid and return-visited as any resolution.
    Otherwise it is handed on into the ladder (grid → community → street → department) as any report."""

    on_the_spot: bool = False
    result: str = Field(default="", max_length=MAX_TEXT, examples=["已当场协调物业修复"])
    evidence_urls: list[str] = Field(default=[], max_length=MAX_EVIDENCE)

    @model_validator(mode="after")
    def _spot(self) -> VisitMatterIn:
        if self.on_the_spot and (not self.result or not self.evidence_urls):
            raise ValueError("evidence_urls: a matter resolved on the spot needs result and evidence_urls "
                             "(at least one)")
        if not self.on_the_spot and (self.result or self.evidence_urls):
            raise ValueError("result: result and evidence_urls belong to a matter resolved on the spot "
                             "(on_the_spot true)")
        return self


def district_of(actor: Actor, org: OrgTree) -> str | None:
    """The district whose visit rounds and figures the caller reads: their unit's (None: a city admin, all)."""
    if actor.role is Role.ADMIN and not actor.unit_code:
        return None
    unit = org.units.get(actor.unit_code)
    if unit is None or unit.district_code is None:
        raise ApiError(403, "out_of_scope", "your token names no unit of the org")
    return unit.district_code


def _team_out(team: Any) -> dict[str, Any]:
    return {**team.model_dump(mode="json"), "visited_units": team.visited_units}


@router.get("/visit-teams", responses=PROBLEM_RESPONSES(401, 422))
async def visit_teams(org: OrgDep, actor: CurrentActor,
                      district: Annotated[str | None, Query(max_length=64)] = None,
                      unit: Annotated[str | None, Query(max_length=64, description="a community it visits")] = None
                      ) -> dict[str, Any]:
    """The visit teams (民情书记 "红色帮办团"): code, name, district, leader, cadres (name, the district body each
    comes from), the communities, villages and enterprises each visits; by district and code. Org data: every
    person with a token reads it."""
    teams = [t for t in org.visit_teams.values()
             if (district is None or t.district_code == district) and (unit is None or unit in t.visited_units)]
    teams.sort(key=lambda t: (t.district_code, t.code))
    return {"count": len(teams), "cadres": sum(len(t.cadres) for t in teams), "items": [_team_out(t) for t in teams]}


@router.get("/visit-teams/figures", responses=READ_ERRORS | {
    200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
async def visit_team_figures(services: ServicesDep, org: OrgDep, actor: CurrentActor,
                             period: Annotated[str, Query(description="2026-11, 2026-Q4 or 2026")],
                             format: Format = Format.JSON) -> Any:
    """Figures per team of the caller's district (a city admin: every district) over the visit days of
    `period`: rounds held, matters collected, resolved on the spot, handed on, and how those matters stand
    (closed, satisfied, not resolved, otherwise, still open, overdue); as JSON, CSV or XLSX."""
    chosen = Period.parse(period)
    rows = await visit_team_rows(services.pool, org, chosen, district_of(actor, org))
    if format is Format.JSON:
        return {"period": chosen.text, "teams": rows}
    title = f"民意5来听-{chosen.text}"
    return download(rows, format, title, title, TEAM_COLUMNS)


@router.get("/visit-teams/{code}", responses=READ_ERRORS)
async def visit_team(code: str, org: OrgDep, actor: CurrentActor) -> dict[str, Any]:
    """One visit team (org data: every person with a token reads it)."""
    team = org.visit_teams.get(code)
    if team is None:
        raise ApiError(404, "not_found", f"no visit team {code!r}")
    return _team_out(team)


@router.get("/visit-rounds", responses=READ_ERRORS)
async def visit_rounds(
    services: ServicesDep, org: OrgDep, actor: CurrentActor,
    team: Annotated[str | None, Query(max_length=64)] = None,
    on: Annotated[date | None, Query(alias="date", description="held on this day (China date)")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    unit: Annotated[str | None, Query(max_length=64, description="visiting this community or village")] = None,
    open: Annotated[bool, Query(description="only rounds still open")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Visit rounds of the teams of the caller's district (a city admin: all), newest visit day first, one page at
    a time (`next_cursor`): each with its team, scheduled date (5th/15th/25th), the day it was held, the units
    visited, when it opened and closed, and its tally (collected, on the spot, handed on)."""
    district = district_of(actor, org)
    teams = sorted(c for c, t in org.visit_teams.items() if district is None or t.district_code == district)
    if team is not None:
        teams = [t for t in teams if t == team]
    after = None
    if cursor is not None:
        try:
            key, last_id = cursors.decode_sorted(cursor, "visit-rounds")
        except cursors.InvalidCursor as exc:
            raise ApiError(422, "invalid_cursor", str(exc)) from exc
        after = (key.date(), last_id)
    rows = await list_rounds(services.pool, teams=teams, on=on, date_from=date_from, date_to=date_to, unit=unit,
                             open_only=open, after=after, limit=limit)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = cursors.encode("visit-rounds", datetime.combine(last["visit_date"], datetime.min.time(), UTC),
                                     last["round_id"])
    return {"items": page, "next_cursor": next_cursor}


@router.get("/visit-rounds/{round_id}", responses=READ_ERRORS)
async def visit_round(round_id: str, services: ServicesDep, org: OrgDep, actor: CurrentActor) -> dict[str, Any]:
    """One round with its tally and its matters (petition ids, on the spot or handed on); 404 outside the
    caller's district."""
    found = await round_row(services.pool, round_id)
    district = district_of(actor, org)
    if found is None or (district is not None and found["district_code"] != district):
        raise ApiError(404, "visit_round_not_found", f"no visit round {round_id}")
    return found


@router.post("/visit-rounds/{round_id}/matters", status_code=201,
             responses=PROBLEM_RESPONSES(401, 403, 404, 409, 413, 422, 503))
async def record_visit_matter(round_id: str, body: VisitMatterIn, services: ServicesDep, org: OrgDep,
                              intake: IntakeDep, actor: CurrentActor, response: Response,
                              idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Record what a resident raised to the team during its open round: a petition with channel `visit` and the
    team on it, resolved on the spot (`on_the_spot`, with `result` and `evidence_urls`) or handed on into the
    ladder. A cadre of the round's team (by token subject; staff roles) or an admin; the grid must lie in a
    community the round visits. Answers the petition and the round's tally."""
    require_role(actor, "visit-matter")
    if body.channel not in (None, Channel.VISIT):
        raise ChannelRefused("channel: a visit team's matter is always a visit report", field="channel")
    later = {"lat", "long", "media_urls", "request_type", "resident_sms"} - body.model_fields_set
    desk = VisitDesk(services.pool, work_calendar, intake)
    reported, state = await desk.record_matter(org, round_id, Intake(
        actor=actor, category=body.category, description=body.description, channel=Channel.VISIT,
        grid_code=body.grid_code, latitude=body.lat, longitude=body.long, address=body.address,
        urgency=body.urgency, reporter_name=body.reporter_name, reporter_phone=body.reporter_phone,
        confidential=body.confidential, public_summary=body.public_summary, media_urls=tuple(body.media_urls),
        resident_sms=body.resident_sms, follows=body.follows or "", idempotency_key=idempotency_key,
        request_type=body.request_type, request={"visit_round": round_id, **body.model_dump(mode="json",
                                                                                            exclude=later)},
    ), VisitMatter(team="", round_id=round_id, on_the_spot=body.on_the_spot, result=body.result,
                   evidence_urls=tuple(body.evidence_urls)))
    response.status_code = reported.status
    petition = (state_out(reported.state, actor, org) if reported.state is not None
                else command_out(reported.row or {}, actor, org))
    candidates = reported_out(reported, actor, org).duplicate_candidates  # issue 14 §5 (a visit matter joins no burst)
    return {"petition": petition.model_dump(mode="json"), "round": state.model_dump(mode="json"),
            "duplicate_candidates": [c.model_dump(mode="json") for c in candidates]}


@router.post("/visit-rounds/{round_id}/close", responses=PROBLEM_RESPONSES(401, 403, 404, 409))
async def close_visit_round(round_id: str, services: ServicesDep, org: OrgDep, actor: CurrentActor
                            ) -> dict[str, Any]:
    """Close the round now with its tally (the team is done before the end of the day; the Schedule closes the
    rest at 17:30). A cadre of its team or an admin; a closed round is answered as it is."""
    require_role(actor, "visit-round-close")
    desk = VisitDesk(services.pool, work_calendar)
    state = await desk.close_round(org, round_id, actor, datetime.now(UTC))
    return state.model_dump(mode="json")
