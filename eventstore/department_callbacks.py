"""Signed callbacks of department systems already received (migration 018): the one gate to
`department_callbacks`, which refuses a callback id a department has used before."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def claim_callback(pool: asyncpg.Pool, department: str, callback_id: str, petition_id: str,
                         action: str) -> datetime | None:
    """Record the callback as received; None if it is the first with this id from `department`, else when
    the first one was received (concurrent twins: exactly one of them gets None)."""
    first = await pool.fetchval(
        "INSERT INTO department_callbacks (department, callback_id, petition_id, action) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (department, callback_id) DO NOTHING RETURNING received_at",
        department, callback_id, petition_id, action)
    if first is not None:
        return None
    received: datetime | None = await pool.fetchval(
        "SELECT received_at FROM department_callbacks WHERE department = $1 AND callback_id = $2",
        department, callback_id)
    return received


async def release_callback(pool: asyncpg.Pool, department: str, callback_id: str) -> None:
    """Forget a callback that was refused or failed, so that the department may send it again."""
    await pool.execute("DELETE FROM department_callbacks WHERE department = $1 AND callback_id = $2",
                       department, callback_id)
