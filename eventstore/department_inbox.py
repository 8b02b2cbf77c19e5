"""The department inbox: work orders a department worker took off its task queue (`jiehu dept-worker`),
for departments without a system of their own. The one gate to `department_inbox`."""

from __future__ import annotations

from typing import Any

import asyncpg


async def record_delivery(pool: asyncpg.Pool, delivery_id: str, department: str, petition_id: str,
                          payload: dict[str, Any]) -> None:
    """Keep one delivered work order (`payload`: the order as JSON); a redelivery of `delivery_id` is a no-op."""
    await pool.execute(
        "INSERT INTO department_inbox (delivery_id, department, petition_id, payload) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (delivery_id) DO NOTHING",
        delivery_id, department, petition_id, payload,
    )
