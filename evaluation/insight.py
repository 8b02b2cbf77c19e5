"""Insight (优化): what units return and escalate most, routing rules that look wrong, and the
policy what-if over a period's real petitions."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.evaluation import Period
from domain.events import PETITION_EVENT_TYPES, event_from
from domain.policy import Policy
from domain.workcalendar import WorkCalendar
from evaluation.whatif import Tally, replay
from eventstore.store import read_streams, streams_reported

SUSPECT_RETURN_RATE, SUSPECT_MIN_RETURNS = 0.3, 3


async def unit_insight(conn: asyncpg.Connection, period: Period, unit_code: str | None,
                       units: set[str] | None = None, top: int = 5) -> list[dict]:
    """Per unit (of `units`, None: all): the categories it returns and escalates most (escalations count
    the unit that let go), over the petitions it held."""
    rows = await conn.fetch(
        "SELECT unit_code, unit_name, category, count(*) AS petitions, sum(returns) AS returns, "
        "sum(escalations_by_deadline + escalations_requested) AS escalations, "
        "sum(accept_breaches + resolve_breaches) AS breaches "
        "FROM evaluation_facts WHERE month = ANY($1::date[]) AND received > 0 AND ($2::text IS NULL OR unit_code = $2) "
        "AND ($3::text[] IS NULL OR unit_code = ANY($3::text[])) "
        "GROUP BY 1, 2, 3", list(period.months), unit_code, _codes(units))
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
    rows = await conn.fetch(
        """
        WITH first_held AS (  -- each petition's first holder: the unit its category is routed to
            SELECT DISTINCT ON (petition_id) petition_id, category, level, unit_code, returns
            FROM evaluation_facts WHERE month = ANY($1::date[]) AND received > 0  -- holders, not desks or approvers
            ORDER BY petition_id, first_assigned_at NULLS LAST
        ),
        routed AS (SELECT * FROM first_held WHERE $2::text[] IS NULL OR unit_code = ANY($2::text[])),
        landed AS (
            SELECT r.category, r.level, f.unit_code AS landed_code, f.unit_name AS landed_name,
                   f.level AS landed_level, count(*) AS n
            FROM routed r JOIN evaluation_facts f ON f.petition_id = r.petition_id AND f.resolved > 0
            WHERE r.returns > 0 GROUP BY 1, 2, 3, 4, 5
        )
        SELECT r.category, r.level, count(*) AS petitions, count(*) FILTER (WHERE r.returns > 0) AS returned,
               (SELECT jsonb_agg(jsonb_build_object('unit_code', l.landed_code, 'unit_name', l.landed_name,
                                                    'level', l.landed_level, 'petitions', l.n) ORDER BY l.n DESC)
                FROM landed l WHERE l.category = r.category AND l.level = r.level) AS landed
        FROM routed r GROUP BY 1, 2
        """, list(period.months), _codes(units))
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
    now = await conn.fetchval("SELECT now()")
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
