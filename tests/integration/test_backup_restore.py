"""A stack with running petitions, backed up and restored into an empty one (issue 16 §5; docs/backup.md).

Real parts: PostgreSQL (the source in its own database, the target a fresh embedded server restored by
`stack.backup.restore`, as `jiehu restore --data-dir` does) and two Temporal dev servers with SQLite files
(the target started on the restored file). Wall clock, fast policy (deadlines of seconds).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client

from domain import commands as cmd
from domain.enums import Level, VisitOutcome
from eventstore import evaluation_projection
from eventstore.audit import make_anchor, verify
from eventstore.migrate import migrate
from eventstore.petition_projection import fold_stored
from eventstore.petition_projection import verify as verify_petitions
from eventstore.pool import create_pool
from eventstore.store import EventStore, LogCursor
from org.repository import save_org
from stack.backup import BackupError, backup, check_workflows, restore, resync
from stack.embedded import EmbeddedPostgres, TemporalDevServer, free_port
from stack.workers import petition_worker
from tests.integration.helpers import VISITOR, report, staff
from workflows.client import PetitionClient
from workflows.connection import connect_temporal

LADDER = [Level.GRID, Level.COMMUNITY, Level.STREET, Level.DEPARTMENT]


async def _wait(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := await predicate():
            return value
        await asyncio.sleep(0.3)
    raise AssertionError("condition not met in time")


async def _connect(address: str) -> Client:
    for _ in range(100):
        try:
            return await connect_temporal(address)
        except RuntimeError:
            await asyncio.sleep(0.2)
    return await connect_temporal(address)


async def _tables(pool: asyncpg.Pool) -> dict[str, list[tuple]]:
    """The read models' rows, in a stable order, as tuples."""
    found = {}
    async with pool.acquire() as conn:
        for table in ("petitions", *evaluation_projection.TABLES):
            rows = await conn.fetch(f"SELECT * FROM {table}")  # noqa: S608 - our own table names
            found[table] = sorted((tuple(r.values()) for r in rows), key=repr)
    return found


@pytest.fixture
async def source(postgres, demo_org, tmp_path: Path):
    """A jiehu database of its own on the session's PostgreSQL, and a Temporal dev server on a file."""
    name = f"src_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres.url("postgres"))
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    pool = await create_pool(postgres.url(name), max_size=10)
    async with pool.acquire() as conn:
        await migrate(conn)
        await save_org(conn, demo_org)
    temporal = TemporalDevServer(tmp_path / "a" / "temporal", free_port(), None)
    temporal.start()
    try:
        yield postgres.url(name), pool, temporal
    finally:
        temporal.stop()
        await pool.close()
        admin = await asyncpg.connect(postgres.url("postgres"))
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def test_a_stack_with_running_petitions_restores_equal_and_its_deadlines_fire(source, demo_org, tmp_path):
    url, pool, temporal = source
    org, queue = demo_org, f"tq-{uuid.uuid4()}"
    temporal_a = await _connect(temporal.address)
    client_a = PetitionClient(temporal_a, queue)
    async with petition_worker(temporal_a, pool, queue):
        closed = []
        for _ in range(2):  # closed: evaluated, their facts in the evaluation read model
            r = report(org, policy="fast")
            await client_a.report(r)
            grid = staff(org, r.grid_code)
            await client_a.send(r.petition_id, cmd.Accept(actor=grid))
            await client_a.send(r.petition_id, cmd.Resolve(actor=grid, result="已清运"))
            await client_a.send(r.petition_id, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
            closed.append(r.petition_id)
        climbed = report(org, policy="fast")  # mid-ladder: its grid's 8 s deadline passes before the backup
        await client_a.report(climbed)
        await client_a.send(climbed.petition_id, cmd.Accept(actor=staff(org, climbed.grid_code)))
        fresh = report(org, policy="fast")  # its first deadline comes after the restore

        async def escalated():
            return (await client_a.state(climbed.petition_id)).assignment.rung.level is not Level.GRID

        await _wait(escalated)
        await client_a.report(fresh)
    # the documented procedure: the petition workers are stopped, then the backup is taken
    async with pool.acquire() as conn:
        await evaluation_projection.catch_up(conn)
        last_cursor = (await EventStore(pool).read_all(limit=100_000))[-1].cursor
    originals = await _tables(pool)
    target = tmp_path / "backup"
    manifest = await asyncio.to_thread(backup, target, url, temporal.db_file)
    assert manifest["log"]["petitions"] == 4 and manifest["log"]["open_petitions"] == 2
    assert manifest["log"]["anchor_digest"] and json.loads((target / "manifest.json").read_text()) == manifest
    with pytest.raises(BackupError, match="not empty"):
        await asyncio.to_thread(backup, target, url, temporal.db_file)
    temporal.stop()  # the old stack is gone

    data_dir = tmp_path / "b"
    restored = await asyncio.to_thread(restore, target, data_dir)
    assert restored.temporal_db == data_dir.resolve() / "temporal" / "temporal.db"
    with pytest.raises(BackupError, match="empty"):
        await asyncio.to_thread(restore, target, data_dir)
    pg_b = EmbeddedPostgres(data_dir / "postgres", free_port(), durable=False)
    pg_b.start()
    temporal_b = TemporalDevServer(data_dir / "temporal", free_port(), None)
    temporal_b.start()
    pool_b = await create_pool(pg_b.url(), max_size=10)
    try:
        # where the open petitions stood in the backup: folded from the restored log
        before = {pid: fold_stored(pid, await EventStore(pool_b).read_stream(pid))
                  for pid in (climbed.petition_id, fresh.petition_id)}
        async with pool_b.acquire() as conn:
            assert (await verify(conn)).intact
            assert await verify_petitions(conn) == []
            await evaluation_projection.rebuild(conn)
            await migrate(conn)  # nothing to apply: the migrations came with the dump
        assert await _tables(pool_b) == originals  # the restored read models equal the originals, rebuilt
        temporal_client_b = await _connect(temporal_b.address)
        client_b = PetitionClient(temporal_client_b, queue)
        async with petition_worker(temporal_client_b, pool_b, queue):
            assert await check_workflows(client_b, pg_b.url()) == {}

            async def moved_on(pid: str):
                state = await client_b.state(pid)
                return LADDER.index(state.assignment.rung.level) > LADDER.index(before[pid].assignment.rung.level)

            for pid in before:  # a deadline of the restored petitions fires on the restored stack
                await _wait(lambda pid=pid: moved_on(pid))
        # events written after the restore sort after the restored ones (a fresh server's transaction ids
        # start low: without advancing them, readers in commit order would never see these)
        new = await EventStore(pool_b).read_all(LogCursor(last_cursor.tx_id, last_cursor.position))
        assert {e.stream_id for e in new if e.type == "PetitionEscalated"} == set(before)
        async with pool_b.acquire() as conn:
            assert await make_anchor(conn) is not None
            report_ = await verify(conn)
            assert report_.intact, report_.findings
            assert (await evaluation_projection.catch_up(conn)).events >= 0
    finally:
        await pool_b.close()
        temporal_b.stop()
        pg_b.stop()


async def test_a_workflow_behind_the_log_after_a_live_backup_is_found_and_restarted_from_the_log(source, demo_org,
                                                                                               tmp_path):
    """A backup taken with the worker running: Temporal's file is copied, a cadre's command lands, then the
    database is dumped. The restored workflow does not know the command the log holds; `check_workflows`
    names it and `resync` restarts it from the log, after which the petition goes on (docs/backup.md)."""
    url, pool, temporal = source
    org, queue = demo_org, f"tq-{uuid.uuid4()}"
    temporal_a = await _connect(temporal.address)
    client_a = PetitionClient(temporal_a, queue)
    first, target = tmp_path / "temporal-first", tmp_path / "backup"
    async with petition_worker(temporal_a, pool, queue):
        behind, level = report(org), report(org)  # default policy: no deadline fires during the test
        for r in (behind, level):
            await client_a.report(r)
        await asyncio.to_thread(backup, first, url, temporal.db_file)  # Temporal's copy (and a dump we drop)
        grid = staff(org, behind.grid_code)
        await client_a.send(behind.petition_id, cmd.Accept(actor=grid))  # lands between the two copies
        late = report(org)  # reported between the two copies: Temporal's copy has no workflow for it
        await client_a.report(late)
        manifest = await asyncio.to_thread(backup, target, url, None)
    (target / "temporal.db").write_bytes((first / "temporal.db").read_bytes())
    manifest["files"]["temporal.db"] = json.loads((first / "manifest.json").read_text())["files"]["temporal.db"]
    (target / "manifest.json").write_text(json.dumps(manifest))
    temporal.stop()

    data_dir = tmp_path / "b"
    await asyncio.to_thread(restore, target, data_dir)
    pg_b = EmbeddedPostgres(data_dir / "postgres", free_port(), durable=False)
    pg_b.start()
    temporal_b = TemporalDevServer(data_dir / "temporal", free_port(), None)
    temporal_b.start()
    pool_b = await create_pool(pg_b.url(), max_size=10)
    try:
        temporal_client_b = await _connect(temporal_b.address)
        client_b = PetitionClient(temporal_client_b, queue)
        async with petition_worker(temporal_client_b, pool_b, queue):
            logged = {pid: len(await EventStore(pool_b).read_stream(pid)) for pid in
                      (behind.petition_id, late.petition_id)}
            found = await check_workflows(client_b, pg_b.url())
            assert found == {behind.petition_id: (logged[behind.petition_id] - 1, logged[behind.petition_id]),
                             late.petition_id: (0, logged[late.petition_id])}
            await resync(client_b, pool_b, sorted(found))
            assert await check_workflows(client_b, pg_b.url()) == {}
            state = await client_b.send(behind.petition_id, cmd.Resolve(actor=grid, result="已清运"))
            assert state.version == logged[behind.petition_id] + 1
            assert (await client_b.state(late.petition_id)).version == logged[late.petition_id]
        async with pool_b.acquire() as conn:
            assert await verify_petitions(conn) == []
            assert (await verify(conn)).intact
    finally:
        await pool_b.close()
        temporal_b.stop()
        pg_b.stop()


async def test_a_restore_into_a_database_url_refuses_a_server_whose_transaction_ids_are_behind(source, demo_org,
                                                                                              tmp_path):
    """The compose way (`jiehu restore --database-url`): a fresh server's transaction ids start below the log's,
    so the restore refuses before writing anything and says the pg_resetwal to run; after it, it restores."""
    url, pool, temporal = source
    queue = f"tq-{uuid.uuid4()}"
    temporal_a = await _connect(temporal.address)
    async with petition_worker(temporal_a, pool, queue):
        await PetitionClient(temporal_a, queue).report(report(demo_org))
    target = tmp_path / "backup"
    manifest = await asyncio.to_thread(backup, target, url, None)
    assert "temporal.db" not in manifest["files"]
    fresh = EmbeddedPostgres(tmp_path / "fresh", free_port(), durable=False)
    fresh.start()
    try:
        with pytest.raises(BackupError, match="pg_resetwal -x"):
            await asyncio.to_thread(restore, target, None, fresh.url())
        conn = await asyncpg.connect(fresh.url())
        assert await conn.fetchval("SELECT to_regclass('public.events')") is None  # nothing was restored
        await conn.close()
        fresh.stop()
        fresh.advance_transaction_ids(manifest["log"]["top_transaction_id"])
        fresh.start()
        restored = await asyncio.to_thread(restore, target, None, fresh.url())
        assert restored.manifest == manifest and restored.temporal_db is None
        with pytest.raises(BackupError, match="already holds"):
            await asyncio.to_thread(restore, target, None, fresh.url())
    finally:
        fresh.stop()


def _jiehu(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jiehu", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **env}, check=False)


async def test_the_commands_back_up_a_dev_data_dir_and_restore_it_into_an_empty_one(source, demo_org, tmp_path):
    """`jiehu backup DIR --data-dir` and `jiehu restore DIR --data-dir` as an operator types them."""
    url, pool, temporal = source
    queue = f"tq-{uuid.uuid4()}"
    temporal_a = await _connect(temporal.address)
    async with petition_worker(temporal_a, pool, queue):
        await PetitionClient(temporal_a, queue).report(report(demo_org))
    data_dir = temporal.data_dir.parent  # <data-dir>/temporal/temporal.db, as `jiehu dev` lays it out
    env = {"JIEHU_DATABASE_URL": url, "JIEHU_LOG_FORMAT": "console"}
    made = await asyncio.to_thread(_jiehu, "backup", str(tmp_path / "backup"), "--data-dir", str(data_dir), env=env)
    assert made.returncode == 0, made.stderr
    assert "backed up into" in made.stdout and "1 petitions (1 open)" in made.stdout
    again = await asyncio.to_thread(_jiehu, "backup", str(tmp_path / "backup"), "--data-dir", str(data_dir), env=env)
    assert again.returncode == 2 and "not empty" in again.stderr
    done = await asyncio.to_thread(_jiehu, "restore", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "b"),
                                   env=env)
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stdout and "next transaction id" in done.stdout
    assert (tmp_path / "b" / "temporal" / "temporal.db").is_file()
    refused = await asyncio.to_thread(_jiehu, "restore", str(tmp_path / "backup"), "--data-dir",
                                      str(tmp_path / "b"), env=env)
    assert refused.returncode == 2 and "empty data dir" in refused.stderr


async def test_a_tampered_log_is_not_backed_up_unless_as_evidence_and_its_restore_says_so(source, demo_org, tmp_path):
    """A fresh tester's findings: a backup sealed a new anchor over a tampered log without a word, a restore into a
    data dir never checked the audit chain (its help said it did), a hand-edited manifest gave a KeyError traceback
    and a failed backup left a half-written directory."""
    url, pool, temporal = source
    queue = f"tq-{uuid.uuid4()}"
    temporal_a = await _connect(temporal.address)
    async with petition_worker(temporal_a, pool, queue):
        reported = await PetitionClient(temporal_a, queue).report(report(demo_org))
    data_dir = temporal.data_dir.parent
    env = {"JIEHU_DATABASE_URL": url, "JIEHU_LOG_FORMAT": "console"}
    good = await asyncio.to_thread(_jiehu, "backup", str(tmp_path / "good"), "--data-dir", str(data_dir), env=env)
    assert good.returncode == 0, good.stderr
    manifest = json.loads((tmp_path / "good" / "manifest.json").read_text())
    assert manifest["audit"] == {"intact": True, "findings": []}
    # a manifest edited by hand: a clean refusal, not a traceback
    edited = tmp_path / "edited"
    shutil.copytree(tmp_path / "good", edited)
    (edited / "manifest.json").write_text(json.dumps({k: v for k, v in manifest.items() if k != "log"}))
    refused = await asyncio.to_thread(_jiehu, "restore", str(edited), "--data-dir", str(tmp_path / "e"), env=env)
    assert refused.returncode == 2 and "not a whole manifest" in refused.stderr and "Traceback" not in refused.stderr
    # a target that is a file: one line, and nothing half-written beside it
    (tmp_path / "a-file").write_text("x")
    into_file = await asyncio.to_thread(_jiehu, "backup", str(tmp_path / "a-file"), "--data-dir", str(data_dir),
                                        env=env)
    assert into_file.returncode == 2 and "Traceback" not in into_file.stderr, into_file.stderr
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]

    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute("UPDATE events SET data = jsonb_set(data, '{description}', '\"篡改\"') "
                           "WHERE stream_id = $1 AND version = 1", reported.id)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    tampered = await asyncio.to_thread(_jiehu, "backup", str(tmp_path / "t"), "--data-dir", str(data_dir), env=env)
    assert tampered.returncode == 2 and "the log is not intact" in tampered.stderr, tampered.stderr
    assert not (tmp_path / "t").exists() and not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    evidence = await asyncio.to_thread(_jiehu, "backup", str(tmp_path / "t"), "--data-dir", str(data_dir),
                                       "--even-if-tampered", env=env)
    assert evidence.returncode == 0 and "not intact" in evidence.stderr, evidence.stderr
    assert json.loads((tmp_path / "t" / "manifest.json").read_text())["audit"]["intact"] is False
    restored = await asyncio.to_thread(_jiehu, "restore", str(tmp_path / "t"), "--data-dir", str(tmp_path / "r"),
                                       env=env)
    assert restored.returncode == 1 and "TAMPERED: the restored log is not intact" in restored.stderr, \
        restored.stderr
    assert f"EDITED: {reported.id} v1" in restored.stderr
