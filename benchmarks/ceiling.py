"""Closed loops per second at saturation: jiehu over REST, and bare Temporal, same server, same time."""

from __future__ import annotations

import asyncio
import time
import uuid

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from benchmarks.bare import STEPS, BareLoopWorkflow, bare_noop
from benchmarks.cadres import Cadres


async def jiehu_ceiling(cadres: Cadres, concurrency: int, seconds: float) -> float:
    """Direct loops (report, accept, resolve, satisfied visit) back to back from `concurrency` cadres."""
    deadline, done = time.perf_counter() + seconds, [0]

    async def cadre() -> None:
        while time.perf_counter() < deadline:
            closed = await cadres.petition("direct")  # not `done[0] += await ...`: that loses counts
            done[0] += closed

    began = time.perf_counter()
    await asyncio.gather(*(cadre() for _ in range(concurrency)))
    if cadres.tally.errors:
        print(f"  {len(cadres.tally.errors)} loops failed at saturation, e.g. {cadres.tally.errors[0]}")
    return done[0] / (time.perf_counter() - began)


async def bare_ceiling(client: Client, concurrency: int, seconds: float) -> float:
    """The same number of updates, activities and timers per loop, with no domain, store or API."""
    queue = f"bare-{uuid.uuid4()}"
    deadline, done = time.perf_counter() + seconds, [0]

    async def loop() -> None:
        while time.perf_counter() < deadline:
            start = WithStartWorkflowOperation(BareLoopWorkflow.run, id=f"bare-{uuid.uuid4()}", task_queue=queue,
                                               id_conflict_policy=WorkflowIDConflictPolicy.FAIL)
            await client.execute_update_with_start_workflow(BareLoopWorkflow.step, start_workflow_operation=start)
            handle = await start.workflow_handle()
            for _ in range(STEPS - 1):
                await handle.execute_update(BareLoopWorkflow.step)
            await handle.result()
            done[0] += 1

    async with Worker(client, task_queue=queue, workflows=[BareLoopWorkflow], activities=[bare_noop]):
        began = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        return done[0] / (time.perf_counter() - began)
