"""Reads of the evaluation read model (tables `evaluation_facts`, `scorecard_editions`,
`published_scorecards`, `evaluation_appeals`, `property_rounds`, `property_scores`, written by
`evaluation_projection.py`): every SQL statement that reads them lives here; `evaluation/` and the
gauges call these functions.

It may not decide who may see what, score or rank: callers pass the scope (unit codes, None: all) their
rules computed, and `domain.evaluation` / `evaluation/` turn the rows into cards. Rows come back as
dicts of the tables' columns; months are `date`s of their first day (Beijing time).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from domain.evaluation import FACT_FIELDS, RateCounts

_FACTS = f"""
SELECT petition_id, unit_code, unit_name, category, channel, close_outcome, closed_at, waived, source_position,
       follow_ups, returned_away, {", ".join(FACT_FIELDS)}
FROM evaluation_facts WHERE month = ANY($1::date[])
"""
_APPEALS = ("SELECT appeal_id, period, petition_id, unit_code, waive, reason, filed_at, filed_by, status, decided_at, "
            "decided_by, decision_reason FROM evaluation_appeals")


async def facts(conn: asyncpg.Connection, months: Sequence[date], unit_code: str | None = None,
                channel: str | None = None) -> list[dict[str, Any]]:
    """The evaluation facts of petitions closed in `months` (of one unit, None: every unit; of petitions
    reported through one channel, None: any), with the columns a scorecard reads
    (`domain.evaluation.FACT_FIELDS` and the petition's, its `channel` among them). With `unit_code`,
    ordered by close time and petition id (the petitions behind a card); else in no particular order."""
    sql = _FACTS + " AND ($2::text IS NULL OR unit_code = $2) AND ($3::text IS NULL OR channel = $3)"
    if unit_code is not None:
        sql += " ORDER BY closed_at, petition_id"
    rows = await conn.fetch(sql, list(months), unit_code, channel)
    return [dict(r) for r in rows]


async def fact_month(conn: asyncpg.Connection, petition_id: str, unit_code: str) -> dict[str, Any] | None:
    """The `month` (date) and `waived` (list of `Waiver` values) of one unit's fact on one petition; None
    if there is none (the petition is not closed, or the unit never touched it)."""
    row = await conn.fetchrow("SELECT month, waived FROM evaluation_facts WHERE petition_id = $1 AND unit_code = $2",
                              petition_id, unit_code)
    return dict(row) if row is not None else None


async def editions(conn: asyncpg.Connection, period: str) -> list[dict[str, Any]]:
    """The published editions of a month (`2026-11`), first to last: edition, published_at, appeal_due,
    reason, published_by, source_position."""
    rows = await conn.fetch("SELECT edition, published_at, appeal_due, reason, published_by, source_position "
                            "FROM scorecard_editions WHERE period = $1 ORDER BY edition", period)
    return [dict(r) for r in rows]


async def published_cards(conn: asyncpg.Connection, period: str, edition: int) -> list[dict[str, Any]]:
    """The cards (JSON objects, as `ScorecardsPublished` froze them) of one edition of a month."""
    rows = await conn.fetch("SELECT card FROM published_scorecards WHERE period = $1 AND edition = $2",
                            period, edition)
    return [r["card"] for r in rows]


async def published_count(conn: asyncpg.Connection, period: str, edition: int) -> int:
    """How many units one edition of a month holds a card of."""
    return int(await conn.fetchval("SELECT count(*) FROM published_scorecards WHERE period = $1 AND edition = $2",
                                   period, edition))


async def property_scores(conn: asyncpg.Connection, quarters: Sequence[str]) -> dict[str, float]:
    """Residents' mean score (0–100, to 2 decimals) per property company over the closed rounds of
    `quarters` (`2026-Q4`)."""
    rows = await conn.fetch(
        "SELECT s.company_code, avg(s.score) AS score FROM property_scores s JOIN property_rounds r USING (quarter) "
        "WHERE r.closed_at IS NOT NULL AND s.quarter = ANY($1::text[]) GROUP BY 1", list(quarters))
    return {r["company_code"]: round(float(r["score"]), 2) for r in rows}


async def property_round(conn: asyncpg.Connection, quarter: str) -> dict[str, Any] | None:
    """A quarter's property scoring round: quarter, opened_at, closed_at (None while open); None if it was
    never opened."""
    row = await conn.fetchrow("SELECT quarter, opened_at, closed_at FROM property_rounds WHERE quarter = $1", quarter)
    return dict(row) if row is not None else None


async def round_scores(conn: asyncpg.Connection, quarter: str, companies: set[str] | None) -> list[dict[str, Any]]:
    """The scores recorded in a quarter's round for `companies` (None: all): company_code, compound,
    representative, score, recorded_at, ordered by the first three."""
    rows = await conn.fetch(
        "SELECT company_code, compound, representative, score, recorded_at FROM property_scores "
        "WHERE quarter = $1 AND ($2::text[] IS NULL OR company_code = ANY($2::text[])) ORDER BY 1, 2, 3",
        quarter, _codes(companies))
    return [dict(r) for r in rows]


async def appeal(conn: asyncpg.Connection, appeal_id: str) -> dict[str, Any] | None:
    """One appeal (`evaluation_appeals` columns), or None."""
    row = await conn.fetchrow(f"{_APPEALS} WHERE appeal_id = $1", appeal_id)
    return dict(row) if row is not None else None


async def appeals(conn: asyncpg.Connection, periods: Sequence[str], units: set[str] | None) -> list[dict[str, Any]]:
    """The appeals against the months `periods` (`2026-11`), of `units` (None: all), oldest first."""
    rows = await conn.fetch(f"{_APPEALS} WHERE period = ANY($1::text[]) AND ($2::text[] IS NULL "
                            "OR unit_code = ANY($2::text[])) ORDER BY filed_at, appeal_id",
                            list(periods), _codes(units))
    return [dict(r) for r in rows]


async def pending_appeal(conn: asyncpg.Connection, petition_id: str, unit_code: str) -> str | None:
    """The id of the unit's appeal on the petition that waits for a decision, or None."""
    return await conn.fetchval("SELECT appeal_id FROM evaluation_appeals WHERE petition_id = $1 AND unit_code = $2 "
                               "AND status = 'filed'", petition_id, unit_code)


async def categories_by_unit(conn: asyncpg.Connection, months: Sequence[date], unit_code: str | None,
                             units: set[str] | None) -> list[dict[str, Any]]:
    """Per unit that held petitions closed in `months` (`unit_code`, or `units`, None: all) and category:
    unit_code, unit_name, category, petitions, returns, escalations (by deadline and requested), breaches
    (accept and resolve)."""
    rows = await conn.fetch(
        "SELECT unit_code, unit_name, category, count(*) AS petitions, sum(returns) AS returns, "
        "sum(escalations_by_deadline + escalations_requested) AS escalations, "
        "sum(accept_breaches + resolve_breaches) AS breaches "
        "FROM evaluation_facts WHERE month = ANY($1::date[]) AND received > 0 AND ($2::text IS NULL OR unit_code = $2) "
        "AND ($3::text[] IS NULL OR unit_code = ANY($3::text[])) "
        "GROUP BY 1, 2, 3", list(months), unit_code, _codes(units))
    return [dict(r) for r in rows]


async def returns_by_route(conn: asyncpg.Connection, months: Sequence[date],
                           units: set[str] | None) -> list[dict[str, Any]]:
    """Per category and level its petitions (closed in `months`) were first routed to, over those first
    routed to one of `units` (None: all): petitions, returned (how many the first holder returned), and
    landed (where returned ones were resolved: a list of {unit_code, unit_name, level, petitions}, most
    first, or None)."""
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
        """, list(months), _codes(units))
    return [dict(r) for r in rows]


# this month's facts, grouped by what the rates read (a few hundred groups, not one row per fact): the rates
# themselves are `domain.evaluation.RateCounts`, the one definition the scorecards use too, and so is the list
# of the fields they read
_RATE_GROUPS = f"""
SELECT {", ".join(RateCounts.READS)}, count(*) AS n
FROM evaluation_facts
WHERE month = date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')::date
GROUP BY {", ".join(RateCounts.READS)}
"""


async def rate_groups_this_month(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """This month's (Beijing time) evaluation facts grouped by what the three rates read
    (`domain.evaluation.RateCounts.READS`), with a count `n` per group (`RateCounts` computes the rates)."""
    return [dict(r) for r in await conn.fetch(_RATE_GROUPS)]


async def database_now(conn: asyncpg.Connection) -> datetime:
    """The database's clock (the start of its transaction), so a what-if's open petitions are cut where the
    log's times were taken."""
    now: datetime = await conn.fetchval("SELECT now()")
    return now


def _codes(units: set[str] | None) -> list[str] | None:
    return sorted(units) if units is not None else None
