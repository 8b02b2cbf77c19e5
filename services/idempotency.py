"""Idempotency keys for every use case that makes something (a petition, a command's outcome, an appeal):
the same key with the same request answers as the first did; the same key with another request is refused.

A petition command's first answer (intake, every command, a reopen) is kept with its key once the command
succeeded — the stream version it showed and its HTTP status — and a retry is answered from it, folded
from the log: after the petition moved on or closed, and after a restart of the API or the workers, the
retry still gets the first answer (issue 11 §5). A retry that arrives while the first request is still
running sends the same Temporal update id, which the server answers with that update's one outcome.

It may not store anything itself: the table is `eventstore/idempotency.py`'s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from domain.duplicates import Candidate
from domain.model import PetitionState
from eventstore.idempotency import Claim, claim, record_answer
from eventstore.petition_projection import fold_stored
from eventstore.store import EventStore
from services.errors import IdempotencyKeyReused


def request_hash(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of `payload` as JSON with sorted keys: equal requests hash alike."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def update_id(subject: str, key: str) -> str:
    """The Temporal update id of a keyed command (or report): the same for every retry of it, and kept
    with the events it appends (`metadata.update_id`)."""
    return "idem-" + hashlib.sha256(f"{subject}\n{key}".encode()).hexdigest()[:40]


async def claim_key(pool: asyncpg.Pool, subject: str, key: str, payload: dict[str, Any], made_id: str) -> Claim:
    """Claim (`subject`, `key`) for a request `payload` that makes `made_id`; the claim says what the first
    request with the key made, whether this one is it, and the first answer if there is one yet.
    IdempotencyKeyReused (409) if the key was used with another payload."""
    digest = request_hash(payload)
    claimed = await claim(pool, subject, key, digest, made_id)
    if claimed.request_hash != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different body")
    return claimed


@dataclass(frozen=True)
class FirstAnswer:
    """The first answer of a keyed request: the petition as it showed it, and its HTTP status."""

    state: PetitionState  # the petition as the first request's answer showed it
    status: int | None  # the HTTP status it answered with; None when only the log knows the answer
    candidates: tuple[Candidate, ...] = ()  # a report's duplicate candidates as it answered them (issue 14 §5)


async def first_answer(pool: asyncpg.Pool, subject: str, key: str, claimed: Claim,
                       petition_id: str) -> FirstAnswer | None:
    """The answer the first request with (`subject`, `key`) gave on petition `petition_id`: the version it
    recorded, else (the first request stopped after its command took effect, before recording it) the
    version of the first append its update made. None: the first request has not succeeded (yet)."""
    store, (version, status) = EventStore(pool), (claimed.answer_version, claimed.answer_status)
    if version is None:
        version, status = await store.version_of_update(petition_id, update_id(subject, key)), None
    if version is None:
        return None
    events = await store.read_stream(petition_id)
    candidates = tuple(Candidate.model_validate(c) for c in orjson.loads(claimed.answer_candidates or "[]"))
    return FirstAnswer(fold_stored(petition_id, (e for e in events if e.version <= version)), status, candidates)


async def keep_answer(pool: asyncpg.Pool, subject: str, key: str, state: PetitionState, status: int,
                      candidates: tuple[Candidate, ...] = ()) -> None:
    """Record the first successful answer of (`subject`, `key`): `state`'s version, the HTTP `status` and a
    report's duplicate `candidates` (ids and why they matched, issue 14 §5; no resident's data)."""
    kept = orjson.dumps([c.model_dump(mode="json") for c in candidates]).decode() if candidates else None
    await record_answer(pool, subject, key, state.version, status, kept)
