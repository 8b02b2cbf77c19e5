"""The petition read model: one row per petition, a pure function of its folded state.

Live rows are written in the append statement from the workflow's state; `rebuild` folds the
log with the same `evolve` and the same `petition_row`, so `verify` can prove that both agree.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from pydantic import TypeAdapter

from domain.events import PETITION_EVENT_TYPES, event_from
from domain.evolve import evolve, fold
from domain.model import PetitionState
from domain.redaction import redact
from domain.timers import deadline_state, deadlines_provisional, next_due
from eventstore.petition_columns import COLUMNS
from eventstore.store import replay_streams

_DATETIME = TypeAdapter(datetime)


class UnreadableLog(Exception):
    """The fold met an event it cannot apply where it stands: a stream edited, cut or reordered outside
    jiehu (`jiehu audit verify` names how). `stream_id`, `position` and `event_type` say where."""

    def __init__(self, stream_id: str, position: int, event_type: str, reason: str) -> None:
        super().__init__(f"petition {stream_id}: event {event_type} at log position {position} cannot follow "
                         f"the events before it ({reason}); run `jiehu audit verify` to see what changed")
        self.stream_id, self.position, self.event_type = stream_id, position, event_type


def petition_row(state: PetitionState, updated_at: str) -> dict[str, Any]:
    """The read-model row of a petition (JSON-ready; `last_position` is filled in by the store).

    `updated_at` is when its last event happened (ISO 8601)."""
    a = state.assignment
    dump = state.model_dump(mode="json", include={"reported_at", "closed_at", "visit_due"})
    due = a.model_dump(mode="json", include={"accept_due", "warn_at", "resolve_due"}) if a else {}
    open_clock = a is not None and state.status.value in ("dispatched", "accepted", "paused")
    held = state.pending_extension is not None and state.pending_extension.resolve_left is not None
    return {
        "id": state.id,
        "version": state.version,
        "status": state.status.value,
        "category": state.category,
        "channel": state.channel.value,
        "urgency": state.urgency.value,
        "description": state.description,
        "address": state.address,
        "grid_code": state.grid_code,
        "reporter_name": state.reporter_name,
        "reporter_phone": state.reporter_phone,
        "level": a.rung.level.value if a else None,
        "unit_code": a.rung.unit_code if a else None,
        "unit_name": a.rung.unit_name if a else None,
        "overseer_code": a.rung.overseer_code if a else None,
        # the units that held it; a dispatch desk or approver with only a record of its own (received 0) did not.
        # A call triaged at intake (no unit held it) was the hotline's: its dispatch desk (the district's)
        "handled_units": sorted(code for code, record in state.units.items() if record.received)
        or ([state.desk_code] if state.triage is not None and state.desk_code else []),
        "deadline_state": deadline_state(state).value,
        "accept_due": due.get("accept_due") if open_clock and a and a.accepted_at is None else None,
        "warn_at": due.get("warn_at") if open_clock and not held else None,
        "resolve_due": due.get("resolve_due") if open_clock and not held else None,  # held: restarts on decision
        "visit_due": dump["visit_due"],
        "escalations": state.escalations,
        "returns": state.returns,
        "reopens": state.reopens,
        "urges": state.urges,
        "resolution": state.resolution.kind.value if state.resolution else None,
        "close_outcome": state.close_outcome.value if state.close_outcome else None,
        "visit_outcome": state.last_visit.value if state.last_visit else None,
        "reported_at": dump["reported_at"],
        "updated_at": updated_at,
        "closed_at": dump["closed_at"],
        "reported_by": state.reported_by.id if state.reported_by else "",
        "desk_code": state.desk_code,
        "redispatch_due": _iso(state.redispatch.due if state.redispatch and state.status.value == "returned" else None),
        "next_due": _iso(next_due(state)),
        "visit_attempts": state.visit_attempts,
        "delivery_pending_since": _iso(state.delivery_pending_since),
        "pending_decision": _pending_decision(state),
        "confidential": state.confidential,
        "public_summary": state.public_summary,
        "deadlines_provisional": deadlines_provisional(state),
        "search_text": search_text(state.description, state.address),
        "latitude": state.latitude,
        "longitude": state.longitude,
        "media_urls": list(state.media_urls),
        "duplicate_of": state.duplicate_of,
        "follows": state.follows or None,
        "request_type": state.request_type.value if state.request_type else None,
        "anonymous": state.anonymous,
        "triage": state.triage.value if state.triage else None,
        "triage_reason": state.triage_reason,
        # JSON text, not jsonb: the rebuild copies rows in binary, which the pool's jsonb codec does not write
        "linked_callers": orjson.dumps([c.model_dump(mode="json") for c in state.linked_callers]).decode(),
        "on_the_spot": state.resolution is not None and state.resolution.on_the_spot,
        "survey_due": _iso(state.survey_due),
        "visit_channel": state.last_visit_channel.value if state.last_visit_channel else None,
        "visit_team": state.visit_team or None,  # issue 14 §4 (migration 024)
        # issue 14 §3 (物业110, migration 022)
        "compound": state.compound,
        "company_callback": state.company_callback.value if state.company_callback else None,
        "company_callback_at": _iso(state.company_callback_at),
        # issue 14 §5 (migration 026): a burst declared on it, JSON text like `linked_callers`
        "burst": state.burst.model_dump_json() if state.burst else None,
        "burst_ends_at": _iso(state.burst.until if state.burst else None),
    }


def fold_stored(petition_id: str, stored: Iterable[Any]) -> PetitionState:
    """A petition's state folded from its stored events (anything with `type` and `data`, e.g.
    `EventStore.read_stream`), with the `evolve` the rebuild and the workflow use."""
    return fold(PetitionState(id=petition_id), (event_from(e.type, e.data) for e in stored))


def search_text(description: str, address: str) -> str:
    """The text roles that may not see personal data search: numbers redacted (migration 010)."""
    return redact(f"{description} {address}")


async def backfill_search_text(conn: asyncpg.Connection, batch: int = 5000) -> int:
    """Fill `search_text` of rows written before migration 010; returns how many were filled."""
    filled = 0
    while rows := await conn.fetch("SELECT id, description, address FROM petitions WHERE search_text IS NULL "
                                   "LIMIT $1", batch):
        await conn.executemany("UPDATE petitions SET search_text = $2 WHERE id = $1",
                               [(r["id"], search_text(r["description"], r["address"])) for r in rows])
        filled += len(rows)
    return filled


def _pending_decision(state: PetitionState) -> str | None:
    """A request that waits for the rung above (the extension first: it can hold a deadline)."""
    if not state.open:
        return None
    return "extension" if state.pending_extension else "pause" if state.pending_pause else None


def _iso(value: datetime | None) -> str | None:
    """As pydantic's JSON mode writes datetimes, so live rows and rebuilt rows agree."""
    return None if value is None else _DATETIME.dump_python(value, mode="json")


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild of the petitions read model did: events replayed, petitions written, seconds taken."""

    events: int
    petitions: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        """Events replayed per second (infinite for a rebuild that took no measurable time)."""
        return self.events / self.seconds if self.seconds > 0 else float("inf")


async def rebuild(conn: asyncpg.Connection, target: str = "petitions", batch: int = 2000) -> RebuildReport:
    """Empty `target` and refill it by folding every stream of the log (inside one transaction).

    Raises `UnreadableLog` (and leaves `target` as it was) when a stream does not fold: a log changed
    behind jiehu's back, since every event jiehu appends was decided on the state before it."""
    started = time.perf_counter()
    count_events = count_rows = 0
    rows: list[tuple[Any, ...]] = []
    state: PetitionState | None = None
    last_position = 0

    async def flush() -> None:
        nonlocal rows
        if rows:
            await conn.copy_records_to_table(target, records=rows, columns=list(COLUMNS))
            rows = []

    def finish(current: PetitionState) -> None:
        nonlocal count_rows
        assert last_at is not None  # a state to finish has had an event
        row = petition_row(current, last_at.isoformat())
        row["last_position"] = last_position
        rows.append(_to_record(row))
        count_rows += 1

    async with conn.transaction():
        await conn.execute(f"TRUNCATE {target}")
        last_at = None
        async for r in replay_streams(conn, PETITION_EVENT_TYPES):
            if state is None or state.id != r["stream_id"]:
                if state is not None:
                    finish(state)
                    if len(rows) >= batch:
                        await flush()
                state = PetitionState(id=r["stream_id"])
            try:
                state = evolve(state, event_from(r["type"], r["data"]))
            except (AssertionError, ValueError, KeyError, TypeError) as e:  # pydantic's ValidationError too
                raise UnreadableLog(r["stream_id"], r["position"], r["type"], f"{type(e).__name__}: {e}"[:300]) from e
            last_position, last_at = r["position"], r["occurred_at"]
            count_events += 1
        if state is not None:
            finish(state)
        await flush()
    return RebuildReport(count_events, count_rows, time.perf_counter() - started)


async def verify(conn: asyncpg.Connection, settle_seconds: float = 1.0) -> list[str]:
    """Rebuild into a scratch table and list every petition whose live row differs (empty = equal).

    On a running stack a petition may move between reading its row and reading its events (or its newest event
    may still sit behind an older open transaction, which the gap-free replay passes over), so a difference
    counts only when it persists: the differing petitions are compared again after `settle_seconds`, and listed
    only if their live row did not move in between and still differs. Raises UnreadableLog as `rebuild` does."""
    first = await _differing(conn)
    if not first:
        return []
    await asyncio.sleep(settle_seconds)
    second = await _differing(conn)
    return sorted(pid for pid, version in second.items() if pid in first and first[pid] == version)


async def _differing(conn: asyncpg.Connection) -> dict[str, int | None]:
    """One comparison in one snapshot: petition id -> its live row's version (None: no live row)."""
    # one snapshot for the rebuild and the comparison; inside a caller's transaction, that transaction's own
    isolation = None if conn.is_in_transaction() else "repeatable_read"
    async with conn.transaction(isolation=isolation):
        # inside a caller's transaction ON COMMIT DROP waits for its commit: the second comparison finds it there
        await conn.execute("DROP TABLE IF EXISTS pg_temp.petitions_rebuilt")
        await conn.execute("CREATE TEMP TABLE petitions_rebuilt (LIKE petitions) ON COMMIT DROP")
        await rebuild(conn, target="petitions_rebuilt")
        diffs = await conn.fetch(
            "SELECT coalesce(l.id, r.id) AS id, l.version FROM petitions l FULL JOIN petitions_rebuilt r "
            "ON l.id = r.id WHERE l IS DISTINCT FROM r ORDER BY 1 LIMIT 100"
        )
    return {d["id"]: d["version"] for d in diffs}


def _to_record(row: dict[str, Any]) -> tuple[Any, ...]:
    out = []
    for column in COLUMNS:
        value = row[column]
        if isinstance(value, str) and column.endswith(("_due", "_at", "_since")):
            value = datetime.fromisoformat(value)
        out.append(value)
    return tuple(out)
