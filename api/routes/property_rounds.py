"""Property scoring rounds (物业评议): each quarter, residents' representatives score their compound's
property company; a closed round's mean joins the company's quarterly and yearly scorecards."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import Field

from api.auth import CurrentActor
from api.deps import DeskDep, EvaluationConn, OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.scope import ROLES_OF_ACTION, require_role
from api.unit_scope import require_below, units_below
from domain.masking import mask_representative
from domain.text import StorableText
from evaluation.property_rounds import company_cards, property_round

router = APIRouter(prefix="/v1/property-rounds", tags=["evaluation"])
WRITE_ERRORS = PROBLEM_RESPONSES(401, 403, 409, 422)


class RoundIn(StorableText):
    """The quarter of a property scoring round (物业评议), e.g. 2026-Q4."""

    quarter: str = Field(description="e.g. 2026-Q4")


class ScoreIn(StorableText):
    """One representative's score (0–100) of a property company for their compound."""

    company_code: str = Field(min_length=1, max_length=100)
    compound: str = Field(min_length=1, max_length=200, description="the compound (小区) the representative speaks for")
    representative: str = Field(min_length=1, max_length=100)
    score: float = Field(ge=0, le=100)


@router.post("", status_code=201, responses=WRITE_ERRORS)
async def open_round(body: RoundIn, desk: DeskDep, actor: CurrentActor) -> dict:
    """Open the quarter's round, for every district at once: the city level's (admin)."""
    require_role(actor, "property-round")
    await desk.open_round(body.quarter, actor, datetime.now(UTC))
    return {"quarter": body.quarter, "open": True}


@router.post("/{quarter}/scores", status_code=201, responses=PROBLEM_RESPONSES(401, 403, 404, 409, 422))
async def record_score(quarter: str, body: ScoreIn, desk: DeskDep, org: OrgDep, actor: CurrentActor) -> dict:
    """Record one representative's score of one property company (a later score by the same person replaces it);
    a supervisor scores only the companies of its own subtree (a district's supervisor: that district's)."""
    require_role(actor, "property-score")
    require_below(actor, org, body.company_code, "property company")
    await desk.record_score(quarter, body.company_code, body.compound, body.representative, body.score, actor,
                            datetime.now(UTC))
    return {"quarter": quarter, **body.model_dump()}


@router.post("/{quarter}/close", responses=WRITE_ERRORS)
async def close_round(quarter: str, desk: DeskDep, actor: CurrentActor) -> dict:
    """Close the round: its scores now count on the companies' scorecards (admin, like opening it)."""
    require_role(actor, "property-round")
    await desk.close_round(quarter, actor, datetime.now(UTC))
    return {"quarter": quarter, "open": False}


@router.get("/{quarter}", responses=PROBLEM_RESPONSES(401, 404))
async def get_round(quarter: str, conn: EvaluationConn, org: OrgDep, actor: CurrentActor) -> dict:
    """The round, and the scores and mean of each property company in the caller's subtree (admin: all)."""
    found = await property_round(conn, quarter, units_below(actor, org))
    if found is None:
        raise ApiError(404, "not_found", f"no property scoring round for {quarter}")
    if actor.role not in ROLES_OF_ACTION["property-score"]:  # who scored is the round's office's to know
        for score in found["scores"]:
            score["representative"] = mask_representative(score["representative"])
    return found


@router.get("/{quarter}/cards", responses=PROBLEM_RESPONSES(401, 422))
async def get_company_cards(quarter: str, conn: EvaluationConn, org: OrgDep, services: ServicesDep,
                            actor: CurrentActor) -> list[dict]:
    """物业110 (issue 14 §3): each property company's quarterly card beside the residents' round — its 物业110
    orders of the quarter, still open, called back (客服回访) and satisfied with the callback; its scorecard's
    figures (work orders, response and resolution in time, satisfaction); the round's score and the composite.
    The companies of the caller's subtree (a company: its own; admin: all), whether or not a round was held."""
    return await company_cards(conn, org, quarter, units_below(actor, org), services.weights)
