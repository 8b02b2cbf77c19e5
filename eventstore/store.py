"""Append to and read from the event log: the only module whose SQL names the `events` table.

One round trip per append: the version check, the insert of every event and the upsert of the
petition's read-model row are a single statement, so a retried activity either finds its events
already there (idempotent) or appends them with the read model, never half of it.

Readers of the whole log (the projections, their rebuilds) never skip an event still being committed:
they read only below the snapshot's xmin (`_COMMITTED`, written once here). Projections, the what-if
and the tools read through the functions below; nothing else may query `events`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg

from domain.errors import StreamConflict
from eventstore.petition_columns import COLUMNS

_UPSERT_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "id")

_INSERT_EVENTS = """
WITH cur AS (SELECT coalesce(max(version), 0) AS v FROM events WHERE stream_id = $1),
ins AS (
    INSERT INTO events (stream_id, version, event_id, type, data, metadata, occurred_at)
    SELECT $1, $2 + t.ord, t.id, t.type, t.data, t.md, t.at
    FROM unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[])
         WITH ORDINALITY AS t(id, type, data, md, at, ord)
    WHERE (SELECT v FROM cur) = $2
    RETURNING position
)"""
_APPEND = _INSERT_EVENTS + "\nSELECT count(*) AS n, max(position) AS last FROM ins"
# A data-modifying CTE runs even when its WHERE is false, so the row upsert is its own statement
# text, used only when there is a row: appending without one is about twice as fast.
_APPEND_WITH_ROW = _INSERT_EVENTS + f""",
row AS (
    INSERT INTO petitions
    SELECT (jsonb_populate_record(NULL::petitions,
            $8::jsonb || jsonb_build_object('last_position', (SELECT max(position) FROM ins)))).*
    WHERE EXISTS (SELECT 1 FROM ins)
    ON CONFLICT (id) DO UPDATE SET {_UPSERT_SET}
)
SELECT count(*) AS n, max(position) AS last FROM ins
"""

# Committed for good: a transaction still running may hold a lower position than one already
# committed, but it can only commit with a tx_id at or above the snapshot's xmin.
_COMMITTED = "tx_id < pg_snapshot_xmin(pg_current_snapshot())"
# In commit order: (tx_id, position). ORDER BY names the column, not the text alias: as text, '1000'
# sorts before '999' and the cursor (compared as xid8) would then skip every event below it.
_READ_ALL = f"""
SELECT position, tx_id::text AS tx_id, stream_id, version, event_id, type, data, metadata, occurred_at, recorded_at
FROM events
WHERE (tx_id, position) > ($1::text::xid8, $2) AND {_COMMITTED}
ORDER BY events.tx_id, events.position
LIMIT $3
"""
# The same order for a projection that decodes only some types: the data of the others stays NULL.
_READ_TYPED = f"""
SELECT position, tx_id::text AS tx_id, stream_id, event_id::text AS event_id, type, occurred_at, recorded_at,
       CASE WHEN type = ANY($4::text[]) THEN data END AS data
FROM events
WHERE (tx_id, position) > ($1::text::xid8, $2) AND {_COMMITTED}
ORDER BY events.tx_id, events.position
LIMIT $3
"""
_REPLAY = f"""
SELECT stream_id, position, type, data, occurred_at FROM events
WHERE {_COMMITTED} AND type = ANY($1::text[])
ORDER BY stream_id, version
"""


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its id (deterministic, from the workflow, so a retried append is recognised), type, JSON
    data, when it happened (UTC) and metadata (workflow id, update id)."""

    event_id: str
    type: str
    data: dict[str, Any]
    occurred_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogCursor:
    """Where a reader of the whole log stands: after this event, in commit order."""

    tx_id: str = "0"
    position: int = 0


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log holds it: its global `position`, its stream and `version` in it, when it happened and when
    it was recorded, and the id of the transaction that wrote it (`tx_id`, for gap-free reads)."""

    position: int
    stream_id: str
    version: int
    event_id: str
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    tx_id: str = "0"

    @property
    def cursor(self) -> LogCursor:
        """Where this event stands in the log (transaction id and position): read after it to continue."""
        return LogCursor(self.tx_id, self.position)


@dataclass(frozen=True)
class AppendResult:
    """The stream's version after an append, the global position of its last event (None if nothing was written), and
    whether the events were already there (a retry)."""

    version: int
    position: int | None
    already_appended: bool


class EventStore:
    """The event log on a pool of asyncpg connections."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: list[NewEvent],
        read_model_row: dict[str, Any] | None = None,
    ) -> AppendResult:
        """Append `events` after `expected_version`; raise StreamConflict if the stream moved on."""
        if not events:
            return AppendResult(expected_version, None, False)
        args: tuple[Any, ...] = (
            stream_id,
            expected_version,
            [e.event_id for e in events],
            [e.type for e in events],
            [e.data for e in events],
            [e.metadata for e in events],
            [e.occurred_at for e in events],
        )
        statement = _APPEND if read_model_row is None else _APPEND_WITH_ROW
        if read_model_row is not None:
            args += (read_model_row,)
        async with self._pool.acquire() as conn:
            try:
                record = await conn.fetchrow(statement, *args)
            except asyncpg.UniqueViolationError:
                record = None  # a concurrent writer took the versions first
            if record is not None and record["n"] == len(events):
                return AppendResult(expected_version + len(events), record["last"], False)
            return await self._explain_miss(conn, stream_id, expected_version, events)

    async def _explain_miss(
        self, conn: asyncpg.Connection, stream_id: str, expected: int, events: list[NewEvent]
    ) -> AppendResult:
        found = await conn.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = $1 AND event_id = ANY($2::uuid[])",
            stream_id,
            [e.event_id for e in events],
        )
        if found == len(events):  # a retry of an append that already committed
            return AppendResult(expected + len(events), None, True)
        actual = await stream_version(conn, stream_id)
        raise StreamConflict(f"stream {stream_id} is at version {actual}, not the expected {expected}")

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        """The events of `stream_id` after `after_version`, in version order ([] for a stream that does not exist)."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT position, stream_id, version, event_id, type, data, metadata, occurred_at, recorded_at "
                "FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version",
                stream_id,
                after_version,
            )
        return [_stored(r) for r in rows]

    async def version_of_update(self, stream_id: str, update_id: str) -> int | None:
        """The stream version right after the first append that the Temporal update `update_id` made (the
        append activity keeps it in `metadata.update_id`; one append is one statement, so its events share
        a `tx_id`), or None if no event of the stream names it. Later appends that inherited the id (a
        delivery receipt the command started) are not part of the command's answer."""
        return await self._pool.fetchval(
            "SELECT max(version) FROM events WHERE stream_id = $1 AND tx_id = (SELECT tx_id FROM events "
            "WHERE stream_id = $1 AND metadata->>'update_id' = $2 ORDER BY version LIMIT 1)",
            stream_id, update_id,
        )

    async def read_all(self, after: LogCursor = LogCursor(), limit: int = 1000) -> list[StoredEvent]:
        """Events in commit order after `after` (the last event's `cursor`), never skipping one that a
        running transaction may still commit."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(_READ_ALL, after.tx_id, after.position, limit)
        return [_stored(r) for r in rows]


async def read_typed(conn: asyncpg.Connection, after: LogCursor, limit: int, types: Sequence[str]
                     ) -> list[asyncpg.Record]:
    """Up to `limit` committed events after `after`, in commit order, as records of `position`, `tx_id`
    (text), `stream_id`, `event_id` (text), `type`, `occurred_at`, `recorded_at` and `data` — None unless
    `type` is one of `types` (the rest are only passed over, without decoding)."""
    return await conn.fetch(_READ_TYPED, after.tx_id, after.position, limit, list(types))


async def replay_streams(conn: asyncpg.Connection, types: Sequence[str], prefetch: int = 5000
                         ) -> AsyncIterator[asyncpg.Record]:
    """Every committed event of `types`, stream by stream in version order, as records of `stream_id`,
    `position`, `type`, `data` and `occurred_at` (a server-side cursor: call it inside a transaction)."""
    async for record in conn.cursor(_REPLAY, list(types), prefetch=prefetch):
        yield record


async def reached(conn: asyncpg.Connection, cursor: LogCursor, position: int) -> bool:
    """Whether a reader standing at `cursor` has read the event at global `position` (commit order: the
    transaction id, then the position). False for a position the log does not hold."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM events WHERE position = $3 AND (tx_id, position) <= ($1::text::xid8, $2))",
        cursor.tx_id, cursor.position, position))


async def last_position(conn: asyncpg.Connection, stream_id: str) -> int | None:
    """The global position of the last event of `stream_id` (None: the stream is empty)."""
    return await conn.fetchval("SELECT max(position) FROM events WHERE stream_id = $1", stream_id)


# The audit of the hash chains (migration 030, docs/audit.md): each event against the one before it in its
# stream. `intact`: its stored hash is the one its content and its predecessor's hash give.
_CHAIN_BREAKS = """
SELECT stream_id, version, position, previous, intact FROM (
    SELECT stream_id, version, position, lag(version) OVER w AS previous,
           hash = event_hash(lag(hash) OVER w, stream_id, version, event_id, type, data, metadata, occurred_at)
               AS intact
    FROM events WINDOW w AS (PARTITION BY stream_id ORDER BY version)
) chained
WHERE NOT intact OR version <> coalesce(previous, 0) + 1
ORDER BY stream_id, version
LIMIT $1
"""


async def chain_breaks(conn: asyncpg.Connection, limit: int = 1000) -> list[dict[str, Any]]:
    """The events whose hash chain does not hold, at most `limit`, by stream and version: each with
    `stream_id`, `version`, `position`, `previous` (the version before it in its stream as the table holds
    it, None for the first) and `intact` (whether its hash matches its content and its predecessor's
    hash). A version that does not follow `previous` means events are missing before it."""
    return [dict(r) for r in await conn.fetch(_CHAIN_BREAKS, limit)]


async def committed_head(conn: asyncpg.Connection) -> LogCursor | None:
    """The cursor of the last event committed for good (in commit order), None for an empty log."""
    row = await conn.fetchrow(f"SELECT tx_id::text AS tx_id, position FROM events WHERE {_COMMITTED} "
                              "ORDER BY events.tx_id DESC, events.position DESC LIMIT 1")
    return LogCursor(row["tx_id"], row["position"]) if row is not None else None


async def hashes_between(conn: asyncpg.Connection, after: LogCursor, upto: LogCursor, prefetch: int = 5000
                         ) -> AsyncIterator[bytes]:
    """The hash of every event after `after` up to and including `upto`, in commit order (tx_id, then
    position; a server-side cursor: call it inside a transaction)."""
    async for record in conn.cursor(
            "SELECT hash FROM events WHERE (tx_id, position) > ($1::text::xid8, $2) "
            "AND (tx_id, position) <= ($3::text::xid8, $4) ORDER BY events.tx_id, events.position",
            after.tx_id, after.position, upto.tx_id, upto.position, prefetch=prefetch):
        yield bytes(record["hash"])


async def events_after(conn: asyncpg.Connection, after: LogCursor) -> tuple[int, float]:
    """How far a reader standing at `after` is behind the log: (events past it, seconds since the oldest
    of them was recorded; 0.0 for none)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS events, extract(epoch FROM now() - min(recorded_at)) AS seconds FROM events "
        "WHERE (tx_id, position) > ($1::text::xid8, $2)", after.tx_id, after.position)
    return row["events"], float(row["seconds"] or 0.0)


async def streams_reported(conn: asyncpg.Connection, first_month: date, last_month: date, grids: list[str] | None,
                           limit: int) -> list[str]:
    """Ids of the petitions reported from the first day of `first_month` to the end of `last_month`
    (Beijing time) in one of `grids` (None: any), the first `limit` in log order."""
    rows = await conn.fetch(
        "SELECT stream_id FROM events WHERE type = 'PetitionReported' "
        "AND occurred_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai' "
        "AND occurred_at < (($2::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai') "
        "AND ($4::text[] IS NULL OR data->>'grid_code' = ANY($4::text[])) "
        "ORDER BY position LIMIT $3", first_month, last_month, limit, grids)
    return [r["stream_id"] for r in rows]


async def deadline_cards_since(conn: asyncpg.Connection | asyncpg.Pool, units: list[str] | None) -> dict[str, int]:
    """Yellow cards (`DeadlineWarned`) and breaches (`DeadlineBreached`) given today and this month (Beijing time:
    from 00:00 of the day and of the 1st in Asia/Shanghai) to one of `units` (the event's `unit_code`; None: any),
    for the supervisor's dashboard (issue 15 §7): keys warned_today, warned_this_month, breached_today,
    breached_this_month. Reads the partial index of migration 034."""
    row = await conn.fetchrow(
        "WITH t AS (SELECT date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai' AS d, "
        "date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai' AS m) "
        "SELECT count(*) FILTER (WHERE type = 'DeadlineWarned' AND occurred_at >= t.d) AS warned_today, "
        "count(*) FILTER (WHERE type = 'DeadlineWarned') AS warned_this_month, "
        "count(*) FILTER (WHERE type = 'DeadlineBreached' AND occurred_at >= t.d) AS breached_today, "
        "count(*) FILTER (WHERE type = 'DeadlineBreached') AS breached_this_month "
        "FROM events, t WHERE type IN ('DeadlineWarned', 'DeadlineBreached') AND occurred_at >= t.m "
        "AND ($1::text[] IS NULL OR data->>'unit_code' = ANY($1::text[]))", units)
    return dict(row)


async def read_streams(conn: asyncpg.Connection, stream_ids: list[str], types: Sequence[str]
                       ) -> list[asyncpg.Record]:
    """The events of `types` of each stream of `stream_ids`, stream by stream in version order, as records
    of `stream_id`, `type`, `data` and `occurred_at`."""
    return await conn.fetch("SELECT stream_id, type, data, occurred_at FROM events WHERE stream_id = ANY($1::text[]) "
                            "AND type = ANY($2::text[]) ORDER BY stream_id, version", stream_ids, list(types))


async def stream_until(conn: asyncpg.Connection, stream_id: str, position: int) -> list[asyncpg.Record]:
    """The events of `stream_id` up to and including log position `position`, in version order, as records
    of `position`, `type`, `data` and `event_id` (the petition as it stood when that event happened)."""
    return await conn.fetch("SELECT position, type, data, event_id::text AS event_id FROM events WHERE stream_id = $1 "
                            "AND position <= $2 ORDER BY version", stream_id, position)


async def log_head(conn: asyncpg.Connection) -> LogCursor:
    """Where a reader that wants only what happens from now on starts: after the last event it can see in
    commit order. Not below the snapshot's xmin, on purpose: a transaction left open elsewhere would hold
    that back and the reader would then start with a history it does not want."""
    row = await conn.fetchrow("SELECT tx_id::text AS tx_id, position FROM events "
                              "ORDER BY tx_id DESC, position DESC LIMIT 1")
    return LogCursor(row["tx_id"], row["position"]) if row is not None else LogCursor()


async def count_events(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    """How many events the log holds (all streams)."""
    return await conn.fetchval("SELECT count(*) FROM events")


async def stream_version(conn: asyncpg.Connection, stream_id: str) -> int:
    """The stream's last version (0: no events yet): the expected version of its next append."""
    return await conn.fetchval("SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream_id)


def _stored(r: asyncpg.Record) -> StoredEvent:
    return StoredEvent(
        position=r["position"], stream_id=r["stream_id"], version=r["version"], event_id=str(r["event_id"]),
        type=r["type"], data=r["data"], metadata=r["metadata"], occurred_at=r["occurred_at"],
        recorded_at=r["recorded_at"], tx_id=r.get("tx_id", "0"),
    )


async def log_figures(conn: asyncpg.Connection) -> tuple[int, int, int]:
    """(events, streams, highest position; 0 when empty) of the whole log, as this transaction sees it (the
    figures of a backup's manifest, eventstore/backup.py)."""
    row = await conn.fetchrow("SELECT count(*) AS n, count(DISTINCT stream_id) AS streams, "
                              "coalesce(max(position), 0) AS head FROM events")
    return row["n"], row["streams"], row["head"]


async def stream_versions(conn: asyncpg.Connection, stream_ids: list[str]) -> dict[str, int]:
    """The last version of each of `stream_ids` that has events (absent: no events)."""
    rows = await conn.fetch("SELECT stream_id, max(version) AS version FROM events "
                            "WHERE stream_id = ANY($1::text[]) GROUP BY stream_id", stream_ids)
    return {r["stream_id"]: r["version"] for r in rows}


async def transaction_ids(conn: asyncpg.Connection) -> tuple[int, int]:
    """(the highest transaction id among the log's events, 0 when empty; this server's next transaction id),
    as 64-bit integers. Readers of the whole log go in (tx_id, position) order, so a restored log is usable
    only on a server whose next id is above every restored one (stack/backup.py, docs/backup.md)."""
    row = await conn.fetchrow("SELECT coalesce(max(tx_id)::text, '0') AS top, "
                              "pg_snapshot_xmax(pg_current_snapshot())::text AS next FROM events")
    return int(row["top"]), int(row["next"])
