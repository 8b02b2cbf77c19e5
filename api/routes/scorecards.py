"""Scorecards, rankings and their exports; publishing editions and upholding appeals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import CurrentActor
from api.deps import DeskDep, EvaluationConn, OrgDep, ServicesDep
from api.downloads import EXPORTS, Format, download
from api.errors import PROBLEM_RESPONSES
from api.schemas import UtcTime
from api.scope import require_role
from api.unit_scope import cards_in, district_units, require_below, require_readable, units_below
from domain.commands import MAX_TEXT
from domain.enums import Channel, UnitKind, Waiver
from domain.evaluation import Period, Scorecard
from domain.model import Actor
from domain.text import StorableText
from evaluation.desk import MONTHLY_CLOSE
from evaluation.scorecards import CardSet, card_set, compared, petitions_behind, ranked_units, select
from org.model import OrgTree

router = APIRouter(prefix="/v1", tags=["evaluation"])
READ_ERRORS = PROBLEM_RESPONSES(401, 404, 422)


class CardOut(Scorecard):
    """A unit's scorecard (definitions: docs/evaluation.md), with its kind's Chinese label."""

    kind_label: str = Field(description="the unit kind's Chinese label ('' for a unit no longer in the org)")


class CardsOut(BaseModel):
    """A period's scorecards: a published edition's frozen cards (with its dates and the other editions), or live,
    provisional figures."""

    period: str
    provisional: bool = Field(description="live figures: the month is not published (or `live=true` was asked)")
    edition: int | None
    published_at: UtcTime | None
    appeal_due: UtcTime | None
    reason: str | None
    editions: list[dict[str, Any]]
    channel: Channel | None = Field(None, description="the channel the figures are cut to (None: every channel)")
    cards: list[CardOut]


@router.get("/scorecards", response_model=CardsOut, responses={**READ_ERRORS, **EXPORTS})
async def scorecards(services: ServicesDep, conn: EvaluationConn, org: OrgDep, actor: CurrentActor, period: str,
                     level: UnitKind | None = None, within: str | None = None, unit: str | None = None,
                     edition: int | None = None, live: bool = False, channel: Channel | None = None,
                     format: Format = Format.JSON) -> Any:
    """Units' scorecards for a month (2026-10), quarter (2026-Q4) or year (2026): the caller's unit's
    and those below it (admin: all).

    A published month shows its latest frozen edition (or `edition=N`); `live=true` shows today's
    figures. Filter by kind of unit (`level`), by a unit and everything below it (`within`), or one unit.
    `rank` is the place among the units of the same kind of the caller's district (admin: all) inside
    `within`: the rank `/v1/rankings` gives with the same `within`. `channel` cuts the figures to the
    petitions reported through one channel (always from the live facts: an edition freezes all channels
    together; with `edition`, 422)."""
    reach = units_below(actor, org)
    if within is not None:
        require_readable(reach, org, within, around=actor.unit_code)
    if unit is not None:
        require_readable(reach, org, unit)
    chosen = await _cards(conn, services, org, period, edition, live, channel)
    ranked = compared(chosen.cards, org, district_units(actor, org), within)
    chosen.cards = select(cards_in(ranked, reach), org, level, within, unit)
    return _respond(chosen, format, f"考评-{period}", channel, _area(org, actor, within or unit))


@router.get("/rankings", response_model=CardsOut, responses={**READ_ERRORS, **EXPORTS})
async def rankings(services: ServicesDep, conn: EvaluationConn, org: OrgDep, actor: CurrentActor, period: str,
                   level: UnitKind, within: str | None = None, edition: int | None = None, live: bool = False,
                   channel: Channel | None = None, format: Format = Format.JSON) -> Any:
    """One kind of unit of the caller's district (admin: every district) ranked by composite score:
    streets, communities `within` a street, departments, property companies; `channel`: on the petitions
    of one channel only (as in /v1/scorecards)."""
    reach = district_units(actor, org)
    if within is not None:
        require_readable(reach, org, within)
    chosen = await _cards(conn, services, org, period, edition, live, channel)
    chosen.cards = select(compared(ranked_units(chosen.cards), org, reach, within), org, level)
    return _respond(chosen, format, f"排名-{level.label}-{period}", channel, _area(org, actor, within))


@router.get("/scorecards/{unit_code}/petitions", responses=READ_ERRORS)
async def petitions_behind_card(unit_code: str, period: str, conn: EvaluationConn, org: OrgDep,
                                actor: CurrentActor, channel: Channel | None = None) -> list[dict]:
    """The petitions behind a unit's live card (`channel`: of one channel's petitions): each one's figures
    and the log position of the `UnitEvaluated` event they come from (follow it with
    GET /v1/petitions/{id}/events). Only for the caller's unit and those below it (404 otherwise, like a
    petition out of scope)."""
    require_readable(units_below(actor, org), org, unit_code)
    return await petitions_behind(conn, unit_code, Period.parse(period), channel)


class PublishIn(StorableText):
    """Publish a month's scorecards as its next edition, with a reason."""

    period: str = Field(description="the month to publish, e.g. 2026-10")
    reason: str = Field(MONTHLY_CLOSE, min_length=1, max_length=500)


@router.post("/scorecards/publish", responses=PROBLEM_RESPONSES(401, 403, 409, 422))
async def publish(body: PublishIn, desk: DeskDep, actor: CurrentActor) -> dict:
    """Publish (freeze) a month's scorecards of every district as its next edition: the city level's
    (admin). The monthly close does this on the 1st."""
    require_role(actor, "publish-scorecards")
    return await desk.publish(Period.parse(body.period), actor, datetime.now(UTC), reason=body.reason)


class CorrectionIn(StorableText):
    """A supervisor's correction: what of a unit's record on a petition stops counting, and why (a published month
    gets a corrected edition)."""

    petition_id: str = Field(min_length=1, max_length=100)
    unit_code: str = Field(min_length=1, max_length=100)
    waive: list[Waiver] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


@router.post("/scorecards/corrections", responses=PROBLEM_RESPONSES(401, 403, 404, 409, 422))
async def correct(body: CorrectionIn, desk: DeskDep, org: OrgDep, actor: CurrentActor) -> dict:
    """Uphold a unit's appeal (考评申诉): the waived part of its record on that petition stops counting.
    If the month is already published, a corrected edition is published; earlier editions stay.
    A supervisor corrects only units of its own subtree."""
    require_role(actor, "correct-evaluation")
    require_below(actor, org, body.unit_code, "unit")
    return await desk.correct(body.petition_id, body.unit_code, body.waive, body.reason, actor, datetime.now(UTC))


async def _cards(conn: EvaluationConn, services: ServicesDep, org: OrgDep, period: str, edition: int | None,
                 live: bool, channel: Channel | None) -> CardSet:
    return await card_set(conn, org, Period.parse(period), services.weights, edition, live, channel)


def _area(org: OrgTree, actor: Actor, within: str | None) -> str:
    """Whose figures an export shows, for its title row: the unit asked for, else the caller's unit (全市: admin)."""
    code = within or actor.unit_code
    return org.units[code].name if code in org.units else "全市"


def _respond(chosen: CardSet, format: Format, title: str, channel: Channel | None, area: str = "") -> Any:
    cards = [CardOut(**card.model_dump(), kind_label=UnitKind(card.kind).label if card.kind else "")
             for card in chosen.cards]
    if format is Format.JSON:
        return CardsOut(period=chosen.period, provisional=chosen.provisional, edition=chosen.edition,
                        published_at=chosen.published_at, appeal_due=chosen.appeal_due, reason=chosen.reason,
                        editions=chosen.editions, channel=channel, cards=cards)
    if channel is not None:
        title = f"{title}-{channel.label}"
    suffix = f"-第{chosen.edition}版" if chosen.edition else "-实时"
    edition = f"第{chosen.edition}版" if chosen.edition else "实时数据（未发布）"
    heading = " · ".join(part for part in (area, title, edition) if part)
    return download(cards, format, f"{title}{suffix}", title, heading=heading)
