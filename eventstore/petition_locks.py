"""Petition locks: operations that change two petitions together (a merge; a caller linked while a merge may
run) take them one at a time, across every API process. PostgreSQL session advisory locks, keyed by the
petition id; taken in id order (no two lockers wait on each other), held on one connection for the
operation, released at its end (and by the pool's reset if the process dies with it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import asyncpg

from domain.errors import InvalidState

_SPACE = 7_311_953  # the advisory-lock key space of petitions (the other key: hashtext of the petition id)


class PetitionBusy(InvalidState):
    """Another change to one of these petitions did not end in time (409; try again)."""

    code = "petition_busy"


@asynccontextmanager
async def petition_locks(pool: asyncpg.Pool, petition_ids: Iterable[str], wait: float = 15.0) -> AsyncIterator[None]:
    """Hold the locks of `petition_ids` for the body. Waits up to `wait` seconds, without holding a pooled
    connection while it waits (tries every 50 ms); raises PetitionBusy after that."""
    ids, deadline = sorted(set(petition_ids)), time.monotonic() + wait
    while True:
        conn = await pool.acquire()
        taken: list[str] = []
        try:
            for pid in ids:
                if not await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))", _SPACE, pid):
                    break
                taken.append(pid)
            if len(taken) == len(ids):
                try:
                    yield
                finally:
                    await _unlock(conn, taken)
                return
            await _unlock(conn, taken)
        finally:
            await pool.release(conn)
        if time.monotonic() >= deadline:
            raise PetitionBusy(f"another change to {', '.join(ids)} is still running; try again")
        await asyncio.sleep(0.05)


async def _unlock(conn: asyncpg.Connection, ids: list[str]) -> None:
    for pid in reversed(ids):
        await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", _SPACE, pid)
