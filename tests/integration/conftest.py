"""A petition worker per test, on its own task queue."""

from __future__ import annotations

import pytest

from jiehu.temporal import petition_worker
from workflows.client import PetitionClient


@pytest.fixture
async def running(temporal_env, pool, org, task_queue):
    async with petition_worker(temporal_env.client, pool, task_queue):
        yield PetitionClient(temporal_env.client, task_queue)
