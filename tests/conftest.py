"""Session-wide real services: an embedded PostgreSQL and a Temporal dev server with time skipping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment

from config.reference_data import DEMO_ORG
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from org.loader import load_org_file
from org.model import OrgTree
from org.repository import save_org
from stack.embedded import EmbeddedPostgres, free_port, temporal_binary


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", free_port(), durable=False)
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="session")
async def pool(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(postgres.url(), max_size=20)
    async with pool.acquire() as conn:
        await migrate(conn)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def demo_org() -> OrgTree:
    return load_org_file(Path(str(DEMO_ORG)))


@pytest_asyncio.fixture(scope="session")
async def org(pool: asyncpg.Pool, demo_org: OrgTree) -> OrgTree:
    async with pool.acquire() as conn:
        await save_org(conn, demo_org)
    return demo_org


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping_v2(
        # each test decides when time jumps (fast_forward); nothing skips on its own
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=[
            "--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true",
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"
