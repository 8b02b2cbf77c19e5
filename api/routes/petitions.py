"""Petitions: report (idempotently), read one, read its events."""

from __future__ import annotations

import secrets
from datetime import datetime

from fastapi import APIRouter, Response, status

from api.access import ReadAccessDep
from api.auth import CurrentActor
from api.deps import OrgDep, ServicesDep, StoreDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.idempotency import IdempotencyKey, claim_key
from api.petition_views import command_out, events_out, petitions_out, state_out, visible_row
from api.schemas import EventOut, PetitionOut, ReportIn
from api.scope import grid_in_scope, require_role, scope_units
from domain import commands as cmd
from domain.decider import NOT_REOPENABLE
from domain.enums import ReadKind, Status
from domain.policy import Rules
from domain.workcalendar import CHINA
from eventstore.petition_links import duplicates_of
from jiehu.reference_data import work_calendar
from org.geography import LocationError, grid_at, grid_holds
from org.model import OrgTree
from org.routing import dispatch_desk, ladder_for_report

router = APIRouter(prefix="/v1/petitions", tags=["petitions"])


def new_petition_id() -> str:
    return f"JH{datetime.now(CHINA):%Y%m%d}-{secrets.token_hex(4).upper()}"


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PetitionOut,
             responses=PROBLEM_RESPONSES(401, 403, 409, 413, 422, 503))
async def report_petition(
    body: ReportIn, actor: CurrentActor, services: ServicesDep, org: OrgDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PetitionOut:
    """Report a petition (发现上报): it is routed and its deadlines start at once."""
    require_role(actor, "report")
    if body.category not in org.categories:
        raise ApiError(422, "unknown_category", f"unknown category {body.category!r}; see GET /v1/categories")
    grid_code = _grid_of(body, org)
    if grid_code in org.units and not grid_in_scope(actor, org, grid_code):
        raise ApiError(403, "out_of_scope", f"grid {grid_code} is outside your unit")
    ladder = ladder_for_report(org, grid_code, body.category)
    rules = services.policy.rules_for(body.category, body.urgency)
    follows_unit = await _followed_unit(services, org, actor, body.follows, rules) if body.follows else ""
    petition_id = new_petition_id()
    if idempotency_key is not None:
        # fields added later count only when sent, so a retry of an older client's body still matches
        later = {"lat", "long", "media_urls"} - body.model_fields_set
        claimed = await claim_key(services.pool, actor.id, idempotency_key,
                                  body.model_dump(mode="json", exclude=later), petition_id)
        petition_id = claimed.petition_id
    report = cmd.Report(
        actor=actor, petition_id=petition_id, category=body.category, description=body.description,
        address=body.address, grid_code=grid_code, channel=body.channel, urgency=body.urgency,
        reporter_name=body.reporter_name, reporter_phone=body.reporter_phone, confidential=body.confidential,
        public_summary=body.public_summary, latitude=body.lat, longitude=body.long, media_urls=body.media_urls,
        policy_name=services.policy.name, rules=rules,
        ladder=ladder, desk_code=dispatch_desk(org, grid_code), tracks_delivery=True,
        follows=body.follows or "", follows_unit=follows_unit,
    )
    state = await services.petitions.report(report)
    if state is None:  # an earlier request with this key already reported (and perhaps closed) it
        row = await services.pool.fetchrow("SELECT * FROM petitions WHERE id = $1", petition_id)
        if row is None:
            raise ApiError(409, "report_in_progress", "a request with this Idempotency-Key is still being handled")
        response.status_code = status.HTTP_200_OK
        return command_out(dict(row), actor)
    return state_out(state, actor)


def _grid_of(body: ReportIn, org: OrgTree) -> str:
    """The grid of a report: `grid_code`, else the grid whose boundary holds `lat`/`long` (both: they agree)."""
    if body.grid_code is not None:
        if (body.lat is not None and body.long is not None and body.grid_code in org.units
                and not grid_holds(org, body.grid_code, body.lat, body.long)):
            raise ApiError(422, "location_mismatch",
                           f"lat {body.lat}, long {body.long} lies outside grid {body.grid_code}")
        return body.grid_code
    assert body.lat is not None and body.long is not None  # ReportIn requires a grid or a point
    try:
        return grid_at(org, body.lat, body.long)
    except LocationError as exc:
        raise ApiError(422, "location_outside_grids", str(exc)) from None


async def _followed_unit(services: ServicesDep, org: OrgDep, actor: CurrentActor, follows: str, rules: Rules) -> str:
    """结案后再诉: the petition followed must be one the caller may see (404), closed (409), within the reopen
    window of the rules the new petition is reported under (409). Returns the unit charged with a reopen: the
    one that resolved it or held it last — nobody for a duplicate or a withdrawn petition."""
    row = await visible_row(services.pool, follows, actor, org)
    if row["status"] != Status.CLOSED.value:
        raise ApiError(409, "followed_petition_open", f"petition {follows} is still open: urge it rather than "
                                                      "report it again")
    window = rules.reopen_after_close
    if window is None:
        raise ApiError(409, "follow_up_not_allowed", "the policy in force has no window for following a closed "
                                                     "petition")
    until = work_calendar().add(row["closed_at"], window.seconds, window.clock)
    if datetime.now(CHINA) > until:
        raise ApiError(409, "follow_up_window_passed",
                       f"petition {follows} closed at {row['closed_at'].astimezone(CHINA):%Y-%m-%d %H:%M}; it could "
                       f"be followed until {until.astimezone(CHINA):%Y-%m-%d %H:%M} (Beijing time)")
    if row["close_outcome"] in {o.value for o in NOT_REOPENABLE}:
        return ""
    return row["unit_code"] or ""


@router.get("/{petition_id}", response_model=PetitionOut, responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_petition(petition_id: str, access: ReadAccessDep, services: ServicesDep, org: OrgDep) -> PetitionOut:
    """One petition as the read model holds it."""
    row = await visible_row(services.pool, petition_id, access.actor, org)
    row["duplicates"] = await duplicates_of(services.pool, petition_id, scope_units(access.actor, org),
                                            access.actor.id)
    [petition] = await petitions_out([row], access, ReadKind.PETITION)
    return petition


@router.get("/{petition_id}/events", response_model=list[EventOut], responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_petition_events(petition_id: str, access: ReadAccessDep, services: ServicesDep, org: OrgDep,
                              store: StoreDep) -> list[EventOut]:
    """The petition's domain events, in the order they happened."""
    row = await visible_row(services.pool, petition_id, access.actor, org)
    return await events_out(row, await store.read_stream(petition_id), access)
