"""The access log: who was shown which petition's personal data, when and why (append-only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class Reader:
    """Who reads, and why: the fields every access record of one response shares."""

    actor_id: str
    actor_name: str
    role: str
    unit_code: str
    reason: str | None
    request_id: str | None


@dataclass(frozen=True)
class AccessQuery:
    """Filters of a listing, newest first; `after` is the (at, id) of the last record already seen."""

    petition_id: str | None = None
    actor_id: str | None = None
    units: list[str] | None = None  # the reader's unit is one of these
    scope: list[str] | None = None  # the petition was handled inside these units (None: anywhere)
    at_from: datetime | None = None
    at_to: datetime | None = None
    after: tuple[datetime, int] | None = None
    limit: int = 50


async def record_access(pool: asyncpg.Pool, reader: Reader, what: str, petition_ids: Sequence[str]) -> None:
    """One record per petition, all of one response in ONE statement."""
    if not petition_ids:
        return
    await pool.execute(
        "INSERT INTO access_log (actor_id, actor_name, role, unit_code, petition_id, what, reason, request_id) "
        "SELECT $1, $2, $3, $4, p, $5, $6, $7 FROM unnest($8::text[]) AS p",
        reader.actor_id, reader.actor_name, reader.role, reader.unit_code, what, reader.reason, reader.request_id,
        list(petition_ids),
    )


async def list_access(pool: asyncpg.Pool, query: AccessQuery) -> list[dict[str, Any]]:
    """Records matching `query`, newest first, at most `limit + 1` (the extra one says a next page exists)."""
    where, args = ["TRUE"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if query.petition_id is not None:
        where.append(f"a.petition_id = {arg(query.petition_id)}")
    if query.actor_id is not None:
        where.append(f"a.actor_id = {arg(query.actor_id)}")
    if query.units is not None:
        where.append(f"a.unit_code = ANY({arg(query.units)}::text[])")
    if query.scope is not None:
        where.append(f"EXISTS (SELECT 1 FROM petitions p WHERE p.id = a.petition_id "
                     f"AND p.handled_units && {arg(query.scope)}::text[])")
    if query.at_from is not None:
        where.append(f"a.at >= {arg(query.at_from)}")
    if query.at_to is not None:
        where.append(f"a.at < {arg(query.at_to)}")
    if query.after is not None:
        at, last_id = query.after
        where.append(f"(a.at, a.id) < ({arg(at)}, {arg(last_id)})")
    rows = await pool.fetch(
        f"SELECT a.* FROM access_log a WHERE {' AND '.join(where)} ORDER BY a.at DESC, a.id DESC "
        f"LIMIT {arg(query.limit + 1)}", *args)
    return [dict(r) for r in rows]
