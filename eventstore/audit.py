"""The tamper-evident log (issue 16 §4; docs/audit.md): anchors over the global order, and the audit that
recomputes every stream's hash chain and every anchor.

Each event's `hash` is SHA-256 over its content chained to the previous event of its stream, computed by the
database as the row goes in (migration 030). An anchor chains the hashes of every event committed since the
previous anchor, in commit order, into one digest (`log_anchors`); copied out of the database, it lets a
later audit show that no event before it was removed, added or moved.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field

import asyncpg
import structlog

from eventstore.store import LogCursor, chain_breaks, committed_head, hashes_between
from observability import metrics

_LOCK = 7_311_952  # one anchor maker at a time
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Anchor:
    """An anchor: it covers `events` events committed after the previous anchor, up to `cursor`; `digest`
    is the hex SHA-256 of the previous digest followed by their hashes in commit order."""

    anchor_id: int
    cursor: LogCursor
    events: int
    digest: str


@dataclass(frozen=True)
class Finding:
    """One thing the audit found wrong: `kind` is `edited` (the event's hash does not match its content and
    its predecessor: changed, or moved within its stream), `missing` (versions missing before it in its
    stream) or `anchor` (an anchor's events are not the ones it sealed: removed, added or reordered)."""

    kind: str
    where: str
    detail: str


@dataclass
class AuditReport:
    """What `verify` checked and found: streams' breaks and anchors' mismatches (empty: the log is intact
    as far as the chains and anchors can tell)."""

    anchors_checked: int = 0
    events_anchored: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether nothing was found."""
        return not self.findings


async def make_anchor(conn: asyncpg.Connection) -> Anchor | None:
    """Seal every event committed since the last anchor into a new one; None when nothing new was committed.
    Copy its digest out of the database (docs/audit.md)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        last = await _anchors(conn, latest_only=True)
        after = last[-1].cursor if last else LogCursor()
        head = await committed_head(conn)
        if head is None or (int(head.tx_id), head.position) <= (int(after.tx_id), after.position):
            return None
        count, digest = await _digest(conn, bytes.fromhex(last[-1].digest) if last else b"", after, head)
        row = await conn.fetchrow(
            "INSERT INTO log_anchors (tx_id, position, events, digest) VALUES ($1::text::xid8, $2, $3, $4) "
            "RETURNING anchor_id", head.tx_id, head.position, count, digest)
        return Anchor(row["anchor_id"], head, count, digest.hex())


async def run_anchors(pool: asyncpg.Pool, stop: asyncio.Event, interval: float) -> None:
    """Make an anchor every `interval` seconds until `stop` is set (runs in the worker process). Each one's
    digest goes to the log lines too — shipped logs are a copy outside the database — and the time of the
    last one to `jiehu_log_anchor_timestamp_seconds`. A database that is away is retried next time."""
    while not stop.is_set():
        try:
            async with pool.acquire() as conn:
                anchor = await make_anchor(conn)
            if anchor is not None:
                log.info("log anchored", anchor=anchor.anchor_id, events=anchor.events,
                         position=anchor.cursor.position, sha256=anchor.digest)
            metrics.LOG_ANCHORED.set_to_current_time()
        except (asyncpg.PostgresError, OSError) as error:
            log.warning("log not anchored", error=str(error))
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def verify(conn: asyncpg.Connection, limit: int = 1000) -> AuditReport:
    """Recompute every stream's hash chain and every anchor's digest; up to `limit` findings of chains."""
    report = AuditReport()
    for row in await chain_breaks(conn, limit):
        where = f"{row['stream_id']} v{row['version']} (position {row['position']})"
        if row["version"] != (row["previous"] or 0) + 1:
            first_missing = (row["previous"] or 0) + 1
            report.findings.append(Finding("missing", where, f"versions {first_missing}–{row['version'] - 1} of "
                                                             f"{row['stream_id']} are not in the log"))
        if not row["intact"]:
            report.findings.append(Finding("edited", where, "its hash does not match its content and the event "
                                                            "before it: changed, or moved, after it was recorded"))
    async with conn.transaction():
        previous, after = b"", LogCursor()
        for anchor in await _anchors(conn):
            count, digest = await _digest(conn, previous, after, anchor.cursor)
            report.anchors_checked += 1
            report.events_anchored += anchor.events
            if digest.hex() != anchor.digest or count != anchor.events:
                report.findings.append(Finding(
                    "anchor", f"anchor {anchor.anchor_id} (up to position {anchor.cursor.position})",
                    f"it sealed {anchor.events} events, the log now holds {count} in its range, and their "
                    f"hashes {'match' if digest.hex() == anchor.digest else 'do not match'} its digest"))
            previous, after = bytes.fromhex(anchor.digest), anchor.cursor
    return report


async def _digest(conn: asyncpg.Connection, previous: bytes, after: LogCursor, upto: LogCursor
                  ) -> tuple[int, bytes]:
    """(events, SHA-256 of `previous` and their hashes) of the events after `after` up to `upto`."""
    digest, count = hashlib.sha256(previous), 0
    async for event_hash in hashes_between(conn, after, upto):
        digest.update(event_hash)
        count += 1
    return count, digest.digest()


async def _anchors(conn: asyncpg.Connection, latest_only: bool = False) -> list[Anchor]:
    rows = await conn.fetch(
        "SELECT anchor_id, tx_id::text AS tx_id, position, events, digest FROM log_anchors ORDER BY anchor_id"
        + (" DESC LIMIT 1" if latest_only else ""))
    return [Anchor(r["anchor_id"], LogCursor(r["tx_id"], r["position"]), r["events"], bytes(r["digest"]).hex())
            for r in rows]
