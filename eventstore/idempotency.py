"""Idempotency keys: a client's retry of a request with the same key is answered as the first one was.

One table for intake and commands, keyed by (the caller's subject, the key). The SQL lives here so
that routes hold none.

A key's first answer is kept by reference, not as a copy: the stream version the first request's
command produced and the status it answered (migration 016). The answer itself is the petition folded
from its own log up to that version, so no second copy of a resident's data is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Claim:
    """Who holds an Idempotency-Key (per subject) and what its first request made and answered."""

    request_hash: str  # of the request that first used the key
    petition_id: str  # what the first request made: a petition's id (intake, commands) or an appeal's
    first: bool  # True: this request claimed the key; False: an earlier one did (a retry or a reuse)
    answer_version: int | None = None  # the stream version the first request answered with, once it succeeded
    answer_status: int | None = None  # the HTTP status it answered with
    answer_candidates: str | None = None  # a report's duplicate candidates as it answered them (JSON; migration 027)


async def claim(pool: asyncpg.Pool, subject: str, key: str, request_hash: str, petition_id: str) -> Claim:
    """Record (subject, key) for this request, or return what the first request with it recorded."""
    row = await pool.fetchrow(
        "INSERT INTO idempotency_keys (subject, key, request_hash, petition_id) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (subject, key) DO UPDATE SET subject = EXCLUDED.subject "
        "RETURNING request_hash, petition_id, (xmax = 0) AS first, answer_version, answer_status, answer_candidates",
        subject, key, request_hash, petition_id,
    )
    return Claim(row["request_hash"], row["petition_id"], row["first"], row["answer_version"], row["answer_status"],
                 row["answer_candidates"])


async def record_answer(pool: asyncpg.Pool, subject: str, key: str, version: int, status: int,
                        candidates: str | None = None) -> None:
    """Keep the first successful answer of (subject, key): the stream `version` it showed, its HTTP
    `status` and a report's duplicate `candidates` (JSON text, issue 14 §5). A later call for the same key
    changes nothing (the first answer stays the answer)."""
    await pool.execute(
        "UPDATE idempotency_keys SET answer_version = $3, answer_status = $4, answer_candidates = $5 "
        "WHERE subject = $1 AND key = $2 AND answer_version IS NULL",
        subject, key, version, status, candidates,
    )

