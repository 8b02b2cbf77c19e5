"""Idempotency keys for every use case that makes something (a petition, a command's outcome, an appeal):
the same key with the same request answers as the first did; the same key with another request is refused.

It may not store anything itself: the table is `eventstore/idempotency.py`'s.
"""

from __future__ import annotations

import hashlib
from typing import Any

import asyncpg
import orjson

from eventstore.idempotency import Claim, claim
from services.errors import IdempotencyKeyReused


def request_hash(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of `payload` as JSON with sorted keys: equal requests hash alike."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def claim_key(pool: asyncpg.Pool, subject: str, key: str, payload: dict[str, Any], made_id: str) -> Claim:
    """Claim (`subject`, `key`) for a request `payload` that makes `made_id`; the claim says what the first
    request with the key made and whether this one is it. IdempotencyKeyReused (409) if the key was used
    with another payload."""
    digest = request_hash(payload)
    claimed = await claim(pool, subject, key, digest, made_id)
    if claimed.request_hash != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
    return claimed
