"""Appeals (考评申诉): a unit files one against its own record on a petition, a supervisor decides it."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime

from fastapi import APIRouter, status
from pydantic import Field

from api.auth import CurrentActor
from api.deps import DeskDep, OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.idempotency import IdempotencyKey, claim_key
from api.input_rules import CheckedInput
from api.scope import require_role
from api.unit_scope import require_below, units_below
from domain.commands import MAX_TEXT
from domain.enums import Waiver
from domain.errors import NotFound
from domain.evaluation import Period
from evaluation.desk import new_appeal_id

router = APIRouter(prefix="/v1/appeals", tags=["evaluation"])


class AppealIn(CheckedInput):
    """申诉: a unit appeals part of its own record on a closed petition, inside the window (5 working days after
    publication)."""

    petition_id: str = Field(min_length=1, max_length=100, description="the closed petition whose record is appealed")
    unit_code: str = Field(min_length=1, max_length=100, description="the caller's own unit")
    waive: list[Waiver] = Field(min_length=1, description="what should not count: accept_breach, resolve_breach, "
                                                          "escalation, return, dissatisfaction, and a dispatch "
                                                          "desk's redispatch_breach or an approver's decision_breach")
    # the one text limit of every reason, note and description (GeoReport's 4,000 characters)
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class DecisionIn(CheckedInput):
    """A supervisor upholds or rejects an appeal, with the reason the unit will read."""

    upheld: bool
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="what the unit reads about the decision")


@router.post("", status_code=status.HTTP_201_CREATED, responses=PROBLEM_RESPONSES(401, 403, 404, 409, 422))
async def file_appeal(body: AppealIn, desk: DeskDep, actor: CurrentActor, services: ServicesDep,
                      idempotency_key: IdempotencyKey = None) -> dict:
    """File an appeal (申诉) against part of the caller's own unit's record on one closed petition, with the
    reason, inside the window (5 working days after the month's first edition; before it, against the live
    figures). A supervisor of the unit's subtree upholds or rejects it."""
    require_role(actor, "file-appeal")
    if body.unit_code != actor.unit_code:
        raise ApiError(403, "out_of_scope", f"a unit appeals only its own record; you are {actor.unit_code}")
    appeal_id = new_appeal_id()
    if idempotency_key is not None:  # the key's first request names the appeal; a retry gets that appeal
        claimed = await claim_key(services.pool, actor.id, idempotency_key,
                                  {"appeal": body.model_dump(mode="json")}, appeal_id)
        appeal_id = claimed.petition_id
        if not claimed.first:
            with suppress(NotFound):  # not found: the first request stopped before filing; file it now
                filed, _decided = await desk.first_answers(appeal_id)
                return filed  # the first answer (201, the appeal as filed), as a retried intake gets
    return await desk.file_appeal(body.petition_id, body.unit_code, body.waive, body.reason, actor,
                                  datetime.now(UTC), appeal_id=appeal_id)


@router.post("/{appeal_id}/decision", responses=PROBLEM_RESPONSES(401, 403, 404, 409, 422))
async def decide_appeal(appeal_id: str, body: DecisionIn, desk: DeskDep, org: OrgDep, actor: CurrentActor,
                       services: ServicesDep, idempotency_key: IdempotencyKey = None) -> dict:
    """Uphold or reject an appeal of a unit of the caller's subtree. Upheld, the waived part of the record
    stops counting and a published month gets a corrected edition (as `POST /v1/scorecards/corrections`)."""
    require_role(actor, "decide-appeal")
    appeal = await desk.appeal(appeal_id)
    require_below(actor, org, appeal["unit_code"], "unit")
    if appeal["unit_code"] == actor.unit_code:
        raise ApiError(403, "out_of_scope", "a unit does not decide its own appeal; the office above it does")
    if idempotency_key is not None:
        claimed = await claim_key(services.pool, actor.id, idempotency_key,
                                  {"decision": appeal_id, **body.model_dump(mode="json")}, appeal_id)
        if not claimed.first and appeal["status"] != "filed":
            return (await desk.first_answers(appeal_id))[1]  # a retry: the decision's first answer
    return await desk.decide_appeal(appeal_id, body.upheld, body.reason, actor, datetime.now(UTC))


@router.get("", responses=PROBLEM_RESPONSES(401, 422))
async def list_appeals(period: str, desk: DeskDep, org: OrgDep, actor: CurrentActor) -> list[dict]:
    """The appeals against a month (or the months of a quarter or year) with their outcomes: of the caller's
    unit and those below it (a unit sees its own; a supervisor its subtree; admin all)."""
    return await desk.appeals(Period.parse(period), units_below(actor, org))
