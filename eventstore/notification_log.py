"""The notifications table, the residents' opt-outs and the notifier's checkpoint: the only SQL on them.

The notifier records a batch of notifications and its new checkpoint in one transaction, under an
advisory lock (as the evaluation projection does), so two notifiers never record a batch twice and a crash
between the two loses nothing. Deliveries then update their row: attempts, the last error, the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from domain.notifications import Notification
from eventstore.store import LogCursor, events_after, log_head

NAME = "notifier"
LOCK = 7_311_952
_COLUMNS = ("delivery_id, petition_id, event_id, event_type, event_position, kind, audience, unit_code, role, "
            "channel, address, body, status, attempts, last_error, created_at, handed_off_at, last_attempt_at, "
            "sent_at, failed_at")


async def lock(conn: asyncpg.Connection, name: str = NAME) -> None:
    """Hold the notifier's lock until the transaction ends (one notifier of `name` records at a time)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK, name)


async def checkpoint(conn: asyncpg.Connection, name: str = NAME) -> LogCursor | None:
    """Where the notifier `name` stands in the log; None before its first run."""
    row = await conn.fetchrow("SELECT tx_id::text AS tx_id, position FROM projection_checkpoints WHERE name = $1",
                              name)
    return LogCursor(row["tx_id"], row["position"]) if row is not None else None


async def save_checkpoint(conn: asyncpg.Connection, cursor: LogCursor, name: str = NAME) -> None:
    """Record that the notifier `name` has read the log up to `cursor` (call in the transaction that recorded the
    batch)."""
    await conn.execute(
        "INSERT INTO projection_checkpoints (name, position, tx_id) VALUES ($1, $2, $3::text::xid8) "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, tx_id = EXCLUDED.tx_id, updated_at = now()",
        name, cursor.position, cursor.tx_id)


async def start_at_head(conn: asyncpg.Connection, name: str = NAME) -> LogCursor:
    """The notifier's checkpoint, set to the end of the log on its first run: a new notifier tells people
    what happens from now on, never about a history it was not there for."""
    async with conn.transaction():
        await lock(conn, name)
        found = await checkpoint(conn, name)
        if found is None:
            found = await log_head(conn)
            await save_checkpoint(conn, found, name)
    return found


async def record(conn: asyncpg.Connection, notes: Sequence[tuple[Notification, int]]) -> int:
    """Insert each (notification, log position of its event) not recorded yet; returns how many were new."""
    if not notes:
        return 0
    rows = [(n.delivery_id, n.petition_id, n.event_id, n.event_type, position, n.kind, n.audience.value, n.unit_code,
             n.role.value if n.role else "", n.channel.value, n.address, n.text) for n, position in notes]
    inserted = await conn.fetch(
        "INSERT INTO notifications (delivery_id, petition_id, event_id, event_type, event_position, kind, audience, "
        "unit_code, role, channel, address, body) "
        "SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::text[], "
        "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) ON CONFLICT (delivery_id) DO NOTHING "
        "RETURNING delivery_id", *(list(column) for column in zip(*rows, strict=True)))
    return len(inserted)


async def not_handed_off(pool: asyncpg.Pool | asyncpg.Connection, limit: int = 500) -> list[dict[str, Any]]:
    """Recorded notifications not yet handed to Temporal, oldest first."""
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM notifications WHERE handed_off_at IS NULL "
                            "ORDER BY created_at, delivery_id LIMIT $1", limit)
    return [_row(r) for r in rows]


async def mark_handed_off(pool: asyncpg.Pool, delivery_ids: Sequence[str]) -> None:
    """Mark the notifications `delivery_ids` as handed to Temporal (now), unless they already were."""
    await pool.execute("UPDATE notifications SET handed_off_at = now() WHERE delivery_id = ANY($1::uuid[]) "
                       "AND handed_off_at IS NULL", list(delivery_ids))


async def of_delivery(pool: asyncpg.Pool, delivery_id: str) -> list[dict[str, Any]]:
    """The notification `delivery_id` as a dict of the table's columns (an empty list: never recorded)."""
    return [_row(r) for r in await pool.fetch(f"SELECT {_COLUMNS} FROM notifications WHERE delivery_id = $1",
                                              delivery_id)]


async def channel_of(pool: asyncpg.Pool, delivery_id: str) -> str | None:
    """The channel (log, webhook, sms) of the notification `delivery_id`, or None if there is none."""
    return await pool.fetchval("SELECT channel FROM notifications WHERE delivery_id = $1", delivery_id)


async def attempt_failed(pool: asyncpg.Pool, delivery_id: str, attempt: int, error: str) -> None:
    """Attempt `attempt` failed with `error` (cut to 500 characters); the delivery is still pending."""
    await pool.execute("UPDATE notifications SET attempts = greatest(attempts, $2), last_error = $3, "
                       "last_attempt_at = now() WHERE delivery_id = $1", delivery_id, attempt, error[:500])


async def mark_sent(pool: asyncpg.Pool, delivery_id: str, attempt: int) -> None:
    """Mark the notification `delivery_id` sent by attempt number `attempt` (a repeat keeps the first sent time)."""
    await pool.execute("UPDATE notifications SET status = 'sent', attempts = greatest(attempts, $2), "
                       "sent_at = coalesce(sent_at, now()), last_attempt_at = now() WHERE delivery_id = $1",
                       delivery_id, attempt)


async def mark_failed(pool: asyncpg.Pool, delivery_id: str, error: str) -> None:
    """The delivery gave up (its channel refused it, or stayed down past its bounded time); a sent
    delivery stays sent."""
    await pool.execute("UPDATE notifications SET status = 'failed', failed_at = now(), last_error = left($2 || "
                       "CASE WHEN last_error <> '' THEN '; last attempt: ' || last_error ELSE '' END, 1000) "
                       "WHERE delivery_id = $1 AND status = 'pending'", delivery_id, error[:500])


async def of_petition(pool: asyncpg.Pool, petition_id: str) -> list[dict[str, Any]]:
    """The petition's notifications in the order of their events, as dicts of the table's columns."""
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM notifications WHERE petition_id = $1 "
                            "ORDER BY event_position, created_at, delivery_id", petition_id)
    return [_row(r) for r in rows]


async def backlog(pool: asyncpg.Pool) -> dict[str, tuple[int, float]]:
    """Pending deliveries by channel: (how many, seconds the oldest has waited)."""
    rows = await pool.fetch("SELECT channel, count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age "
                            "FROM notifications WHERE status = 'pending' GROUP BY channel")
    return {r["channel"]: (r["n"], float(r["age"] or 0.0)) for r in rows}


async def lag(conn: asyncpg.Connection, name: str = NAME) -> tuple[int, float]:
    """How far the notifier is behind the log: (events, seconds); (0, 0.0) before its first run."""
    found = await checkpoint(conn, name)
    return (0, 0.0) if found is None else await events_after(conn, found)


async def opted_out(conn: asyncpg.Connection | asyncpg.Pool, petition_ids: Sequence[str]) -> set[str]:
    """Which of `petition_ids` have a resident who opted out of messages."""
    rows = await conn.fetch("SELECT petition_id FROM resident_opt_outs WHERE petition_id = ANY($1::text[]) "
                            "AND opted_out", list(petition_ids))
    return {r["petition_id"] for r in rows}


async def set_opt_out(pool: asyncpg.Pool, petition_id: str, opted_out: bool, reason: str, recorded_by: str
                      ) -> datetime:
    """Record the resident's choice for `petition_id` (the last one counts); returns when it was recorded."""
    return await pool.fetchval(
        "INSERT INTO resident_opt_outs (petition_id, opted_out, reason, recorded_by) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (petition_id) DO UPDATE SET opted_out = EXCLUDED.opted_out, reason = EXCLUDED.reason, "
        "recorded_by = EXCLUDED.recorded_by, recorded_at = now() RETURNING recorded_at",
        petition_id, opted_out, reason, recorded_by)


def _row(r: asyncpg.Record) -> dict[str, Any]:
    row = dict(r)
    row["delivery_id"], row["event_id"] = str(row["delivery_id"]), str(row["event_id"])
    return row
