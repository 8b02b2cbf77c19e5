"""What a backup of the event log says about itself (issue 16 §5; docs/backup.md).

A backup seals the log into an anchor first (eventstore/audit.py), then reads its figures and dumps the
database in one snapshot: `log_summary` runs in a REPEATABLE READ transaction whose snapshot `pg_dump
--snapshot` reuses, so the manifest's counts and head describe exactly the rows in the dump. After a restore
`log_summary` on the restored database must give the same figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

from eventstore.audit import make_anchor
from eventstore.store import log_figures, stream_versions, transaction_ids


@dataclass(frozen=True)
class LogSummary:
    """The log and its read models in one snapshot: `events` (all streams), `streams`, `petitions` (read-model
    rows), `open_petitions` (not closed), `head_position` (the highest log position, 0: empty log),
    `anchor_id` / `anchor_digest` (the latest anchor: hex SHA-256; 0 / '' when none) and
    `schema_migrations` (the migration files applied) and `top_transaction_id` (the highest transaction id
    among the events, 64-bit: a restore must go to a server whose next id is above it)."""

    events: int
    streams: int
    petitions: int
    open_petitions: int
    head_position: int
    anchor_id: int
    anchor_digest: str
    schema_migrations: list[str]
    top_transaction_id: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values (the manifest's `log`)."""
        return asdict(self)


async def seal(conn: asyncpg.Connection) -> None:
    """Anchor every event committed so far (no-op when nothing is new), so a backup's manifest carries a
    digest over the whole log it holds."""
    await make_anchor(conn)


async def log_summary(conn: asyncpg.Connection) -> LogSummary:
    """The figures of the log as this connection's transaction sees it (call inside the backup's snapshot
    transaction, or on a quiet database)."""
    events, streams, head = await log_figures(conn)
    row = await conn.fetchrow("SELECT count(*) AS petitions, count(*) FILTER (WHERE closed_at IS NULL) AS open "
                              "FROM petitions")
    anchor = await conn.fetchrow("SELECT anchor_id, encode(digest, 'hex') AS digest FROM log_anchors "
                                 "ORDER BY anchor_id DESC LIMIT 1")
    migrations = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")]
    return LogSummary(events=events, streams=streams, petitions=row["petitions"],
                      open_petitions=row["open"], head_position=head,
                      anchor_id=anchor["anchor_id"] if anchor else 0, anchor_digest=anchor["digest"] if anchor else "",
                      schema_migrations=migrations, top_transaction_id=(await transaction_ids(conn))[0])


async def begin_snapshot(conn: asyncpg.Connection) -> str:
    """Open a REPEATABLE READ, read-only transaction on `conn` and export its snapshot: the id `pg_dump
    --snapshot` takes so the dump sees exactly what `log_summary` on `conn` sees. The caller keeps `conn`'s
    transaction open until pg_dump has started reading, then ends it with `end_snapshot`."""
    await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    return await conn.fetchval("SELECT pg_export_snapshot()")


async def end_snapshot(conn: asyncpg.Connection) -> None:
    """End the transaction `begin_snapshot` opened."""
    await conn.execute("COMMIT")


async def open_petition_versions(conn: asyncpg.Connection) -> dict[str, int]:
    """Each petition not closed and the version of its stream in the log: after a restore, what each running
    workflow must know (a workflow behind it lost commands taken after Temporal's copy; docs/backup.md)."""
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM petitions WHERE closed_at IS NULL ORDER BY id")]
    versions = await stream_versions(conn, ids)
    return {i: versions.get(i, 0) for i in ids}


async def is_empty(conn: asyncpg.Connection) -> bool:
    """Whether the database holds none of jiehu's tables yet (not migrated): a restore goes only into an
    empty database, since pg_restore creates every table itself."""
    return not await conn.fetchval("SELECT to_regclass('public.schema_migrations') IS NOT NULL "
                                   "OR to_regclass('public.events') IS NOT NULL")


async def next_transaction_id(conn: asyncpg.Connection) -> int:
    """The server's next transaction id (64-bit), on any database (no jiehu table needed)."""
    return int(await conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
