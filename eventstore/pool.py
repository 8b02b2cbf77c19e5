"""asyncpg pools with JSON(B) decoded by orjson (JSON decoding bounds replay speed)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg
import orjson


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


async def _init(conn: asyncpg.Connection) -> None:
    for name in ("jsonb", "json"):
        await conn.set_type_codec(name, encoder=_dumps, decoder=orjson.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """An asyncpg pool on `dsn` (between `min_size` and `max_size` connections) whose connections decode json and
    jsonb with orjson. Raises asyncpg or OS errors when PostgreSQL cannot be reached."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init)
    assert pool is not None
    return pool


WAIT_SECONDS = 2.0  # between two tries while PostgreSQL cannot be reached


async def create_pool_waiting(dsn: str, *, max_size: int = 10, on_wait: Callable[[str], None] | None = None,
                              stop: asyncio.Event | None = None) -> asyncpg.Pool | None:
    """`create_pool`, waiting while PostgreSQL cannot be reached (refused, starting up, recovering after a crash):
    a worker started while the database restarts carries on once it is back instead of dying (found by the fault
    suite, docs/reliability.md). `on_wait(reason)` is called once, at the first failed try. Returns None when
    `stop` is set first; errors other than "cannot reach it now" (a wrong password, no such database) raise."""
    told = False
    while stop is None or not stop.is_set():
        try:
            return await create_pool(dsn, max_size=max_size)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError) as error:
            if not told and on_wait is not None:
                on_wait(f"{type(error).__name__}: {error}"[:200])
                told = True
        if stop is None:
            await asyncio.sleep(WAIT_SECONDS)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WAIT_SECONDS)
    return None


async def connect(dsn: str) -> asyncpg.Connection:
    """One asyncpg connection on `dsn` decoding json and jsonb with orjson, as the pool's do. The caller closes it."""
    conn = await asyncpg.connect(dsn)
    await _init(conn)
    return conn


async def check_database(pool: asyncpg.Pool) -> None:
    """Raise (asyncpg or OS errors) unless PostgreSQL answers a query on `pool`."""
    await pool.fetchval("SELECT 1")
