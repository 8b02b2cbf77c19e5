"""`Idempotency-Key` on intake and on every command: the same key and body answer as the first
request did (also after a restart of the API or the workers); the same key with another body is a 409.

A command's key also names its Temporal update (`update_id`): the server keeps each update's outcome
in the petition's history, so a retry returns the first result instead of acting twice.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import Header

from api.errors import ApiError
from eventstore.idempotency import Claim, claim

IdempotencyKey = Annotated[str | None, Header(
    min_length=1, max_length=128, description="Retries with the same key and body get the first answer; "
                                              "another body with the same key: 409 idempotency_key_reused")]


def request_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def claim_key(pool: asyncpg.Pool, subject: str, key: str, payload: dict[str, Any], petition_id: str) -> Claim:
    """Claim the key for this request; 409 `idempotency_key_reused` if it was used with another body."""
    digest = request_hash(payload)
    claimed = await claim(pool, subject, key, digest, petition_id)
    if claimed.request_hash != digest:
        raise ApiError(409, "idempotency_key_reused", "this Idempotency-Key was used with a different body")
    return claimed


def update_id(subject: str, key: str) -> str:
    """The Temporal update id of a keyed command: the same for every retry of it."""
    return "idem-" + hashlib.sha256(f"{subject}\n{key}".encode()).hexdigest()[:40]
