"""A petition worker per test, on its own task queue."""

from __future__ import annotations

import httpx
import pytest

from api.main import create_app
from config.settings import Settings
from stack.workers import petition_worker
from tests.integration.api_client import OPEN311_KEY, OPEN311_TRUSTED_KEY, SECRET, Caller
from workflows.client import PetitionClient


@pytest.fixture
async def running(temporal_env, pool, org, task_queue):
    async with petition_worker(temporal_env.client, pool, task_queue):
        yield PetitionClient(temporal_env.client, task_queue)


@pytest.fixture
async def http(temporal_env, postgres, pool, org, task_queue):
    """The API in-process, on the test PostgreSQL and Temporal, with a worker on this test's queue."""
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET,
                        open311_api_keys={OPEN311_KEY: "12345热线测试客户端",
                                          OPEN311_TRUSTED_KEY: {"name": "12345平台", "read": "all"}},
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with petition_worker(temporal_env.client, pool, task_queue), app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as client:
            yield client


@pytest.fixture
def as_(http):
    """`as_("grid_worker", "rc-yuehe-taibai-g1")` is that person calling the API."""
    return lambda role, unit: Caller(http, role, unit)


@pytest.fixture
async def fast(temporal_env, postgres, running, task_queue):
    """The API with the fast policy (deadlines of seconds), on this test's worker: `fast(role, unit)` is a caller."""
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET, policy="fast",
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as client:
        yield lambda role, unit: Caller(client, role, unit)
