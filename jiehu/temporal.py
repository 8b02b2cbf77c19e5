"""Temporal client and worker construction shared by every process."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import PollerBehaviorAutoscaling, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.department import DepartmentActivities, DepartmentAdapter, InboxAdapter
from activities.event_log import EventLogActivities
from eventstore.store import EventStore
from jiehu.reference_data import work_calendar
from workflows.petition import PetitionWorkflow

PASSTHROUGH = ("domain", "eventstore", "jiehu", "workflows", "org", "pydantic", "pydantic_core", "yaml",
               "chinese_calendar", "asyncpg", "structlog", "orjson")


async def connect_temporal(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def petition_worker(client: Client, pool: asyncpg.Pool, task_queue: str) -> Worker:
    """The worker that runs petition workflows and their event-log activities."""
    work_calendar()  # load the calendar files here, outside the workflow sandbox
    log_activities = EventLogActivities(EventStore(pool))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PetitionWorkflow],
        activities=[log_activities.append_events],
        workflow_runner=sandbox_runner(),
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(),
        activity_task_poller_behavior=PollerBehaviorAutoscaling(),
    )


def department_worker(client: Client, department: str, adapter: DepartmentAdapter | None = None,
                      pool: asyncpg.Pool | None = None) -> Worker:
    """A worker serving one department's task queue (`dept-<code>`)."""
    if adapter is None:
        if pool is None:
            raise ValueError("the inbox adapter needs a database pool")
        adapter = InboxAdapter(pool)
    activities = DepartmentActivities(department, adapter)
    return Worker(client, task_queue=f"dept-{department}", activities=[activities.deliver_work_order])
