"""Insight (优化): returns and escalations by category, suspicious routing rules, the policy what-if."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationError

from api.auth import CurrentActor
from api.deps import EvaluationConn, OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.scope import require_role
from api.unit_scope import grids_below, require_readable, units_below
from config.reference_data import load_policy, policy_names, work_calendar
from domain.errors import DomainError
from domain.evaluation import Period
from domain.policy import Policy
from evaluation.insight import routing_suspects, unit_insight, what_if

router = APIRouter(prefix="/v1/insight", tags=["evaluation"])


@router.get("", responses=PROBLEM_RESPONSES(401, 404, 422))
async def insight(period: str, conn: EvaluationConn, org: OrgDep, actor: CurrentActor, unit: str | None = None,
                  within: str | None = None) -> dict:
    """For each unit of the caller's subtree (or one, or those `within` a unit): the categories it returned
    and escalated most in the period, and the routing rules that look wrong (a category most often
    returned by the level it is routed to), counted over the petitions first routed inside the caller's
    subtree (admin: all) and `within`. A `unit` or `within` outside the caller's subtree is a 404, as
    on the other evaluation reads; `within` above the caller narrows to the caller's subtree."""
    parsed = Period.parse(period)
    reach = units_below(actor, org)
    if unit is not None:
        require_readable(reach, org, unit)
    if within is not None:
        require_readable(reach, org, within, around=actor.unit_code)
        inside = org.subtree(within)
        reach = inside if reach is None else reach & inside
    return {"period": parsed.text, "units": await unit_insight(conn, parsed, unit, reach),
            "routing_suspects": await routing_suspects(conn, parsed, reach)}


class WhatIfIn(BaseModel):
    """A what-if: the period's petitions replayed under a candidate policy (a shipped name or a whole policy), at
    most `limit` of them."""

    period: str = Field(description="petitions reported in this month, quarter or year")
    policy: str | dict[str, Any] = Field(description="a shipped policy's name (default, fast) or a whole policy "
                                                     "in the format of config/data/policies/default.yaml")
    limit: int = Field(2000, ge=1, le=20000, description="replay at most this many petitions (oldest first)")


@router.post("/what-if", responses=PROBLEM_RESPONSES(401, 403, 422))
async def policy_what_if(body: WhatIfIn, services: ServicesDep, org: OrgDep, actor: CurrentActor) -> dict:
    """Replay the period's petitions under a candidate SLA policy, in memory: how many breaches and
    escalations it would have produced next to what was recorded. Nothing live changes. Only the
    petitions reported in grids of the caller's subtree are replayed (admin: all)."""
    require_role(actor, "what-if")
    period = Period.parse(body.period)
    candidate = _candidate(body.policy, list(org.categories))
    grids = grids_below(actor, org)
    async with services.pool.acquire() as conn:
        return await what_if(conn, period, candidate, work_calendar(), body.limit, grids)


def _candidate(policy: str | dict[str, Any], categories: list[str]) -> Policy:
    if isinstance(policy, str):
        if policy not in policy_names():
            raise ApiError(422, "invalid_command", f"unknown policy {policy!r}; shipped: {', '.join(policy_names())}")
        return load_policy(policy)
    try:
        candidate = Policy.model_validate(policy)
        candidate.validate_all(categories)
    except (ValidationError, DomainError, ValueError) as error:
        raise ApiError(422, "invalid_command", f"the candidate policy is not valid: {error}") from None
    return candidate
