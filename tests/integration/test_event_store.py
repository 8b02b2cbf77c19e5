"""The event store's contract: expected versions, idempotent retries, a gap-free global order."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from domain.errors import StreamConflict
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from eventstore.store import EventStore, LogCursor, NewEvent


@pytest_asyncio.fixture(scope="module")
async def pool(postgres):
    """A database of its own: these streams are not petitions and must not reach the petitions' log."""
    database = f"contract_{uuid.uuid4().hex[:8]}"
    admin = await create_pool(postgres.url("postgres"), max_size=1)
    await admin.execute(f"CREATE DATABASE {database}")
    contract = await create_pool(postgres.url(database), max_size=10)
    async with contract.acquire() as conn:
        await migrate(conn)
    yield contract
    await contract.close()
    await admin.execute(f"DROP DATABASE {database}")
    await admin.close()


def events(n: int) -> list[NewEvent]:
    return [NewEvent(event_id=str(uuid.uuid4()), type="ProgressNoted", data={"note": f"n{i}"},
                     occurred_at=datetime.now(UTC)) for i in range(n)]


async def test_append_with_expected_version_and_read_back(pool):
    store, stream = EventStore(pool), f"S-{uuid.uuid4()}"
    first = await store.append(stream, 0, events(2))
    second = await store.append(stream, 2, events(1))
    assert (first.version, second.version) == (2, 3) and second.position > first.position
    read = await store.read_stream(stream)
    assert [e.version for e in read] == [1, 2, 3] and read[2].data == {"note": "n0"}
    assert [e.version for e in await store.read_stream(stream, after_version=2)] == [3]


async def test_a_stale_expected_version_is_a_conflict(pool):
    store, stream = EventStore(pool), f"S-{uuid.uuid4()}"
    await store.append(stream, 0, events(1))
    with pytest.raises(StreamConflict, match="version 1, not the expected 0"):
        await store.append(stream, 0, events(1))
    with pytest.raises(StreamConflict):
        await store.append(stream, 5, events(1))  # no gaps either
    assert len(await store.read_stream(stream)) == 1


async def test_a_retried_append_is_idempotent(pool):
    store, stream = EventStore(pool), f"S-{uuid.uuid4()}"
    batch = events(3)
    await store.append(stream, 0, batch)
    retry = await store.append(stream, 0, batch)  # the activity ran again after its commit
    assert retry.already_appended and retry.version == 3
    assert len(await store.read_stream(stream)) == 3


async def test_concurrent_writers_one_wins_the_other_conflicts(pool):
    store, stream = EventStore(pool), f"S-{uuid.uuid4()}"
    results = await asyncio.gather(*(store.append(stream, 0, events(1)) for _ in range(8)),
                                   return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, StreamConflict) for r in results if isinstance(r, Exception))


async def read_to_end(store: EventStore, after: LogCursor, limit: int = 1000) -> list:
    seen = []
    while batch := await store.read_all(after, limit=limit):
        seen += batch
        after = batch[-1].cursor
    return seen


async def test_read_all_is_in_commit_order_and_skips_nothing_committed(pool):
    store = EventStore(pool)
    start = (await read_to_end(store, LogCursor()) or [None])[-1]
    start = start.cursor if start else LogCursor()
    streams = [f"S-{uuid.uuid4()}" for _ in range(5)]
    await asyncio.gather(*(store.append(s, 0, events(4)) for s in streams))
    seen = await read_to_end(store, start)
    assert len([e for e in seen if e.stream_id in streams]) == 20
    assert [(int(e.tx_id), e.position) for e in seen] == sorted((int(e.tx_id), e.position) for e in seen)


async def test_commit_order_is_numeric_across_a_power_of_ten(pool):
    """Transaction ids 999 and 1000: ordered as text, the cursor would jump past every 3-digit one."""
    store = EventStore(pool)
    first = f"S-{uuid.uuid4()}"
    await store.append(first, 0, events(1))
    tx = int(await pool.fetchval("SELECT tx_id::text FROM events WHERE stream_id = $1", first))
    boundary = 10 ** len(str(tx))
    if boundary - tx <= 5000:  # burn transaction ids until the next one has one digit more
        for _ in range(boundary - int(await pool.fetchval("SELECT pg_current_xact_id()::text"))):
            await pool.fetchval("SELECT pg_current_xact_id()")
    second = f"S-{uuid.uuid4()}"
    await store.append(second, 0, events(1))
    seen = [e for e in await read_to_end(store, LogCursor(), limit=50) if e.stream_id in (first, second)]
    assert [e.stream_id for e in seen] == [first, second]


async def test_an_event_committed_late_with_a_lower_position_is_not_skipped(pool):
    """Transaction B takes a lower position than A but a higher transaction id, and A commits
    first: a reader that checkpointed by position alone would pass over B's event for ever."""
    store = EventStore(pool)
    last = (await read_to_end(store, LogCursor()) or [None])[-1]
    cursor = last.cursor if last else LogCursor()
    first, late = f"S-first-{uuid.uuid4()}", f"S-late-{uuid.uuid4()}"
    insert = ("INSERT INTO events (stream_id, version, event_id, type, data, occurred_at) "
              "VALUES ($1, 1, $2, 'Tested', '{}', now()) RETURNING position")
    async with pool.acquire() as a, pool.acquire() as b:
        in_a, in_b = a.transaction(), b.transaction()
        await in_a.start()
        await a.fetchval("SELECT pg_current_xact_id()")  # A takes its transaction id first
        await in_b.start()
        late_position = await b.fetchval(insert, late, uuid.uuid4())  # B: a later id, a lower position
        first_position = await a.fetchval(insert, first, uuid.uuid4())
        assert late_position < first_position
        await in_a.commit()
        seen = await read_to_end(store, cursor)
        assert first in {e.stream_id for e in seen} and late not in {e.stream_id for e in seen}
        cursor = seen[-1].cursor
        await in_b.commit()
    assert [e.stream_id for e in await read_to_end(store, cursor)] == [late]


async def test_the_log_refuses_updates_and_deletes(pool):
    import asyncpg

    store, stream = EventStore(pool), f"S-{uuid.uuid4()}"
    await store.append(stream, 0, events(1))
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("UPDATE events SET type = 'X' WHERE stream_id = $1", stream)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("DELETE FROM events WHERE stream_id = $1", stream)
