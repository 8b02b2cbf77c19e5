"""Reading a quarter's property scoring round (物业评议): its scores and each company's mean; and each property
company's quarterly card beside it (物业110, issue 14 §3).

It may not read the tables itself (`eventstore/evaluation_queries.py` does) nor decide who may see a
representative (the API masks them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.enums import UnitKind, VisitOutcome
from domain.errors import InvalidCommand
from domain.evaluation import Period, ScoringWeights
from domain.workcalendar import CHINA
from evaluation.scorecards import live_cards
from eventstore import evaluation_queries as queries
from eventstore.petition_queries import property_hotline_orders
from org.model import OrgTree


async def property_round(conn: asyncpg.Connection, quarter: str, companies: set[str] | None) -> dict[str, Any] | None:
    """The round of `quarter` (`2026-Q4`; None if it was never opened): quarter, opened_at, closed_at, the
    `scores` of `companies` (None: all of them) and `companies`, each company's mean score (0–100, to 2
    decimals) over those scores."""
    found = await queries.property_round(conn, quarter)
    if found is None:
        return None
    scores = await queries.round_scores(conn, quarter, companies)
    means: dict[str, list[float]] = {}
    for s in scores:
        means.setdefault(s["company_code"], []).append(s["score"])
    return {**found, "companies": {c: round(sum(v) / len(v), 2) for c, v in means.items()}, "scores": scores}


# the figures of a company's quarterly card taken from its scorecard (docs/evaluation.md defines each)
CARD_FIGURES = ("petitions", "received", "accepted_in_time", "response_rate", "resolved", "resolved_in_time",
                "resolution_rate", "in_time_rate", "visited", "satisfied", "satisfaction_rate", "breaches",
                "escalations", "returns", "reopens", "hours_to_accept_median", "hours_to_resolve_median")
SATISFIED = (VisitOutcome.SATISFIED.value, VisitOutcome.BASICALLY_SATISFIED.value)


async def company_cards(conn: asyncpg.Connection, org: OrgTree, quarter: str, companies: set[str] | None,
                        weights: ScoringWeights) -> list[dict[str, Any]]:
    """物业110 (issue 14 §3): each property company's quarterly card (`quarter` like `2026-Q4`; `companies`:
    those the caller may read, None: all), by company code:

    - `hotline_orders`: 物业110 orders it held that were reported in the quarter (Beijing time), of them
      `hotline_open` still open, `callbacks` its customer service called back (客服回访) and
      `callbacks_satisfied` satisfied or basically satisfied with it;
    - its scorecard's figures of the quarter (`CARD_FIGURES`: every work order it held that closed in the
      quarter, whatever the channel; rates 0–1, hours);
    - `round_score`: the residents' scoring round (物业评议) of the quarter, once closed (None before), and
      `score`, the composite the scorecards rank by (the round's share: `ScoringWeights.property_round`).

    Every company of the org in `companies` has a card, with zeros and None when the quarter gave it nothing.
    InvalidCommand for a `quarter` that is no quarter."""
    period = Period.parse(quarter, field="quarter")
    if len(period.months) != 3:
        raise InvalidCommand(f"quarter: {quarter!r} is not a quarter such as 2026-Q4", field="quarter")
    first = period.months[0]
    start = datetime(first.year, first.month, 1, tzinfo=CHINA)
    end_month = period.months[-1]
    end = datetime(end_month.year + (end_month.month == 12), end_month.month % 12 + 1, 1, tzinfo=CHINA)
    codes = sorted(u.code for u in org.units.values() if u.kind is UnitKind.PROPERTY_COMPANY
                   and (companies is None or u.code in companies))
    cards = {c.unit_code: c for c in await live_cards(conn, org, period, weights) if c.unit_code in codes}
    orders = await property_hotline_orders(conn, start, end, codes)
    out = []
    for code in codes:
        mine = [o for o in orders if code in o["handled_units"]]
        card = cards.get(code)
        out.append({
            "company_code": code, "company_name": org.units[code].name, "district_code": org.units[code].district_code,
            "quarter": quarter, "hotline_orders": len(mine),
            "hotline_open": sum(1 for o in mine if o["status"] != "closed"),
            "callbacks": sum(1 for o in mine if o["company_callback"] is not None),
            "callbacks_satisfied": sum(1 for o in mine if o["company_callback"] in SATISFIED),
            **{name: (getattr(card, name) if card is not None else (None if name.endswith(("rate", "median"))
                                                                     else 0)) for name in CARD_FIGURES},
            "round_score": card.property_score if card is not None else None,
            "score": card.score if card is not None else None,
        })
    return out
