"""Read what the checks need from the stack once the faults are over: the log, the read model, the running
workflows' own state, a rebuild of the read model, the audit chain and the notifications.

benchmarks/ may read the tables directly (tests/unit/test_sql_rooms.py exempts it): the checks should not
trust the code they check to read for them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.client import Client

from benchmarks.faults.cadres import Journal
from benchmarks.faults.invariants import Snapshot, no_deadline_missed
from eventstore.audit import verify as audit_verify
from eventstore.petition_projection import verify as rebuild_verify
from workflows.petition import PetitionWorkflow

SLACK = timedelta(seconds=25)  # settle until nothing is more than GRACE (30 s) minus this overdue


async def read_events(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every event of the log (stream_id, version, event_id, type, data, metadata), in log order."""
    rows = await pool.fetch("SELECT stream_id, version, event_id, type, data, metadata FROM events ORDER BY position")
    return [dict(r) for r in rows]


async def take(pool: asyncpg.Pool, client: Client, journal: Journal, hub: Counter[str]) -> Snapshot:
    """The snapshot the invariants check, read now."""
    before = await read_events(pool)
    rows = {r["id"]: dict(r) for r in await pool.fetch("SELECT id, status, version, level, unit_code FROM petitions")}
    open_ids = [pid for pid, row in rows.items() if row["status"] != "closed"]
    versions = await workflow_versions(client, open_ids)
    events = await read_events(pool)  # again: the streams that moved meanwhile are compared as moving
    last = {e["stream_id"]: e["version"] for e in before}
    moving = {e["stream_id"] for e in events if e["version"] > last.get(e["stream_id"], 0)}
    async with pool.acquire() as conn:
        differs = await rebuild_verify(conn)
        for _ in range(3):  # a row that differed because its petition moved during the rebuild differs no more
            if not differs:
                break
            await asyncio.sleep(3)
            differs = [pid for pid in await rebuild_verify(conn) if pid in differs]
        audit = await audit_verify(conn)
    notifications = [dict(r) for r in await pool.fetch(
        "SELECT delivery_id, event_id, audience, unit_code, role, channel, address FROM notifications")]
    return Snapshot(events=events, rows=rows, workflow_versions=versions, rebuild_differs=differs,
                    audit_findings=[f"{f.kind}: {f.where}: {f.detail}" for f in audit.findings],
                    notifications=notifications, hub=Counter(hub), commands=list(journal.commands),
                    now=datetime.now(UTC), petitions=list(journal.petitions), moving=moving)


async def workflow_versions(client: Client, petition_ids: list[str]) -> dict[str, int]:
    """The version each running petition workflow reports (query), 8 at a time; a workflow that is not running
    (closed, continued) is left out."""
    found: dict[str, int] = {}
    gate = asyncio.Semaphore(8)

    async def one(pid: str) -> None:
        async with gate:
            handle = client.get_workflow_handle(pid)
            try:
                description = await handle.describe()
                if description.status is None or description.status.name != "RUNNING":
                    return
                state = await handle.query(PetitionWorkflow.state)
            except Exception:  # noqa: BLE001 - a workflow that ended between describe and query
                return
            found[pid] = state.version

    await asyncio.gather(*(one(pid) for pid in petition_ids))
    return found


async def settle(pool: asyncpg.Pool, within: float) -> float:
    """Wait (up to `within` s) until no deadline of any petition is more than 5 s overdue: the timers caught up
    after the last fault. Returns the seconds waited."""
    began = asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - began < within:
        snapshot = Snapshot(events=await read_events(pool), rows={}, workflow_versions={}, rebuild_differs=[],
                            audit_findings=[], notifications=[], hub=Counter(), commands=[],
                            now=datetime.now(UTC) + SLACK)
        if not no_deadline_missed(snapshot):
            break
        await asyncio.sleep(2)
    return asyncio.get_running_loop().time() - began

