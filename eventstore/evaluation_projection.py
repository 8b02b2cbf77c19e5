"""The `evaluation` projection: facts, frozen editions and property rounds, from the log.

Checkpointed: each batch of events and the new checkpoint are written in one transaction, under
an advisory lock (not a row lock, which would take a transaction id before the events are read and
hold back the gap-free read). `rebuild` empties the tables and replays the whole log atomically.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
import structlog

from domain.enums import Waiver
from domain.evaluation import (
    EVALUATION_EVENTS,
    FACT_FIELDS,
    AppealDecided,
    AppealFiled,
    EvaluationCorrected,
    PropertyRoundClosed,
    PropertyRoundOpened,
    PropertyScoreRecorded,
    ScorecardsPublished,
    apply_waivers,
    returned_every_time,
)
from domain.events import FollowUpReported, UnitEvaluated
from domain.model import UnitRecord
from eventstore.store import LogCursor, events_after, reached, read_typed

NAME = "evaluation"
_LOCK = 7_311_951
TABLES = ("evaluation_facts", "published_scorecards", "scorecard_editions", "property_scores", "property_rounds",
          "evaluation_appeals")
TYPES = ["UnitEvaluated", "FollowUpReported", *EVALUATION_EVENTS]
_FACT_COLUMNS = ("petition_id", "unit_code", "unit_name", "level", "category", "channel", "close_outcome",
                 "closed_at", *FACT_FIELDS, "original", "waived", "source_position", "returned_away")
_UPSERT_FACT = f"""
INSERT INTO evaluation_facts ({", ".join(_FACT_COLUMNS)}, month)
VALUES ({", ".join(f"${i}" for i in range(1, len(_FACT_COLUMNS) + 1))},
        date_trunc('month', $8::timestamptz AT TIME ZONE 'Asia/Shanghai')::date)
ON CONFLICT (petition_id, unit_code) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _FACT_COLUMNS[2:])}, month = EXCLUDED.month
"""
log = structlog.get_logger()


@dataclass(frozen=True)
class CatchUp:
    """What one catch-up did: events read, the log position reached, and how long it took (seconds)."""

    events: int
    position: int
    seconds: float


async def catch_up(conn: asyncpg.Connection, batch: int = 2000, in_transaction: bool = False) -> CatchUp:
    """Apply every committed event past the checkpoint; returns how many were read."""
    started, total = time.perf_counter(), 0
    while True:
        if in_transaction:
            count, position = await _one_batch(conn, batch)
        else:
            async with conn.transaction():
                count, position = await _one_batch(conn, batch)
        total += count
        if count < batch:
            return CatchUp(total, position, time.perf_counter() - started)


class ProjectionBehind(Exception):
    """The projection did not reach an event in time: the event is recorded and will be applied, but the
    figures read now would not show it yet (the API answers 503, try again)."""

    code = "projection_behind"


async def catch_up_through(conn: asyncpg.Connection, position: int, wait: float = 30.0) -> None:
    """Catch up until the event at global `position` is applied: a desk reads its own write. The gap-free
    read holds an event back while a transaction that began before it is still open (another writer's
    batch), so this polls every 20 ms for up to `wait` seconds. Raises ProjectionBehind after that."""
    deadline = time.monotonic() + wait
    while True:
        await catch_up(conn)
        if await reached(conn, await _checkpoint(conn), position):
            return
        if time.monotonic() >= deadline:
            raise ProjectionBehind(f"the evaluation figures have not caught up with event {position} "
                                   f"after {wait:.0f} s; it is recorded and will show shortly")
        await asyncio.sleep(0.02)


async def rebuild(conn: asyncpg.Connection) -> CatchUp:
    """Empty the evaluation tables and replay the whole log into them, in one transaction."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        await conn.execute(f"TRUNCATE {', '.join(TABLES)}")
        await conn.execute("DELETE FROM projection_checkpoints WHERE name = $1", NAME)
        return await catch_up(conn, batch=5000, in_transaction=True)


async def lag(conn: asyncpg.Connection) -> dict[str, float]:
    """How far the projection is behind the log: events and seconds."""
    events, seconds = await events_after(conn, await _checkpoint(conn))
    return {"events": events, "seconds": seconds}


async def run_projector(pool: asyncpg.Pool, stop: asyncio.Event, interval: float = 1.0) -> None:
    """Keep the projection caught up until `stop` is set (runs in the worker process)."""
    while not stop.is_set():
        try:
            async with pool.acquire() as conn:
                await catch_up(conn)
        except (asyncpg.PostgresError, OSError) as error:  # the database is away: try again shortly
            log.warning("evaluation projection paused", error=str(error))
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def _one_batch(conn: asyncpg.Connection, batch: int) -> tuple[int, int]:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
    checkpoint = await _checkpoint(conn)
    position = checkpoint.position
    rows = await read_typed(conn, checkpoint, batch, TYPES)
    for row in rows:
        if row["data"] is not None:
            await _apply(conn, row)
    if rows:
        tx_id, position = rows[-1]["tx_id"], rows[-1]["position"]
        await conn.execute(
            "INSERT INTO projection_checkpoints (name, position, tx_id) VALUES ($1, $2, $3::text::xid8) "
            "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, tx_id = EXCLUDED.tx_id, "
            "updated_at = now()", NAME, position, tx_id)
    return len(rows), position


async def _checkpoint(conn: asyncpg.Connection) -> LogCursor:
    """Where the projection stands in the log (the start if it has not read anything yet)."""
    row = await conn.fetchrow("SELECT tx_id::text AS tx_id, position FROM projection_checkpoints WHERE name = $1",
                              NAME)
    return LogCursor(row["tx_id"], row["position"]) if row is not None else LogCursor()


async def _apply(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    kind, data = row["type"], row["data"]
    if kind == "UnitEvaluated":
        await _evaluated(conn, row["stream_id"], UnitEvaluated.model_validate(data), row["position"])
        return
    if kind == "FollowUpReported":  # 结案后再诉: a reopen of the followed petition, for the unit charged
        follow_up = FollowUpReported.model_validate(data)
        await conn.execute("UPDATE evaluation_facts SET follow_ups = follow_ups + 1 "
                           "WHERE petition_id = $1 AND unit_code = $2", follow_up.follows, follow_up.unit_code)
        return
    event = EVALUATION_EVENTS[kind].model_validate(data)
    if isinstance(event, EvaluationCorrected):
        await _corrected(conn, event)
    elif isinstance(event, ScorecardsPublished):
        await conn.execute(
            "INSERT INTO scorecard_editions (period, edition, published_at, appeal_due, reason, published_by, "
            "source_position) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            event.period, event.edition, event.at, event.appeal_due, event.reason, event.actor.name, row["position"])
        await conn.executemany(
            "INSERT INTO published_scorecards (period, edition, unit_code, level, card) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT DO NOTHING",
            [(event.period, event.edition, c.unit_code, c.level, c.model_dump(mode="json")) for c in event.cards])
    elif isinstance(event, PropertyRoundOpened):
        await conn.execute("INSERT INTO property_rounds (quarter, opened_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           event.quarter, event.at)
    elif isinstance(event, PropertyScoreRecorded):
        await conn.execute(
            "INSERT INTO property_scores (quarter, company_code, compound, representative, score, recorded_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (quarter, company_code, compound, representative) "
            "DO UPDATE SET score = EXCLUDED.score, recorded_at = EXCLUDED.recorded_at",
            event.quarter, event.company_code, event.compound, event.representative, event.score, event.at)
    elif isinstance(event, PropertyRoundClosed):
        await conn.execute("UPDATE property_rounds SET closed_at = $2 WHERE quarter = $1", event.quarter, event.at)
    elif isinstance(event, AppealFiled):
        await conn.execute(
            "INSERT INTO evaluation_appeals (appeal_id, period, petition_id, unit_code, waive, reason, filed_at, "
            "filed_by, status, source_position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'filed', $9) "
            "ON CONFLICT DO NOTHING",
            event.appeal_id, event.period, event.petition_id, event.unit_code, [w.value for w in event.waive],
            event.reason, event.at, event.actor.name, row["position"])
    elif isinstance(event, AppealDecided):
        await conn.execute(
            "UPDATE evaluation_appeals SET status = $2, decided_at = $3, decided_by = $4, decision_reason = $5 "
            "WHERE appeal_id = $1", event.appeal_id, "upheld" if event.upheld else "rejected", event.at,
            event.actor.name, event.reason)


async def _evaluated(conn: asyncpg.Connection, petition_id: str, e: UnitEvaluated, position: int) -> None:
    record = e.record.model_dump(mode="json")
    fact = {name: record[name] for name in FACT_FIELDS}
    await conn.execute(_UPSERT_FACT, *_fact_args(petition_id, e, fact, record, [], position))


async def _corrected(conn: asyncpg.Connection, event: EvaluationCorrected) -> None:
    row = await conn.fetchrow("SELECT original, waived FROM evaluation_facts WHERE petition_id = $1 AND unit_code = $2",
                              event.petition_id, event.unit_code)
    if row is None:  # the API refuses appeals without a fact; a hand-written event is ignored, not fatal
        log.warning("correction without an evaluation", petition_id=event.petition_id, unit=event.unit_code)
        return
    waived = sorted({*row["waived"], *(w.value for w in event.waive)})
    # an original evaluated before a figure existed has that figure's default
    original = UnitRecord.model_validate(row["original"]).model_dump(mode="json")
    fact = apply_waivers({name: original[name] for name in FACT_FIELDS}, [Waiver(w) for w in waived])
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(FACT_FIELDS, start=3))
    await conn.execute(
        f"UPDATE evaluation_facts SET {sets}, waived = ${len(FACT_FIELDS) + 3} "
        "WHERE petition_id = $1 AND unit_code = $2",
        event.petition_id, event.unit_code, *(_db(name, fact[name]) for name in FACT_FIELDS), waived)


def _fact_args(petition_id: str, e: UnitEvaluated, fact: dict[str, Any], original: dict[str, Any],
               waived: list[str], position: int) -> list[Any]:
    r = e.record
    level = r.level.value if r.level else ""  # '' for a unit that is no rung (a district's dispatch desk)
    return [petition_id, r.unit_code, r.unit_name, level, e.category, e.channel.value, e.close_outcome.value, e.at,
            *(_db(name, fact[name]) for name in FACT_FIELDS), original, waived, position,
            returned_every_time(original)]  # from the record as recorded: a waiver does not change it


async def backfill_returned_away(conn: asyncpg.Connection) -> int:
    """Migration 016: mark the facts recorded before it whose unit returned the petition every time it
    received it (`domain.evaluation.returned_every_time` of the original record), as a rebuild would.
    Returns how many were marked."""
    rows = await conn.fetch("SELECT petition_id, unit_code, original FROM evaluation_facts WHERE received > 0")
    marked = [(r["petition_id"], r["unit_code"]) for r in rows  # a plain connection reads jsonb as text
              if returned_every_time(UnitRecord.model_validate(
                  orjson.loads(r["original"]) if isinstance(r["original"], str) else r["original"]).model_dump())]
    await conn.executemany("UPDATE evaluation_facts SET returned_away = true WHERE petition_id = $1 AND unit_code = $2",
                           marked)
    return len(marked)


def _db(name: str, value: Any) -> Any:
    if name == "first_assigned_at" and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value
