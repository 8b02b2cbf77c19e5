"""Idempotency keys: a client's retry of a request with the same key is answered as the first one was.

One table for intake and commands, keyed by (the caller's subject, the key). The SQL lives here so
that routes hold none.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Claim:
    request_hash: str  # of the request that first used the key
    petition_id: str  # what the first request made: a petition's id (intake, commands) or an appeal's
    first: bool  # True: this request claimed the key; False: an earlier one did (a retry or a reuse)


async def claim(pool: asyncpg.Pool, subject: str, key: str, request_hash: str, petition_id: str) -> Claim:
    """Record (subject, key) for this request, or return what the first request with it recorded."""
    row = await pool.fetchrow(
        "INSERT INTO idempotency_keys (subject, key, request_hash, petition_id) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (subject, key) DO UPDATE SET subject = EXCLUDED.subject "
        "RETURNING request_hash, petition_id, (xmax = 0) AS first",
        subject, key, request_hash, petition_id,
    )
    return Claim(row["request_hash"], row["petition_id"], row["first"])
