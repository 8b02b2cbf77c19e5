"""查收: a department's staff opening a work order in the API is its hand-over, when no system of the
department took it first (issue 13 §5). Reading the petition or its events, or sending a command on it,
counts as opening it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import structlog
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from domain import commands as cmd
from domain.model import Actor
from workflows.client import PetitionClient

log = structlog.get_logger(__name__)
OPENING_SECONDS = 3.0  # a read does not wait longer for a worker that is down; the opening may still land later


def awaits_opening(row: dict[str, Any], actor: Actor) -> bool:
    """The caller is staff of the unit holding the petition, and its work order waits for a hand-over."""
    return (row.get("delivery_pending_since") is not None and row.get("status") != "closed"
            and bool(row.get("unit_code")) and row["unit_code"] == actor.unit_code)


async def record_opening(petitions: PetitionClient, row: dict[str, Any], actor: Actor) -> bool:
    """Record that `actor` opened the work order of `row` (a `WorkOrderDelivered` naming them) if it waits
    for its hand-over; `row` then shows it delivered. Never fails the read or command it comes with: a
    refusal, an unreachable Temporal or a petition worker that does not answer within OPENING_SECONDS
    leaves it as it is. True when the workflow refused because the petition moved on since `row` was read
    (the department's system confirmed the order meanwhile, say): a read should then read the row again."""
    if not awaits_opening(row, actor):
        return False
    try:
        # an update id of its own: the request's id names the command that may follow in the same request
        async with asyncio.timeout(OPENING_SECONDS):
            await petitions.send(row["id"], cmd.OpenWorkOrder(actor=actor), update_id=f"open-{uuid.uuid4()}")
    except WorkflowUpdateFailedError as refused:
        log.info("work order opening not recorded", petition_id=row["id"], error=str(refused.cause or refused))
        return True
    except (RPCError, TimeoutError) as error:
        log.info("work order opening not recorded", petition_id=row["id"], error=str(error))
        return False
    row["delivery_pending_since"] = None
    return False
