"""Signed callbacks of department systems already received (migrations 018, 020): the one gate to
`department_callbacks`, which refuses a callback id a department has used before, for as long as it keeps
it (`retention`: past it, a replay is refused by its signed timestamp instead)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg


async def claim_callback(pool: asyncpg.Pool, department: str, callback_id: str, petition_id: str,
                         action: str, retention: timedelta) -> datetime | None:
    """Record the callback as received; None if it is the first with this id from `department`, else when
    the first one was received (concurrent twins: exactly one of them gets None).

    The same statement forgets every callback received more than `retention` ago (an index probe when there
    is none), except one with this very id, which is still refused until another callback purges it."""
    first = await pool.fetchval(
        "WITH forgotten AS (DELETE FROM department_callbacks WHERE received_at < now() - $5::interval "
        "AND NOT (department = $1 AND callback_id = $2)) "
        "INSERT INTO department_callbacks (department, callback_id, petition_id, action) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (department, callback_id) DO NOTHING RETURNING received_at",
        department, callback_id, petition_id, action, retention)
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
