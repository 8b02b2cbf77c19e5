"""Insight (优化): what units return and escalate most, routing rules that look wrong, and the
policy what-if over a period's real petitions.

It may not read the tables itself (`eventstore/evaluation_queries.py` and `eventstore/store.py` do) nor
decide who may see what (callers pass the units and grids their scope allows).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.evaluation import Period
from domain.events import PETITION_EVENT_TYPES, event_from
from domain.policy import Policy
from domain.workcalendar import WorkCalendar
from evaluation.whatif import Tally, replay
from eventstore import evaluation_queries as queries
from eventstore.store import read_streams, streams_reported

SUSPECT_RETURN_RATE, SUSPECT_MIN_RETURNS = 0.3, 3


async def unit_insight(conn: asyncpg.Connection, period: Period, unit_code: str | None,
                       units: set[str] | None = None, top: int = 5) -> list[dict]:
    """Per unit (of `units`, None: all): the categories it returns and escalates most (escalations count
    the unit that let go), over the petitions it held."""
    rows = await queries.categories_by_unit(conn, period.months, unit_code, units)
    by_unit: dict[str, dict[str, Any]] = {}
    for r in rows:
        unit = by_unit.setdefault(r["unit_code"], {"unit_code": r["unit_code"], "unit_name": r["unit_name"],
                                                 "categories": []})
        unit["categories"].append({k: r[k] for k in ("category", "petitions", "returns", "escalations", "breaches")})
    for unit in by_unit.values():
        cats = unit.pop("categories")
        unit["most_returned"] = sorted((c for c in cats if c["returns"]), key=lambda c: -c["returns"])[:top]
        unit["most_escalated"] = sorted((c for c in cats if c["escalations"]), key=lambda c: -c["escalations"])[:top]
    return sorted(by_unit.values(), key=lambda u: u["unit_code"])


async def routing_suspects(conn: asyncpg.Connection, period: Period, units: set[str] | None = None) -> list[dict]:
    """Categories most often returned by the level they are routed to, and where they then land, over the
    petitions first routed to one of `units` (None: all)."""
    rows = await queries.returns_by_route(conn, period.months, units)
    out = []
    for r in rows:
        rate = r["returned"] / r["petitions"] if r["petitions"] else 0.0
        if r["returned"] >= SUSPECT_MIN_RETURNS and rate >= SUSPECT_RETURN_RATE:
            out.append({"category": r["category"], "routed_to_level": r["level"], "petitions": r["petitions"],
                        "returned": r["returned"], "return_rate": round(rate, 4), "landed": (r["landed"] or [])[:5]})
    return sorted(out, key=lambda s: (-s["return_rate"], s["category"]))


async def what_if(conn: asyncpg.Connection, period: Period, candidate: Policy, calendar: WorkCalendar,
                  limit: int, grids: set[str] | None = None) -> dict[str, Any]:
    """Breaches and escalations of the period's petitions (those reported in `grids`, None: all) as
    recorded, and under `candidate`."""
    first, last = period.months[0], period.months[-1]
    ids = await streams_reported(conn, first, last, _codes(grids), limit)
    rows = await read_streams(conn, ids, PETITION_EVENT_TYPES)
    now = await queries.database_now(conn)
    streams: dict[str, list] = {}
    for r in rows:
        streams.setdefault(r["stream_id"], []).append(event_from(r["type"], r["data"]))
    recorded, proposed = Tally(), Tally()
    for events in streams.values():
        until = now if events[-1].type not in ("PetitionClosed", "UnitEvaluated") else None
        state, skipped = replay(events, calendar, None, until)
        recorded.add(state, skipped)
        state, skipped = replay(events, calendar, candidate.rules_for, until)
        proposed.add(state, skipped)
    return {"period": period.text, "candidate": candidate.name, "sampled": len(streams), "limit": limit,
            "as_recorded": recorded.as_dict(), "under_candidate": proposed.as_dict()}


def _codes(units: set[str] | None) -> list[str] | None:
    return sorted(units) if units is not None else None
