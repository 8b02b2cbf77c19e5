"""Baselines on the same database: raw single-row inserts, and jiehu's own append path."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from config.reference_data import DEMO_ORG, load_policy, work_calendar
from domain.catalogue import decide
from domain.enums import Channel, Role, Urgency
from domain.evolve import fold
from domain.model import Actor, PetitionState
from eventstore.petition_projection import petition_row
from eventstore.store import EventStore, NewEvent
from org.loader import load_org_file
from services.intake_command import Intake, report_command, route


async def raw_inserts(pool: asyncpg.Pool, writers: int, seconds: float) -> float:
    """Rows per second of plain single-row INSERTs (autocommit), `writers` connections at once."""
    await pool.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, stream text, data jsonb)")
    deadline, counts = time.perf_counter() + seconds, [0] * writers

    async def writer(index: int) -> None:
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                await conn.execute("INSERT INTO bench_raw (stream, data) VALUES ($1, $2)", f"s{index}", {"n": 1})
                counts[index] += 1

    began = time.perf_counter()
    await asyncio.gather(*(writer(i) for i in range(writers)))
    return sum(counts) / (time.perf_counter() - began)


async def store_appends(pool: asyncpg.Pool, writers: int, seconds: float, *, with_row: bool) -> float:
    """Events per second through EventStore.append (version check, one event each), with or without
    the petition's read-model row upserted in the same statement (the workflow always sends one)."""
    store, deadline, counts = EventStore(pool), time.perf_counter() + seconds, [0] * writers

    async def writer(index: int) -> None:
        stream, version = f"bench-{uuid.uuid4()}", 0
        row = _sample_row(stream) if with_row else None
        while time.perf_counter() < deadline:
            event = NewEvent(event_id=str(uuid.uuid4()), type="ProgressNoted", data={"note": "bench"},
                             occurred_at=datetime.now(UTC))
            version = (await store.append(stream, version, [event], row)).version
            counts[index] += 1

    began = time.perf_counter()
    await asyncio.gather(*(writer(i) for i in range(writers)))
    return sum(counts) / (time.perf_counter() - began)


def _sample_row(petition_id: str) -> dict[str, Any]:
    """A realistic read-model row: a petition as the decider reports it on the demo org."""
    grid = "rc-yuehe-taibai-g1"
    intake = Intake(actor=Actor(id="b", name="b", unit_code=grid, role=Role.GRID_WORKER), category="sanitation",
                    description="bench", channel=Channel.GRID_WORKER, grid_code=grid)
    report = report_command(intake, petition_id, route(_org(), grid, "sanitation"), "fast",
                            load_policy("fast").rules_for("sanitation", Urgency.NORMAL), tracks_delivery=False)
    state = fold(PetitionState(id=petition_id), decide(PetitionState(id=petition_id), report, datetime.now(UTC),
                                                       work_calendar()))
    return petition_row(state, updated_at=datetime.now(UTC).isoformat())


def _org():  # noqa: ANN202 - loaded once per writer, outside the timed loop
    from pathlib import Path

    return load_org_file(Path(str(DEMO_ORG)))


def eventsourcing_recorder(host: str, port: int, dbname: str, writers: int, seconds: float) -> float | None:
    """Events per second through the `eventsourcing` library's PostgreSQL application recorder
    (the best-known Python event store), `writers` threads appending one event each, same database.
    None when the library is not installed (pip install -e '.[dev]' brings it)."""
    try:
        from eventsourcing.persistence import StoredEvent
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
    except ImportError:
        return None
    from concurrent.futures import ThreadPoolExecutor

    datastore = PostgresDatastore(dbname, host, port, "postgres", "", pool_size=writers, max_overflow=0)
    recorder = PostgresApplicationRecorder(datastore, events_table_name="es_bench_events")
    recorder.create_table()
    deadline = time.perf_counter() + seconds

    def writer(_: int) -> int:
        originator, version, count = uuid.uuid4(), 0, 0
        while time.perf_counter() < deadline:
            version += 1
            recorder.insert_events([StoredEvent(originator, version, "bench:ProgressNoted", b'{"note":"bench"}')])
            count += 1
        return count

    began = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        total = sum(pool.map(writer, range(writers)))
    rate = total / (time.perf_counter() - began)
    datastore.close()
    return rate
