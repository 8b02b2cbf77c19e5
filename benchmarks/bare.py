"""Bare Temporal: a workflow that makes the same updates, activities and timers as a petition's
direct loop (report, accept, resolve, return visit) and does nothing else. The baseline for
jiehu's closed-loop rate on the same server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

STEPS = 4  # report, accept, resolve, return visit


@activity.defn(name="bare_noop")
async def bare_noop(step: int) -> int:
    return step


@workflow.defn
class BareLoopWorkflow:
    @workflow.init
    def __init__(self) -> None:
        self.steps = 0
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self) -> int:
        while self.steps < STEPS:
            try:  # a deadline timer, like a petition's, re-armed after every step
                await workflow.wait_condition(lambda: self.steps >= STEPS, timeout=timedelta(hours=1))
            except TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.steps

    @workflow.update
    async def step(self) -> int:
        async with self.lock:
            # a local activity, as jiehu appends its events
            await workflow.execute_local_activity(bare_noop, self.steps, start_to_close_timeout=timedelta(seconds=30))
            self.steps += 1
            return self.steps
