"""Reading a quarter's property scoring round (物业评议): its scores and each company's mean."""

from __future__ import annotations

from typing import Any

import asyncpg


async def property_round(conn: asyncpg.Connection, quarter: str, companies: set[str] | None) -> dict[str, Any] | None:
    """The round (None if it was never opened) with the scores of `companies` (None: all of them)."""
    found = await conn.fetchrow("SELECT quarter, opened_at, closed_at FROM property_rounds WHERE quarter = $1",
                                quarter)
    if found is None:
        return None
    scores = [dict(s) for s in await conn.fetch(
        "SELECT company_code, compound, representative, score, recorded_at FROM property_scores "
        "WHERE quarter = $1 AND ($2::text[] IS NULL OR company_code = ANY($2::text[])) ORDER BY 1, 2, 3",
        quarter, sorted(companies) if companies is not None else None)]
    means: dict[str, list[float]] = {}
    for s in scores:
        means.setdefault(s["company_code"], []).append(s["score"])
    return {**dict(found), "companies": {c: round(sum(v) / len(v), 2) for c, v in means.items()}, "scores": scores}
