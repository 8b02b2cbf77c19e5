"""Links between petitions in the read model: the duplicates closed against an original (migration 013)."""

from __future__ import annotations

import asyncpg


async def duplicates_of(pool: asyncpg.Pool, petition_id: str, scope: list[str] | None, reader: str) -> list[str]:
    """Ids of the petitions closed as duplicates of `petition_id` that the reader may see: handled
    inside `scope` (None: everywhere) or reported by `reader` (the actor's subject)."""
    rows = await pool.fetch(
        "SELECT id FROM petitions WHERE duplicate_of = $1 "
        "AND ($2::text[] IS NULL OR handled_units && $2::text[] OR reported_by = $3) ORDER BY closed_at, id",
        petition_id, scope, reader)
    return [r["id"] for r in rows]
