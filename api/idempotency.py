"""`Idempotency-Key` on intake and on every command: the same key and body answer as the first request did
(the same petition version and status code, also after the petition moved on or closed, and after a
restart of the API or the workers); the same key with another body is a 409.

A command's key also names its Temporal update (`update_id`): a retry that arrives while the first is
still running gets that update's one outcome, so the command never runs twice. Once the command
succeeded its answer is kept with the key (`services/idempotency.py`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from services.idempotency import claim_key, first_answer, keep_answer, update_id

__all__ = ["IdempotencyKey", "claim_key", "first_answer", "keep_answer", "update_id"]

IdempotencyKey = Annotated[str | None, Header(
    min_length=1, max_length=128, description="Retries with the same key and body get the first answer; "
                                              "another body with the same key: 409 idempotency_key_reused")]
