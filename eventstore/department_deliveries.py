"""Deliveries of work orders to department systems (migration 020): the one gate to `department_deliveries`.

The webhook adapter records every attempt of a work order's POST (`delivery_id`, the same on each retry):
how many, since when, the last result and error, and when the department's system took it. The petition's
view reads them (`GET /v1/petitions/{id}`, `deliveries`), so an operator or the department's liaison sees
a system that refuses or does not answer long before the undelivered alert fires. Not a read model of the
log: nothing of it is an event (the petition's workflow, and so its recorded histories, are unchanged).
"""

from __future__ import annotations

from typing import Any

import asyncpg

DELIVERED = "delivered"
_COLUMNS = ("delivery_id, petition_id, department, attempts, failures, first_attempt_at, last_attempt_at, "
            "last_result, last_error, last_failed_at, delivered_at")


async def record_attempt(pool: asyncpg.Pool, delivery_id: str, petition_id: str, department: str,
                         result: str, error: str = "") -> None:
    """Count one attempt of `delivery_id` and its `result` (`delivered`, `refused`, `unreachable`,
    `unconfigured`); a failure keeps its `error`, a delivery keeps the first time it succeeded."""
    failed = result != DELIVERED
    await pool.execute(
        "INSERT INTO department_deliveries AS d (delivery_id, petition_id, department, attempts, failures, "
        "last_result, last_error, last_failed_at, delivered_at) "
        "VALUES ($1, $2, $3, 1, $4::int, $5, $6, CASE WHEN $7 THEN now() END, CASE WHEN $7 THEN NULL ELSE now() END) "
        "ON CONFLICT (delivery_id) DO UPDATE SET attempts = d.attempts + 1, failures = d.failures + $4::int, "
        "last_attempt_at = now(), last_result = $5, "
        "last_error = CASE WHEN $7 THEN $6 ELSE d.last_error END, "
        "last_failed_at = CASE WHEN $7 THEN now() ELSE d.last_failed_at END, "
        "delivered_at = coalesce(d.delivered_at, CASE WHEN $7 THEN NULL ELSE now() END)",
        delivery_id, petition_id, department, int(failed), result, error, failed)


async def deliveries_of(pool: asyncpg.Pool, petition_id: str) -> list[dict[str, Any]]:
    """The petition's work orders POSTed to department systems, newest first."""
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM department_deliveries WHERE petition_id = $1 "
                            "ORDER BY first_attempt_at DESC, delivery_id DESC", petition_id)
    return [dict(r) for r in rows]
