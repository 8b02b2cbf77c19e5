"""The dashboard's live figures (issue 15 §7): open petitions by ladder level and by street with their yellow and
red cards, and what was reported and closed today and this month, inside what the caller may see."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import CurrentActor
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.scope import scope_units
from domain.enums import DeadlineState, Level, UnitKind
from eventstore import petition_queries, store
from org.model import OrgTree

router = APIRouter(prefix="/v1", tags=["petitions"])


class CardCounts(BaseModel):
    """Open petitions of one group by deadline card (DeadlineState: ok, warning 黄牌, overdue 红牌, paused, none)."""

    code: str = Field(description="the level (grid … department; 'none': no unit holds it) or the street's code")
    name: str = Field(description="its Chinese name")
    total: int
    ok: int = 0
    warning: int = 0
    overdue: int = 0
    paused: int = 0
    none: int = 0


class OverviewOut(BaseModel):
    """Open petitions (by level, bottom to top, and by street, most first) and today's and this month's intake and
    closures (Beijing time), of the petitions handled inside the caller's subtree (admin: all)."""

    open: int
    warning: int = Field(description="open with a yellow card (黄牌预警) now")
    overdue: int = Field(description="open with a red card (红牌超期) now")
    by_level: list[CardCounts]
    by_street: list[CardCounts]
    reported_today: int
    reported_this_month: int
    closed_this_month: int
    warned_today: int = Field(description="yellow cards (黄牌预警, DeadlineWarned) given today (Beijing time) to a "
                                          "unit of the caller's subtree")
    warned_this_month: int = Field(description="yellow cards given this month (Beijing time), today's included")
    breached_today: int = Field(description="deadlines missed (红牌超期, DeadlineBreached) today (Beijing time) by "
                                            "a unit of the caller's subtree")
    breached_this_month: int = Field(description="deadlines missed this month (Beijing time), today's included")


@router.get("/overview", response_model=OverviewOut, responses=PROBLEM_RESPONSES(401))
async def overview(actor: CurrentActor, services: ServicesDep, org: OrgDep) -> OverviewOut:
    """Counts only (no petition, no personal data): open petitions by level and street with their cards, and the
    day's and month's intake and closures, inside the caller's subtree (as `GET /v1/petitions` sees it); and the
    yellow cards and breaches given today and this month (Beijing time) to the units of that subtree (a card
    counts against the unit it names: the holder, or the dispatch desk for a re-dispatch deadline)."""
    scope = scope_units(actor, org)
    rows = await petition_queries.open_overview(services.pool, scope)
    by_level: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_street: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        by_level[row["level"] or "none"][row["deadline_state"]] += row["n"]
        by_street[_street_of(org, row["grid_code"])][row["deadline_state"]] += row["n"]
    levels = [level.value for level in Level] + ["none"]
    since = await petition_queries.reported_and_closed_since(services.pool, scope)
    cards = await store.deadline_cards_since(services.pool, scope)
    total = sum(r["n"] for r in rows)
    return OverviewOut(
        open=total,
        warning=sum(r["n"] for r in rows if r["deadline_state"] == DeadlineState.WARNING.value),
        overdue=sum(r["n"] for r in rows if r["deadline_state"] == DeadlineState.OVERDUE.value),
        by_level=[_counts(code, Level(code).label if code != "none" else "待分办", by_level[code])
                  for code in levels if code in by_level],
        by_street=sorted((_counts(code, org.units[code].name if code in org.units else "其他", cards)
                          for code, cards in by_street.items()), key=lambda c: (-c.total, c.code)),
        **since, **cards)


def _counts(code: str, name: str, cards: dict[str, int]) -> CardCounts:
    return CardCounts(code=code, name=name, total=sum(cards.values()),
                      **{state: n for state, n in cards.items() if state in CardCounts.model_fields})


def _street_of(org: OrgTree, grid_code: str) -> str:
    """The street (or town) a grid lies in; '' when the org no longer has the grid."""
    for unit in org.ancestors(grid_code) if grid_code in org.units else []:
        if unit.kind is UnitKind.STREET:
            return unit.code
    return ""
