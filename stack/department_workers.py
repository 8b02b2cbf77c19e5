"""Department workers (a composition root's part): which adapter serves a department's task queue, and the
webhook workers `jiehu worker` keeps in step with the org data.

A department's work orders wait on `dept-<code>` (docs/department-contract.md). `delivery: webhook`
departments are served here, one Temporal worker each, POSTing through `WebhookAdapter`; `worker`
departments run `jiehu dept-worker` (or their own Temporal worker); `api` departments have no worker:
their staff open the orders in the API, which records the hand-over.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
import httpx
import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.department import DepartmentAdapter, InboxAdapter
from activities.department_webhook import WebhookAdapter
from config.settings import Settings
from eventstore.department_deliveries import record_attempt
from eventstore.petition_queries import is_confidential, work_order_waits
from org.model import DepartmentSystem, OrgTree
from org.repository import load_org
from stack.workers import department_worker
from workflows.inputs import WorkOrderDelivery

log = structlog.get_logger(__name__)
ORG_POLL_SECONDS = 30.0  # a department switched to (or from) a webhook is served within this time


def department_adapter(department: str, system: DepartmentSystem, settings: Settings, pool: asyncpg.Pool,
                       http: httpx.AsyncClient) -> DepartmentAdapter:
    """The webhook adapter for a `webhook` department, else the inbox table (`department_inbox`)."""
    if system.delivery == "webhook":
        async def confidential(petition_id: str) -> bool:
            return await is_confidential(pool, petition_id)

        async def record(order: WorkOrderDelivery, result: str, error: str) -> None:
            await record_attempt(pool, order.delivery_id, order.petition_id, department, result, error)

        async def waits(petition_id: str) -> bool:
            return await work_order_waits(pool, petition_id, department)

        return WebhookAdapter(department, system, settings.department_keys.get(department, {}), http, confidential,
                              record=record, waits=waits)
    return InboxAdapter(pool)


@dataclass
class _Serving:
    system: DepartmentSystem
    worker: Worker
    task: asyncio.Task[None]


class WebhookWorkers:
    """A worker on `dept-<code>` for every `delivery: webhook` department of the org, started and stopped
    as the org data changes (`sync`), all sharing one HTTP client."""

    def __init__(self, client: Client, pool: asyncpg.Pool, settings: Settings) -> None:
        self._client, self._pool, self._settings = client, pool, settings
        self._http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        self._serving: dict[str, _Serving] = {}

    @property
    def departments(self) -> list[str]:
        return sorted(self._serving)

    async def sync(self, org: OrgTree) -> None:
        """Serve exactly the webhook departments of `org`, each with its current url and keys."""
        wanted = {code: unit.system for code, unit in org.units.items()
                  if unit.system is not None and unit.system.delivery == "webhook"}
        for code in [c for c, s in self._serving.items() if wanted.get(c) != s.system]:
            await self._stop(code)
        for code, system in wanted.items():
            if code not in self._serving:
                adapter = department_adapter(code, system, self._settings, self._pool, self._http)
                worker = department_worker(self._client, code, adapter)
                self._serving[code] = _Serving(system, worker, asyncio.create_task(worker.run()))
                log.info("serving a department's webhook", department=code, url=system.url)

    async def run(self, stop: asyncio.Event, interval: float = ORG_POLL_SECONDS) -> None:
        """Follow the stored org until `stop` is set, then stop every worker."""
        try:
            while not stop.is_set():
                try:
                    await self.sync(await load_org(self._pool))
                except (asyncpg.PostgresError, OSError) as error:  # the database is away: keep serving
                    log.warning("department webhooks not re-read", error=str(error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)
        finally:
            await self.close()

    async def close(self) -> None:
        for code in list(self._serving):
            await self._stop(code)
        await self._http.aclose()

    async def _stop(self, code: str) -> None:
        serving = self._serving.pop(code)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving.worker.shutdown(), 10)
        serving.task.cancel()
        with contextlib.suppress(BaseException):
            await serving.task
