"""The webhook adapter's record of each attempt (shown on the petition), and the signature examples of
docs/department-contract.md, which an integrator reproduces byte for byte."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from activities.department_webhook import DepartmentSystemUnavailable, WebhookAdapter
from org.model import DepartmentSystem
from services.signatures import signature
from workflows.inputs import WorkOrderDelivery

ORDER = WorkOrderDelivery(delivery_id="P-1@2026-11-23T09:12:44+00:00", petition_id="P-1", department="d",
                          department_name="部门", category="water_supply", description="停水", address="",
                          urgency="normal", accept_due="2026-11-23T10:00:00+00:00",
                          resolve_due="2026-11-30T10:00:00+00:00", cause="assigned")
SYSTEM = DepartmentSystem(delivery="webhook", url="https://d.example/orders", keys=("k1",))


def _adapter(handler, secrets=None, fail_recording: bool = False) -> tuple[WebhookAdapter, list]:
    recorded: list[tuple[str, str]] = []

    async def record(order: WorkOrderDelivery, result: str, error: str) -> None:
        if fail_recording:
            raise OSError("database away")
        recorded.append((result, error))

    async def confidential(petition_id: str) -> bool:
        return False

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=10)
    return WebhookAdapter("d", SYSTEM, {"k1": "s"} if secrets is None else secrets, http, confidential,
                          record=record), recorded


async def test_each_attempt_is_recorded_with_a_short_error_and_never_the_answers_body() -> None:
    answers = iter([httpx.Response(503, text="down: call 13805371234"), httpx.ConnectError("refused"),
                    httpx.ReadTimeout("slow"), httpx.Response(202)])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    adapter, recorded = _adapter(handler)
    for _ in range(3):
        with pytest.raises(DepartmentSystemUnavailable):
            await adapter.deliver(ORDER)
    await adapter.deliver(ORDER)
    assert recorded == [("refused", "answered HTTP 503"), ("unreachable", "no answer: ConnectError"),
                        ("unreachable", "no answer within 10 s (ReadTimeout)"), ("delivered", "")]


async def test_an_unconfigured_department_is_recorded_and_a_failed_record_never_fails_a_delivery() -> None:
    adapter, recorded = _adapter(lambda request: httpx.Response(202), secrets={})
    with pytest.raises(DepartmentSystemUnavailable):
        await adapter.deliver(ORDER)
    assert recorded == [("unconfigured", "no url, or no secret for key 'k1' in jiehu's JIEHU_DEPARTMENT_KEYS")]
    adapter, _ = _adapter(lambda request: httpx.Response(202), fail_recording=True)
    await adapter.deliver(ORDER)  # delivered: the record is only for people to look at


def test_the_contract_pages_signature_examples_hold() -> None:
    page = (Path(__file__).parents[2] / "docs" / "department-contract.md").read_text(encoding="utf-8")
    order = b'{"event":"work_order","petition_id":"P-1"}'
    callback = ('{"callback_id":"WO-88121-accept","petition_id":"P20261123-0007","action":"accept",'
                '"operator":"王建国"}').encode()
    for body, size in ((order, 42), (callback, 105)):
        assert len(body) == size and f"({size} bytes" in page
        assert signature("secret", 1_790_000_000, body).removeprefix("v1=") in page
        assert f"1790000000.{body.decode()}" in page


async def test_an_order_no_longer_waiting_for_the_department_is_not_posted_again() -> None:
    """Found in a trial: the department accepted the order by signed callback while its system answered
    503, and jiehu kept POSTing it; the contract retries only "as long as the order is yours"."""
    posts: list[httpx.Request] = []
    waiting = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        posts.append(request)
        return httpx.Response(503)

    recorded: list[tuple[str, str]] = []

    async def record(order: WorkOrderDelivery, result: str, error: str) -> None:
        recorded.append((result, error))

    async def waits(petition_id: str) -> bool:
        return waiting[0]

    async def confidential(petition_id: str) -> bool:
        return False

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=10)
    adapter = WebhookAdapter("d", SYSTEM, {"k1": "s"}, http, confidential, record=record, waits=waits)
    with pytest.raises(DepartmentSystemUnavailable):
        await adapter.deliver(ORDER)
    waiting[0] = False  # the department accepted it by callback (or it was returned, re-dispatched, closed)
    await adapter.deliver(ORDER)  # the activity's next retry: done, nothing posted
    assert len(posts) == 1 and recorded == [("refused", "answered HTTP 503"), ("not_needed", "")]
