"""`Idempotency-Key` on intake and on every command: the same key and body answer as the first
request did (also after a restart of the API or the workers); the same key with another body is a 409.

A command's key also names its Temporal update (`update_id`): the server keeps each update's outcome
in the petition's history, so a retry returns the first result instead of acting twice.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Header

from services.idempotency import claim_key

__all__ = ["IdempotencyKey", "claim_key", "update_id"]

IdempotencyKey = Annotated[str | None, Header(
    min_length=1, max_length=128, description="Retries with the same key and body get the first answer; "
                                              "another body with the same key: 409 idempotency_key_reused")]


def update_id(subject: str, key: str) -> str:
    """The Temporal update id of a keyed command: the same for every retry of it."""
    return "idem-" + hashlib.sha256(f"{subject}\n{key}".encode()).hexdigest()[:40]
