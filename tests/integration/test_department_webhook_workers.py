"""Who serves a webhook department, on the real stack: `jiehu worker`'s webhook workers follow the org data
while jiehu runs (`WebhookWorkers.run`), and `jiehu dept-worker --dept X` serves a webhook department on its
own. The department's system is a real HTTP server on loopback (test_department_webhooks.FakeDepartment)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from api.main import create_app
from config.settings import Settings
from org.model import DepartmentSystem, OrgTree
from org.repository import save_org
from services.signatures import KEY_ID, verify
from stack.department_workers import WebhookWorkers
from stack.workers import petition_worker
from tests.integration.api_client import SECRET, Caller
from tests.integration.test_department_webhooks import KEYS, FakeDepartment, _async
from tests.integration.test_durability import wait_for

SWITCHED = "rencheng-heating"  # switched to a webhook and back while jiehu runs (no other test uses it)
CLI_DEPT = "rencheng-statistics"  # served by `jiehu dept-worker` (no other test uses it)


def _with_webhook(org: OrgTree, code: str, url: str) -> OrgTree:
    system = DepartmentSystem(delivery="webhook", url=url, keys=tuple(KEYS))
    return org.model_copy(update={"units": org.units | {code: org.units[code].model_copy(update={"system": system})}})


async def _save(pool, org: OrgTree) -> None:
    async with pool.acquire() as conn:
        await save_org(conn, org)


@pytest.fixture
async def department() -> AsyncIterator[FakeDepartment]:
    fake = FakeDepartment()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
async def api(temporal_env, postgres, pool, org, task_queue) -> AsyncIterator[dict]:
    """The API (fast policy) and a petition worker; no department is served by anything yet."""
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET, policy="fast",
                        department_keys={SWITCHED: KEYS, CLI_DEPT: KEYS},
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    try:
        async with petition_worker(temporal_env.client, pool, task_queue), app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:
                yield {"as": lambda role, unit: Caller(http, role, unit), "settings": settings}
    finally:
        await _save(pool, org)


async def _order_at(api: dict, unit_code: str) -> str:
    grid = api["as"]("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report(description="暖气不热，室温不足十度"))["id"]
    await grid.act(pid, "return", {"reason": "需部门处理"})
    await api["as"]("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": unit_code})
    return pid


async def _delivered(api: dict, pid: str) -> bool:
    row = (await api["as"]("dispatcher", "rencheng").get(f"/v1/petitions/{pid}")).json()
    return row["delivery_pending_since"] is None


async def test_webhook_workers_follow_the_org_data_while_jiehu_runs(temporal_env, pool, org, api, department):
    interval = 0.5
    webhooks = WebhookWorkers(temporal_env.client, pool, api["settings"])
    stop = asyncio.Event()
    following = asyncio.create_task(webhooks.run(stop, interval=interval))
    try:
        waiting = await _order_at(api, SWITCHED)  # an `api` department: its order waits on its queue
        await asyncio.sleep(3 * interval)
        assert SWITCHED not in webhooks.departments and department.orders_of(waiting) == []
        assert not await _delivered(api, waiting)

        switched_at = time.monotonic()
        await _save(pool, _with_webhook(org, SWITCHED, department.url))  # as `jiehu org load` does
        await wait_for(lambda: _async(SWITCHED in webhooks.departments), timeout=10)
        assert time.monotonic() - switched_at < interval + 5  # within the re-read interval (and a worker's start)
        [(headers, order)] = await wait_for(lambda: _async(department.orders_of(waiting)), timeout=30)
        assert order["department"] == SWITCHED and headers[KEY_ID.lower()] == "k-2026-07"
        await wait_for(lambda: _delivered(api, waiting), timeout=30)

        await _save(pool, org)  # switched back to the API
        await wait_for(lambda: _async(SWITCHED not in webhooks.departments), timeout=10)
        left = await _order_at(api, SWITCHED)
        await asyncio.sleep(3 * interval)
        assert department.orders_of(left) == [] and not await _delivered(api, left)
        opened = await api["as"]("department_staff", SWITCHED).get(f"/v1/petitions/{left}")  # its staff 查收
        assert opened.json()["delivery_pending_since"] is None
    finally:
        stop.set()
        await asyncio.wait_for(following, 30)
    assert webhooks.departments == []  # run() stops every worker it started


async def test_jiehu_dept_worker_serves_a_webhook_department(temporal_env, postgres, pool, org, api, department,
                                                             tmp_path):
    await _save(pool, _with_webhook(org, CLI_DEPT, department.url))
    output = tmp_path / "dept-worker.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "JIEHU_DATABASE_URL": postgres.url(),
           "JIEHU_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
           "JIEHU_TEMPORAL_SDK_METRICS": "", "JIEHU_DEPARTMENT_KEYS": json.dumps({CLI_DEPT: KEYS})}
    with open(output, "wb") as log:  # noqa: ASYNC230 - a local file, opened once
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jiehu", "dept-worker", "--dept", CLI_DEPT,
            stdout=log, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL, env=env)
    try:
        pid = await _order_at(api, CLI_DEPT)
        [(headers, order)] = await wait_for(lambda: _async(department.orders_of(pid)), timeout=60)
        raw = next(b for h, b in department.received if json.loads(b)["petition_id"] == pid)
        assert verify(headers, raw, {"k-2026-07": KEYS["k-2026-07"]}, time.time()) == "k-2026-07"
        assert order["department"] == CLI_DEPT and order["description"] == "暖气不热，室温不足十度"
        await wait_for(lambda: _delivered(api, pid), timeout=30)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0, output.read_text()
        text = output.read_text()
        assert f"stopped (dept-{CLI_DEPT})" in text and "Traceback" not in text, text
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


pytestmark = pytest.mark.timeout(300)
