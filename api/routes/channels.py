"""Figures by channel (issue 14 §7): how each way petitions come in performs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import CurrentActor
from api.deps import EvaluationConn, OrgDep
from api.downloads import EXPORTS, Format, download
from api.errors import PROBLEM_RESPONSES
from api.unit_scope import require_readable, units_below
from domain.channel_figures import ChannelFigures
from domain.evaluation import Period
from evaluation.channels import channel_summary
from evaluation.exports import CHANNEL_COLUMNS

router = APIRouter(prefix="/v1/channels", tags=["evaluation"])


class ChannelSummaryOut(BaseModel):
    """A period's figures by channel, inside the caller's part of the org tree (and `within`)."""

    period: str
    within: str | None = Field(description="the unit whose subtree was counted (None: the caller's whole reach)")
    channels: list[ChannelFigures]


@router.get("/summary", response_model=ChannelSummaryOut, responses={**PROBLEM_RESPONSES(401, 404, 422), **EXPORTS})
async def summary(period: str, conn: EvaluationConn, org: OrgDep, actor: CurrentActor, within: str | None = None,
                  format: Format = Format.JSON) -> Any:
    """Each channel's volume (petitions reported in the period), on-the-spot share, median hours to accept
    and to resolve, and the three rates (响应率, 解决率, 满意率; defined as on the scorecards) over a month
    (2026-10), quarter (2026-Q4) or year (2026): counted over the units of the caller's subtree (admin:
    all) and `within` one unit's subtree. A `within` outside the caller's subtree is a 404, as on the other
    evaluation reads; CSV and XLSX have Chinese headers."""
    parsed = Period.parse(period)
    reach = units_below(actor, org)
    if within is not None:
        require_readable(reach, org, within, around=actor.unit_code)
        inside = org.subtree(within)
        reach = inside if reach is None else reach & inside
    figures = await channel_summary(conn, parsed, reach)
    if format is Format.JSON:
        return ChannelSummaryOut(period=parsed.text, within=within, channels=figures)
    title = f"渠道-{parsed.text}" + (f"-{org.units[within].name}" if within else "")
    code = within or actor.unit_code
    heading = f"{org.units[code].name if code in org.units else '全市'} · 受理渠道统计 · {parsed.text}"
    return download(figures, format, title, title, CHANNEL_COLUMNS, heading=heading)
