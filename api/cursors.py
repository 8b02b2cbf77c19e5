"""Keyset cursors of the API's listings: opaque to clients, `[kind, key, last id]` as base64url JSON.

Pure: no I/O. It may not know what a listing sorts by; each route names its `kind` (`newest`,
`deadline`, `queue`, `access`) and its key (a time) and checks the kind it gets back.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson

NEVER = datetime.max.replace(tzinfo=UTC)  # the key of a row whose deadline is 'infinity' (no running clock)
NOT_OURS = "the cursor is not one this API handed out"


class InvalidCursor(ValueError):
    """A cursor this API did not hand out, or one of another listing (the message says which)."""


def encode(kind: str, key: datetime, last_id: str | int) -> str:
    """The cursor after a row whose sort key is `key` and whose id is `last_id` (no `=` padding)."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, key.isoformat(), last_id])).decode().rstrip("=")


def decode(cursor: str) -> tuple[str, datetime, str | int]:
    """(kind, key, last id) of a cursor `encode` made; InvalidCursor otherwise."""
    try:
        kind, key, last_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return kind, datetime.fromisoformat(key), last_id
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(NOT_OURS) from exc


def decode_sorted(cursor: str, sort: str) -> tuple[datetime, str]:
    """(key, last id) of a petition listing's cursor made for `sort`; InvalidCursor naming the sort it
    belongs to otherwise."""
    kind, key, last_id = decode(cursor)
    if kind != sort:
        raise InvalidCursor(f"this cursor belongs to sort={kind}")
    return key, str(last_id)
