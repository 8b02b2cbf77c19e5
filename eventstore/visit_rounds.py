"""The visit rounds' streams (`visit-round-*`, issue 14 §4) and their read model: `visit_rounds` (one row per
round: team, dates, units, open/closed, the tally) and `visit_matters` (one row per matter: the petition it
became, on the spot or handed on). Migration 024.

Every write goes through `append_round`: the events go to the round's stream (the log is the record; the
stream version guards against two writers), then the round's rows are written again from its whole stream,
so a crash between the two is mended by the next write or by `rebuild_visit_rounds`. How those matters
closed is read from the petitions read model (`team_figures`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from domain.visit_days import (
    ROUND_EVENT_TYPES,
    ROUND_EVENTS,
    VisitMatterRecorded,
    VisitRound,
    VisitRoundClosed,
    VisitRoundOpened,
    fold_round,
)
from eventstore.store import EventStore, NewEvent, replay_streams

RoundEvent = VisitRoundOpened | VisitMatterRecorded | VisitRoundClosed


def _decoded(type_: str, data: dict[str, Any]) -> RoundEvent:
    return ROUND_EVENTS.validate_python({"type": type_, **data})


async def read_round(store: EventStore, round_id: str) -> tuple[VisitRound, list[RoundEvent]]:
    """The round `round_id` folded from its stream (an unopened round, version 0, for none) and its events."""
    events = [_decoded(e.type, e.data) for e in await store.read_stream(round_id)]
    return fold_round(round_id, events), events


async def append_round(pool: asyncpg.Pool, round_id: str, expected_version: int, events: Sequence[RoundEvent],
                       event_ids: Sequence[str] | None = None) -> VisitRound:
    """Append `events` to the round's stream after `expected_version` (StreamConflict if it moved on; events whose
    deterministic `event_ids` are there already are a retry and append nothing), then write the round's rows from
    its whole stream. Returns the round as it now stands."""
    store = EventStore(pool)
    if events:
        ids = list(event_ids) if event_ids is not None else [str(uuid.uuid4()) for _ in events]
        await store.append(round_id, expected_version, [
            NewEvent(event_id=i, type=e.type, data=e.model_dump(mode="json", exclude={"type"}), occurred_at=e.at,
                     metadata={"actor": e.actor.id}) for i, e in zip(ids, events, strict=True)])
    state, stream = await read_round(store, round_id)
    async with pool.acquire() as conn, conn.transaction():
        await _write_round(conn, state, stream)
    return state


async def _write_round(conn: asyncpg.Connection, state: VisitRound, stream: Sequence[RoundEvent]) -> None:
    """Upsert the round's row and its matters' rows as `state` and `stream` say (idempotent)."""
    if state.opened_at is None or state.scheduled_for is None or state.visit_date is None:
        return
    by_schedule = any(isinstance(e, VisitRoundClosed) and e.by_schedule for e in stream)
    await conn.execute(
        "INSERT INTO visit_rounds (round_id, team_code, district_code, scheduled_for, visit_date, units, opened_at, "
        "closed_at, collected, on_the_spot, handed_on, by_schedule, version) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (round_id) DO UPDATE SET "
        "closed_at = EXCLUDED.closed_at, collected = EXCLUDED.collected, on_the_spot = EXCLUDED.on_the_spot, "
        "handed_on = EXCLUDED.handed_on, by_schedule = EXCLUDED.by_schedule, version = EXCLUDED.version "
        "WHERE visit_rounds.version <= EXCLUDED.version",
        state.round_id, state.team_code, state.district_code, state.scheduled_for, state.visit_date, state.units,
        state.opened_at, state.closed_at, state.collected, state.on_the_spot, state.handed_on, by_schedule,
        state.version)
    matters = [e for e in stream if isinstance(e, VisitMatterRecorded)]
    if matters:
        await conn.executemany(
            "INSERT INTO visit_matters (petition_id, round_id, team_code, unit_code, grid_code, category, on_the_spot, "
            "recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (petition_id) DO NOTHING",
            [(m.petition_id, m.round_id, m.team_code, m.unit_code, m.grid_code, m.category, m.on_the_spot, m.at)
             for m in matters])


async def rebuild_visit_rounds(conn: asyncpg.Connection) -> int:
    """Drop the visit rounds' read model and write it again from the log (one transaction on `conn`); returns the
    rounds written."""
    written = 0
    async with conn.transaction():
        await conn.execute("DELETE FROM visit_matters")
        await conn.execute("DELETE FROM visit_rounds")
        current: str | None = None
        events: list[RoundEvent] = []
        async for record in replay_streams(conn, ROUND_EVENT_TYPES):
            if record["stream_id"] != current and current is not None:
                await _write_round(conn, fold_round(current, events), events)
                written, events = written + 1, []
            current = record["stream_id"]
            events.append(_decoded(record["type"], record["data"]))
        if current is not None:
            await _write_round(conn, fold_round(current, events), events)
            written += 1
    return written


# --- reads -------------------------------------------------------------------------------------------

_ROUND_COLUMNS = ("round_id, team_code, district_code, scheduled_for, visit_date, units, opened_at, closed_at, "
                  "collected, on_the_spot, handed_on, by_schedule")


async def round_row(conn: asyncpg.Connection | asyncpg.Pool, round_id: str) -> dict[str, Any] | None:
    """The round's row (None: no such round), with `petitions`: the ids of its matters in recording order."""
    row = await conn.fetchrow(f"SELECT {_ROUND_COLUMNS} FROM visit_rounds WHERE round_id = $1", round_id)
    if row is None:
        return None
    petitions = await conn.fetch("SELECT petition_id, on_the_spot FROM visit_matters WHERE round_id = $1 "
                                 "ORDER BY recorded_at, petition_id", round_id)
    return {**dict(row), "matters": [dict(p) for p in petitions]}


async def list_rounds(conn: asyncpg.Connection | asyncpg.Pool, *, teams: list[str] | None, on: date | None = None,
                      date_from: date | None = None, date_to: date | None = None, unit: str | None = None,
                      open_only: bool = False, after: tuple[date, str] | None = None, limit: int = 50
                      ) -> list[dict[str, Any]]:
    """Rounds of `teams` (None: every team), newest visit day first (then round id), at most `limit + 1` (the extra
    one says a next page exists). Filters: held `on` a day, or from `date_from` to `date_to` (inclusive, visit
    days); visiting `unit` (a community code); only those still open; `after` the (visit_date, round_id) of the
    last row seen."""
    where, args = ["TRUE"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if teams is not None:
        where.append(f"team_code = ANY({arg(teams)}::text[])")
    if on is not None:
        where.append(f"visit_date = {arg(on)}")
    if date_from is not None:
        where.append(f"visit_date >= {arg(date_from)}")
    if date_to is not None:
        where.append(f"visit_date <= {arg(date_to)}")
    if unit is not None:
        where.append(f"{arg(unit)} = ANY(units)")
    if open_only:
        where.append("closed_at IS NULL")
    if after is not None:
        where.append(f"(visit_date, round_id) < ({arg(after[0])}, {arg(after[1])})")
    rows = await conn.fetch(f"SELECT {_ROUND_COLUMNS} FROM visit_rounds WHERE {' AND '.join(where)} "
                            f"ORDER BY visit_date DESC, round_id DESC LIMIT {arg(limit + 1)}", *args)
    return [dict(r) for r in rows]


async def team_figures(conn: asyncpg.Connection | asyncpg.Pool, teams: list[str] | None, first: date, last: date
                       ) -> dict[str, dict[str, int]]:
    """Per team (of `teams`; None: all) over the visit days from `first` to `last` (inclusive): rounds held, matters
    collected, resolved on the spot, handed on, and how those matters stand now — closed, closed with the resident
    satisfied (满意/基本满意), closed not resolved (未解决办结), closed otherwise (withdrawn, duplicate, not a duty
    of government…), still open, open and overdue. Teams with no round in the period are absent."""
    rounds = await conn.fetch(
        "SELECT team_code, count(*) AS rounds_held FROM visit_rounds WHERE visit_date BETWEEN $1 AND $2 "
        "AND ($3::text[] IS NULL OR team_code = ANY($3::text[])) GROUP BY team_code", first, last, teams)
    matters = await conn.fetch(
        "SELECT m.team_code, count(*) AS collected, count(*) FILTER (WHERE m.on_the_spot) AS resolved_on_the_spot, "
        "count(*) FILTER (WHERE NOT m.on_the_spot) AS handed_on, "
        "count(*) FILTER (WHERE p.status = 'closed') AS closed, "
        "count(*) FILTER (WHERE p.status = 'closed' AND p.visit_outcome IN ('satisfied', 'basically_satisfied')) "
        "AS closed_satisfied, "
        "count(*) FILTER (WHERE p.close_outcome = 'closed_not_resolved') AS closed_not_resolved, "
        "count(*) FILTER (WHERE p.status = 'closed' AND p.close_outcome NOT IN ('resolved', 'closed_not_resolved')) "
        "AS closed_otherwise, "
        "count(*) FILTER (WHERE p.status IS DISTINCT FROM 'closed') AS still_open, "
        "count(*) FILTER (WHERE p.status IS DISTINCT FROM 'closed' AND p.deadline_state = 'overdue') AS overdue, "
        "count(*) FILTER (WHERE NOT m.on_the_spot AND p.status = 'closed') AS handed_on_closed "
        "FROM visit_matters m JOIN visit_rounds r ON r.round_id = m.round_id "
        "LEFT JOIN petitions p ON p.id = m.petition_id "
        "WHERE r.visit_date BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR m.team_code = ANY($3::text[])) "
        "GROUP BY m.team_code", first, last, teams)
    figures: dict[str, dict[str, int]] = {}
    for row in rounds:
        figures[row["team_code"]] = {"rounds_held": row["rounds_held"], **dict.fromkeys(FIGURE_KEYS[1:], 0)}
    for row in matters:
        figures.setdefault(row["team_code"], {"rounds_held": 0, **dict.fromkeys(FIGURE_KEYS[1:], 0)})
        figures[row["team_code"]].update({k: row[k] for k in FIGURE_KEYS[1:]})
    return figures


FIGURE_KEYS = ("rounds_held", "collected", "resolved_on_the_spot", "handed_on", "handed_on_closed", "closed",
               "closed_satisfied", "closed_not_resolved", "closed_otherwise", "still_open", "overdue")


async def rounds_open_on(conn: asyncpg.Connection | asyncpg.Pool, visit_date: date) -> list[str]:
    """Ids of the rounds held on `visit_date` that are still open (what the end-of-day close closes)."""
    return [r["round_id"] for r in await conn.fetch(
        "SELECT round_id FROM visit_rounds WHERE visit_date = $1 AND closed_at IS NULL ORDER BY round_id", visit_date)]
