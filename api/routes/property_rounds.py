"""Property scoring rounds (物业评议): each quarter, residents' representatives score their compound's
property company; a closed round's mean joins the company's quarterly and yearly scorecards."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import Field

from api.auth import CurrentActor
from api.deps import DeskDep, EvaluationConn
from api.errors import PROBLEM_RESPONSES, ApiError
from api.scope import require_role
from domain.text import StorableText

router = APIRouter(prefix="/v1/property-rounds", tags=["evaluation"])
WRITE_ERRORS = PROBLEM_RESPONSES(401, 403, 409, 422)


class RoundIn(StorableText):
    quarter: str = Field(description="e.g. 2026-Q4")


class ScoreIn(StorableText):
    company_code: str = Field(min_length=1, max_length=100)
    compound: str = Field(min_length=1, max_length=200, description="the compound (小区) the representative speaks for")
    representative: str = Field(min_length=1, max_length=100)
    score: float = Field(ge=0, le=100)


@router.post("", status_code=201, responses=WRITE_ERRORS)
async def open_round(body: RoundIn, desk: DeskDep, actor: CurrentActor) -> dict:
    """Open the quarter's round (a supervisor or an admin)."""
    require_role(actor, "property-round")
    await desk.open_round(body.quarter, actor, datetime.now(UTC))
    return {"quarter": body.quarter, "open": True}


@router.post("/{quarter}/scores", status_code=201, responses=WRITE_ERRORS)
async def record_score(quarter: str, body: ScoreIn, desk: DeskDep, actor: CurrentActor) -> dict:
    """Record one representative's score of one property company (a later score by the same person replaces it)."""
    require_role(actor, "property-round")
    await desk.record_score(quarter, body.company_code, body.compound, body.representative, body.score, actor,
                            datetime.now(UTC))
    return {"quarter": quarter, **body.model_dump()}


@router.post("/{quarter}/close", responses=WRITE_ERRORS)
async def close_round(quarter: str, desk: DeskDep, actor: CurrentActor) -> dict:
    """Close the round: its scores now count on the companies' scorecards."""
    require_role(actor, "property-round")
    await desk.close_round(quarter, actor, datetime.now(UTC))
    return {"quarter": quarter, "open": False}


@router.get("/{quarter}", responses=PROBLEM_RESPONSES(401, 404))
async def get_round(quarter: str, conn: EvaluationConn, _: CurrentActor) -> dict:
    """The round, each company's mean score and every score recorded."""
    found = await conn.fetchrow("SELECT quarter, opened_at, closed_at FROM property_rounds WHERE quarter = $1",
                                quarter)
    if found is None:
        raise ApiError(404, "not_found", f"no property scoring round for {quarter}")
    scores = await conn.fetch("SELECT company_code, compound, representative, score, recorded_at "
                              "FROM property_scores WHERE quarter = $1 ORDER BY 1, 2, 3", quarter)
    means: dict[str, list[float]] = {}
    for s in scores:
        means.setdefault(s["company_code"], []).append(s["score"])
    return {**dict(found), "companies": {c: round(sum(v) / len(v), 2) for c, v in means.items()},
            "scores": [dict(s) for s in scores]}
