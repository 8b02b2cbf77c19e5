"""Duplicates and bursts (issue 14 §5): a dispatcher merges a petition into another (合并工单) and declares a
burst (突发集中诉求). No SQL: the merge is `services/duplicates.py`'s, the burst a command of the catalogue."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import AwareDatetime, Field

from api.auth import CurrentActor
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.idempotency import IdempotencyKey
from api.input_rules import CheckedInput
from api.petition_views import ActorReach, command_out, state_out, visible_row
from api.routes.commands import send_command
from api.schemas import MergeIn, MergeOut, PetitionOut
from api.scope import require_role
from config.reference_data import work_calendar
from domain import commands as cmd
from domain.catalogue import BY_ACTION
from domain.enums import UnitKind
from domain.text import blank_problem, unstorable_text
from eventstore.petition_queries import find_petition
from services.duplicates import MergeService

router = APIRouter(prefix="/v1/petitions", tags=["commands"])
ERRORS = PROBLEM_RESPONSES(401, 403, 404, 409, 413, 422, 503)


@router.post("/{petition_id}/merge", response_model=MergeOut, responses=ERRORS, summary=BY_ACTION["merge"].summary)
async def merge(petition_id: str, body: MergeIn, actor: CurrentActor, services: ServicesDep, org: OrgDep,
                idempotency_key: IdempotencyKey = None) -> MergeOut:
    """合并工单: merge this open petition into `into`, an open one of the same district about the same problem.
    This one closes as a duplicate naming `into` (`PetitionMerged`, `PetitionClosed`; no unit's rates count it);
    its reporter, and its linked callers not yet visited, become linked reporters of `into` (`CallerLinked` with
    `merged_from`) and are return-visited when it closes. Dispatchers, supervisors and admins (who may close a
    petition as a duplicate), on petitions they may act on. Refused: into itself (422 self_merge), into one they
    may not see (422 invalid_into), of another district (422 cross_district_merge), closed or itself merged (409
    survivor_closed); this one closed: 409."""
    require_role(actor, "merge")
    row = await visible_row(services.pool, petition_id, actor, org, for_command=True,
                            closed_ok=idempotency_key is not None)
    service = MergeService(services.pool, services.petitions, work_calendar())
    command = cmd.MergeInto(actor=actor, into=body.into.strip(), reason=body.reason)
    done = await service.merge(row["id"], command, ActorReach(actor, org).may_see, idempotency_key,
                               body.model_dump(mode="json"))
    if done.survivor is not None:
        into = state_out(done.survivor, actor, org)
    else:  # a keyed retry, or a survivor that had taken the reporters in already: as it is now
        found = await find_petition(services.pool, command.into)
        if found is None:
            raise ApiError(404, "petition_not_found", f"no petition {command.into}")
        into = command_out(found, actor, org)
    return MergeOut(merged=state_out(done.merged, actor, org), into=into)


class BurstIn(CheckedInput):
    """突发集中诉求: until when (at most 3 days ahead), which grids (default: the petition's; grids the caller may
    reach), how far around a point (default: the petition's point; metres), which words a report must mention
    (none: any of its category), and why."""

    until: AwareDatetime = Field(description="when the burst ends (ISO 8601 with its offset)")
    reason: str = Field(min_length=1, max_length=cmd.MAX_TEXT, examples=["供水主管道爆裂, 集中来电"])
    radius_m: float = Field(default=500.0, ge=0, le=5_000, allow_inf_nan=False)
    grid_codes: list[str] = Field(default=[], max_length=50)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    keywords: list[str] = Field(default=[], max_length=10, examples=[["停水", "爆管"]])


@router.post("/{petition_id}/burst", response_model=PetitionOut, responses=ERRORS, summary=BY_ACTION["burst"].summary)
async def declare_burst(petition_id: str, body: BurstIn, actor: CurrentActor, services: ServicesDep, org: OrgDep,
                        idempotency_key: IdempotencyKey = None) -> PetitionOut:
    """Declare a burst on this open petition (a water main broke: forty calls in an hour): until `until`, reports
    of its category in `grid_codes` or within `radius_m` of its point (mentioning one of `keywords`, if any) that
    the reporter may see it join it as linked reporters — return-visited when it closes — instead of starting
    work orders of their own; each intake answer says so (`joined_burst`), and a reporter who says it is another
    problem (`separate_matter`) is reported on its own. Declared again, it replaces the earlier burst.
    Dispatchers and admins, on petitions they may act on; grids outside the caller's reach: 422."""
    require_role(actor, "burst")
    row = await visible_row(services.pool, petition_id, actor, org, for_command=True,
                            closed_ok=idempotency_key is not None)
    reach = ActorReach(actor, org)
    for code in body.grid_codes:
        unit = org.units.get(code)
        if unit is None or unit.kind is not UnitKind.GRID or not reach.may_report_in(code):
            raise ApiError(422, "invalid_grid_codes", f"grid_codes: {code} is no grid you may reach")
    if (body.lat is None) != (body.long is None):
        raise ApiError(422, "invalid_point", "lat and long come together")
    keywords = [k.strip() for k in body.keywords]
    for keyword in keywords:
        if not keyword or len(keyword) > 20 or blank_problem(keyword) or unstorable_text(keyword):
            raise ApiError(422, "invalid_keywords", "keywords: each 1 to 20 characters of text")
    command = cmd.DeclareBurst(actor=actor, until=body.until, reason=body.reason, radius_m=body.radius_m,
                               grid_codes=body.grid_codes, latitude=body.lat, longitude=body.long, keywords=keywords)
    return await send_command(services, row, command, "burst", body.model_dump(mode="json"), idempotency_key)
