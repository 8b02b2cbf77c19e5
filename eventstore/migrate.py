"""Apply the SQL migrations shipped in this package, once each, in file-name order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import asyncpg

from eventstore.evaluation_projection import backfill_returned_away
from eventstore.petition_projection import backfill_search_text

_LOCK_KEY = 7_311_950  # advisory lock so two processes starting together do not both migrate
_BACKFILLS: dict[str, Callable[[asyncpg.Connection], Awaitable[Any]]] = {
    "010_search_text.sql": backfill_search_text,
    "016_first_answers_and_returned_away.sql": backfill_returned_away,
}


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        files = sorted(
            (f for f in resources.files("eventstore.migrations").iterdir() if f.name.endswith(".sql")),
            key=lambda f: f.name,
        )
        for file in files:
            if file.name in done:
                continue
            async with conn.transaction():
                await conn.execute(file.read_text(encoding="utf-8"))
                if file.name in _BACKFILLS:  # data a SQL statement cannot compute (in the same transaction)
                    await _BACKFILLS[file.name](conn)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", file.name)
            applied.append(file.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied
