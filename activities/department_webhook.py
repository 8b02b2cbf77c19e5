"""The webhook adapter: a district department's own system receives its work orders as signed POSTs.

Served by `jiehu worker` on `dept-<code>` for every department whose org data says `delivery: webhook`
(or by `jiehu dept-worker --dept <code>`). The contract the department's system implements is
docs/department-contract.md: the body, the headers, the signature and what its answers mean.

A POST that is not answered 2xx raises, so the activity's retry policy (the workflow's: 2 s doubling
to every 5 minutes, for as long as the order is the department's) retries it while the system is
down; the petition's deadlines never wait for it. Every retry carries the same delivery id and a fresh
timestamp and signature. Every attempt is recorded through `record` (stack: `department_deliveries`,
shown on the petition): its result and, for a failure, a short error without the answer's body.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NoReturn

import httpx
import orjson
import structlog

from domain.masking import masked
from observability import metrics
from org.model import DepartmentSystem
from services.signatures import DELIVERY, signed_headers
from workflows.inputs import WorkOrderDelivery

log = structlog.get_logger(__name__)

EVENT = "work_order"  # the body's `event`: what the POST carries (the only kind so far)
# (order, result, error): one attempt's result (`delivered`, `refused`, `unreachable`, `unconfigured`)
AttemptRecorder = Callable[[WorkOrderDelivery, str, str], Awaitable[None]]


async def _not_recorded(order: WorkOrderDelivery, result: str, error: str) -> None:
    return None


class DepartmentSystemUnavailable(Exception):
    """The department's system did not take the order (no answer, or not 2xx); the activity retries."""


def order_body(order: WorkOrderDelivery, confidential: bool) -> bytes:
    """The JSON body POSTed for `order`: its fields and `event`. A confidential petition's (工单保密) free
    text is masked as the holding unit sees it in the API: numbers in the description and address hidden."""
    payload: dict[str, Any] = {"event": EVENT, **order.model_dump(mode="json"), "confidential": confidential}
    if confidential:
        payload = masked(payload)
    return orjson.dumps(payload)


class WebhookAdapter:
    """POSTs each work order to the department's `system.url`, signed with its first key."""

    def __init__(self, department: str, system: DepartmentSystem, secrets: Mapping[str, str],
                 http: httpx.AsyncClient, confidential: Callable[[str], Awaitable[bool]],
                 clock: Callable[[], float] = time.time, record: AttemptRecorder = _not_recorded,
                 waits: Callable[[str], Awaitable[bool]] | None = None) -> None:
        self._department, self._system, self._secrets = department, system, secrets
        self._http, self._confidential, self._clock, self._record = http, confidential, clock, record
        self._waits = waits  # petition id -> whether the order still waits for the department (None: always)

    async def deliver(self, order: WorkOrderDelivery) -> None:
        """POST `order` signed (HMAC, docs/department-contract.md) to the department's webhook; a 2xx delivers it.
        DepartmentSystemUnavailable (retried) when the URL or key secret is missing, the system is unreachable or
        answers otherwise; each outcome is counted."""
        if self._waits is not None and not await self._waits(order.petition_id):
            # the department answered by callback (accepted, returned) or the order moved on while its system
            # was down: the contract's retries last "as long as the order is yours" (found in a trial: jiehu
            # kept POSTing an order the department had already accepted)
            self._count("not_needed")
            await self._recorded(order, "not_needed", "")
            log.info("work order no longer posted", department=self._department, petition_id=order.petition_id,
                     delivery_id=order.delivery_id)
            return
        url, key_id = self._system.url, self._system.keys[0] if self._system.keys else ""
        secret = self._secrets.get(key_id)
        if not url or secret is None:
            # retried: the order waits (and shows as undelivered) until the key's secret is configured
            await self._failed(order, "unconfigured", f"no url, or no secret for key {key_id!r} in jiehu's "
                                                      "JIEHU_DEPARTMENT_KEYS", "")
        body = order_body(order, await self._confidential(order.petition_id))
        headers = {"content-type": "application/json", DELIVERY: order.delivery_id,
                   **signed_headers(key_id, secret, int(self._clock()), body)}
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except httpx.TimeoutException as error:
            await self._failed(order, "unreachable", f"no answer within {self._http.timeout.read:g} s "
                                                     f"({type(error).__name__})", url)
        except httpx.HTTPError as error:
            await self._failed(order, "unreachable", f"no answer: {type(error).__name__}", url)
        if not response.is_success:
            await self._failed(order, "refused", f"answered HTTP {response.status_code}", url,
                               detail=response.text[:300])
        self._count("delivered")
        await self._recorded(order, "delivered", "")
        log.info("work order posted", department=self._department, petition_id=order.petition_id,
                 delivery_id=order.delivery_id, status=response.status_code)

    async def _failed(self, order: WorkOrderDelivery, result: str, error: str, url: str | None,
                      detail: str = "") -> NoReturn:
        """Count and record a failed attempt, then raise (the activity retries). The recorded error, shown on
        the petition, names neither the url nor the answer's body; the exception (Temporal's UI) does."""
        self._count(result)
        await self._recorded(order, result, error)
        raise DepartmentSystemUnavailable(f"{self._department}: {url or 'no url'}: {error}"
                                          + (f": {detail}" if detail else ""))

    async def _recorded(self, order: WorkOrderDelivery, result: str, error: str) -> None:
        try:  # the record is for people to look at: it never fails or repeats a delivery
            await self._record(order, result, error)
        except Exception as failure:  # whatever it is, the delivery goes on
            log.warning("delivery attempt not recorded", department=self._department,
                        delivery_id=order.delivery_id, error=str(failure))

    def _count(self, result: str) -> None:
        metrics.WEBHOOK_DELIVERIES.labels(self._department, result).inc()
