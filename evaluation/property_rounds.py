"""Reading a quarter's property scoring round (物业评议): its scores and each company's mean.

It may not read the tables itself (`eventstore/evaluation_queries.py` does) nor decide who may see a
representative (the API masks them).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from eventstore import evaluation_queries as queries


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
