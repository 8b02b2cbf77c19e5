"""Baselines on the same database: raw single-row inserts, and jiehu's own append path."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import asyncpg

from eventstore.store import EventStore, NewEvent


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


async def store_appends(pool: asyncpg.Pool, writers: int, seconds: float) -> float:
    """Events per second through EventStore.append (version check, one event, no read-model row)."""
    store, deadline, counts = EventStore(pool), time.perf_counter() + seconds, [0] * writers

    async def writer(index: int) -> None:
        stream, version = f"bench-{uuid.uuid4()}", 0
        while time.perf_counter() < deadline:
            event = NewEvent(event_id=str(uuid.uuid4()), type="ProgressNoted", data={"note": "bench"},
                             occurred_at=datetime.now(UTC))
            version = (await store.append(stream, version, [event])).version
            counts[index] += 1

    began = time.perf_counter()
    await asyncio.gather(*(writer(i) for i in range(writers)))
    return sum(counts) / (time.perf_counter() - began)
