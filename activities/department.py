"""deliver_work_order: runs on a department's own task queue (`dept-<code>`), in its dept worker.

The adapter is the port to the department's own system. The default adapter records the order in
the department's inbox table, where its staff (or a later integration) pick it up.
"""

from __future__ import annotations

from typing import Protocol

import asyncpg
import structlog
from temporalio import activity

from eventstore.department_inbox import record_delivery
from workflows.inputs import WorkOrderDelivery

log = structlog.get_logger(__name__)


class DepartmentAdapter(Protocol):
    """How a department worker hands a work order to its department's system."""

    async def deliver(self, order: WorkOrderDelivery) -> None:
        """Hand `order` over; raise to have Temporal retry (the order waits on the queue meanwhile)."""


class InboxAdapter:
    """Records the work order in `department_inbox`; a redelivery of the same order is a no-op."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def deliver(self, order: WorkOrderDelivery) -> None:
        """Record `order` in the department's inbox (a redelivery changes nothing)."""
        await record_delivery(self._pool, order.delivery_id, order.department, order.petition_id,
                              order.model_dump(mode="json"))


class DepartmentActivities:
    """The activity a department worker runs on its own `dept-<code>` queue."""

    def __init__(self, department: str, adapter: DepartmentAdapter) -> None:
        self._department = department
        self._adapter = adapter

    @activity.defn(name="deliver_work_order")
    async def deliver_work_order(self, order: WorkOrderDelivery) -> None:
        """Hand `order` to the department's adapter. RuntimeError if the order is another department's (a
        misconfigured worker)."""
        if order.department != self._department:
            # a misconfigured worker must not swallow another department's work
            raise RuntimeError(f"worker of {self._department} received an order for {order.department}")
        await self._adapter.deliver(order)
        log.info("work order delivered", petition_id=order.petition_id, department=order.department,
                 delivery_id=order.delivery_id)
