"""asyncpg pools with JSON(B) decoded by orjson (JSON decoding bounds replay speed)."""

from __future__ import annotations

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


async def connect(dsn: str) -> asyncpg.Connection:
    """One asyncpg connection on `dsn` decoding json and jsonb with orjson, as the pool's do. The caller closes it."""
    conn = await asyncpg.connect(dsn)
    await _init(conn)
    return conn


async def check_database(pool: asyncpg.Pool) -> None:
    """Raise (asyncpg or OS errors) unless PostgreSQL answers a query on `pool`."""
    await pool.fetchval("SELECT 1")
