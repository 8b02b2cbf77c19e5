"""Issue 16 §4: the tamper-evident log. `jiehu audit verify` passes on a clean log and names the row of each
kind of tampering — an edited event, a deleted one, two swapped, a stream's last events or a whole stream
removed after an anchor.

Each test runs on a database of its own: tampering needs the append-only trigger switched off, and the
session's shared log must stay intact.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from eventstore.audit import make_anchor, run_anchors, verify
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from eventstore.store import EventStore, NewEvent


def _event(n: int, kind: str = "Noted") -> NewEvent:
    return NewEvent(event_id=str(uuid.uuid4()), type=kind, data={"n": n, "text": f"第{n}件 \"引号\""},
                    occurred_at=datetime(2026, 11, 30, 1, n % 60, tzinfo=UTC))


@pytest.fixture
async def log(postgres, pool):
    """A log of its own: streams A (5 events, appended in two batches), B (3) and C (2)."""
    name = f"audit_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"CREATE DATABASE {name}")
    own = await create_pool(postgres.url(name), max_size=4)
    async with own.acquire() as conn:
        await migrate(conn)
    store = EventStore(own)
    await store.append("A", 0, [_event(1), _event(2), _event(3)])
    await store.append("B", 0, [_event(1), _event(2), _event(3)])
    await store.append("A", 3, [_event(4), _event(5)])
    await store.append("C", 0, [_event(1), _event(2)])
    try:
        yield own, postgres.url(name)
    finally:
        await own.close()


async def _tamper(own: asyncpg.Pool, *statements: str) -> None:
    """What someone with the database's superuser rights could do: switch the guards off and edit."""
    async with own.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")


async def _findings(own: asyncpg.Pool) -> list[tuple[str, str]]:
    async with own.acquire() as conn:
        report = await verify(conn)
    return [(f.kind, f.where.split(" (")[0]) for f in report.findings]


async def test_a_clean_log_verifies_and_its_anchors_hold(log):
    own, _ = log
    async with own.acquire() as conn:
        first = await make_anchor(conn)
        assert first is not None and first.events == 10 and len(first.digest) == 64
        assert await make_anchor(conn) is None  # nothing new
    await EventStore(own).append("C", 2, [_event(3)])
    async with own.acquire() as conn:
        second = await make_anchor(conn)
        assert second is not None and second.events == 1 and second.digest != first.digest
        report = await verify(conn)
    assert report.intact and (report.anchors_checked, report.events_anchored) == (2, 11)


async def test_every_event_is_chained_whatever_its_writer_sends(log):
    own, _ = log
    async with own.acquire() as conn:
        # a writer that names a hash of its own, or a version out of turn, gets neither
        await conn.execute("INSERT INTO events (stream_id, version, event_id, type, data, occurred_at, hash) "
                           "VALUES ('D', 1, $1, 'Noted', '{}', now(), '\\x00')", uuid.uuid4())
        with pytest.raises(asyncpg.RaiseError, match="no version 2 before it"):
            await conn.execute("INSERT INTO events (stream_id, version, event_id, type, data, occurred_at) "
                               "VALUES ('D', 3, $1, 'Noted', '{}', now())", uuid.uuid4())
    assert await _findings(own) == []


async def test_an_edited_event_is_named(log):
    own, _ = log
    await _tamper(own, "UPDATE events SET data = jsonb_set(data, '{text}', '\"改过\"') "
                       "WHERE stream_id = 'B' AND version = 2")
    assert await _findings(own) == [("edited", "B v2")]
    await _tamper(own, "UPDATE events SET occurred_at = occurred_at + interval '1 second' "
                       "WHERE stream_id = 'A' AND version = 5")
    assert await _findings(own) == [("edited", "A v5"), ("edited", "B v2")]


async def test_a_deleted_event_and_swapped_events_are_named(log):
    own, _ = log
    await _tamper(own, "DELETE FROM events WHERE stream_id = 'A' AND version = 2")
    assert await _findings(own) == [("missing", "A v3"), ("edited", "A v3")]
    await _tamper(own, "UPDATE events SET version = version + 100 WHERE stream_id = 'B' AND version IN (1, 2)",
                  "UPDATE events SET version = 103 - version WHERE stream_id = 'B' AND version IN (101, 102)")
    assert ("edited", "B v1") in await _findings(own) and ("edited", "B v2") in await _findings(own)


async def test_removing_a_streams_last_events_or_a_whole_stream_breaks_the_anchor(log):
    own, _ = log
    async with own.acquire() as conn:
        await make_anchor(conn)
    await _tamper(own, "DELETE FROM events WHERE stream_id = 'A' AND version = 5")  # the chain alone cannot see it
    assert await _findings(own) == [("anchor", "anchor 1")]
    await _tamper(own, "DELETE FROM events WHERE stream_id = 'C'")
    async with own.acquire() as conn:
        report = await verify(conn)
    assert [f.kind for f in report.findings] == ["anchor"] and "holds 7" in report.findings[0].detail


async def test_an_edit_whose_chain_was_recomputed_breaks_the_anchor(log):
    """Someone who knows the hash function rewrites an event and every hash after it in its stream: the
    chains hold again, but the anchor sealed the old hashes."""
    own, _ = log
    async with own.acquire() as conn:
        await make_anchor(conn)
    await _tamper(own, "UPDATE events SET data = '{\"n\": 2, \"text\": \"改过\"}' "
                       "WHERE stream_id = 'B' AND version = 2",
                  *(f"UPDATE events e SET hash = event_hash((SELECT hash FROM events WHERE stream_id = 'B' "
                    f"AND version = {v - 1}), e.stream_id, e.version, e.event_id, e.type, e.data, e.metadata, "
                    f"e.occurred_at) WHERE stream_id = 'B' AND version = {v}" for v in (2, 3)))
    assert await _findings(own) == [("anchor", "anchor 1")]


async def test_the_command_exits_1_and_names_the_row(log):
    own, url = log
    env = os.environ | {"JIEHU_DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "jiehu", "audit", *args], env=env, capture_output=True,
                              text=True, timeout=60)

    anchored = await asyncio.to_thread(run, "anchor")
    assert anchored.returncode == 0 and "anchor 1: 10 events" in anchored.stdout, anchored.stderr
    clean = await asyncio.to_thread(run, "verify")
    assert clean.returncode == 0 and "1 anchor(s) over 10 events match" in clean.stdout, clean.stderr
    await _tamper(own, "UPDATE events SET type = 'Forged' WHERE stream_id = 'C' AND version = 1")
    tampered = await asyncio.to_thread(run, "verify")
    assert tampered.returncode == 1 and "EDITED: C v1 (position 9)" in tampered.stderr
    assert "TAMPERED: 1 finding(s)" in tampered.stderr


async def test_the_worker_anchors_the_log_on_its_own(log):
    own, _ = log
    stop = asyncio.Event()
    anchoring = asyncio.create_task(run_anchors(own, stop, interval=0.05))
    try:
        async with asyncio.timeout(20):
            while not await own.fetchval("SELECT count(*) FROM log_anchors"):
                await asyncio.sleep(0.05)
        await EventStore(own).append("B", 3, [_event(4)])
        async with asyncio.timeout(20):
            while await own.fetchval("SELECT count(*) FROM log_anchors") < 2:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await anchoring
    assert [r["events"] for r in await own.fetch("SELECT events FROM log_anchors ORDER BY anchor_id")] == [10, 1]
    assert await _findings(own) == []


async def test_a_petition_stream_cut_behind_jiehus_back_is_named_by_the_projections_too(log, org):
    """Before: `jiehu projections verify` died with a bare AssertionError from the fold. Now it names the
    stream, the event and its position, points to `jiehu audit verify`, and leaves the read model alone."""
    from datetime import timedelta

    from domain import commands as cmd
    from tests.unit.decider_spec import MONDAY
    from tests.unit.domain_helpers import Petition, unit_actor

    own, url = log
    petition = Petition(org, MONDAY)
    petition.send(cmd.Accept(actor=unit_actor("rc-yuehe-taibai-g1")))
    petition.now += timedelta(hours=1)
    petition.send(cmd.Resolve(actor=unit_actor("rc-yuehe-taibai-g1"), result="已清运",
                              evidence_urls=["https://example.org/1.jpg"]))
    await EventStore(own).append("P-1", 0, [
        NewEvent(event_id=str(uuid.uuid4()), type=e.type, data=e.model_dump(mode="json", exclude={"type"}),
                 occurred_at=e.at) for e in petition.events])
    env = os.environ | {"JIEHU_DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "jiehu", "projections", *args], env=env, capture_output=True,
                              text=True, timeout=60)

    rebuilt = await asyncio.to_thread(run, "rebuild")
    assert rebuilt.returncode == 0 and "petitions: 1 rebuilt" in rebuilt.stdout, rebuilt.stderr
    await _tamper(own, "DELETE FROM events WHERE stream_id = 'P-1' AND type = 'WorkOrderAssigned'")
    verified = await asyncio.to_thread(run, "verify")
    assert verified.returncode == 1, verified.stderr
    assert "UNREADABLE: petition P-1: event" in verified.stderr and "jiehu audit verify" in verified.stderr, \
        verified.stderr
    # a rebuild is refused outright: it would carry the change into the read models (a fresh tester's finding)
    rebuilt = await asyncio.to_thread(run, "rebuild")
    assert rebuilt.returncode == 1 and "TAMPERED: the log is not intact" in rebuilt.stderr, rebuilt.stderr
    for answer in (verified, rebuilt):
        assert "Traceback" not in answer.stderr
    assert await own.fetchval("SELECT count(*) FROM petitions WHERE id = 'P-1'") == 1  # left as it was
