"""Department systems over signed webhooks, and departments that work in the API (issue 13 §4–§5), on the
real stack: the department's system is a fake, a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
import pytest

from api.main import create_app
from config.settings import Settings
from observability import metrics
from org.model import DepartmentSystem
from org.repository import save_org
from services.department_callbacks import CALLBACK_ID_RETENTION
from services.gauges import OrgLevels, refresh_once
from services.signatures import DELIVERY, KEY_ID, SIGNATURE, TIMESTAMP, signed_headers, verify
from stack.department_workers import WebhookWorkers
from stack.embedded import free_port
from stack.workers import petition_worker
from tests.integration.api_client import SECRET, Caller
from tests.integration.test_durability import wait_for

WEBHOOK_DEPT, API_DEPT = "rencheng-urban-management", "rencheng-water"
KEYS = {"k-2026-07": "new-secret-0123456789", "k-2026-01": "old-secret-0123456789"}  # the first listed signs


class FakeDepartment:
    """A department's own system: records each POST it takes (headers, body) and answers `status` (202, or
    what a test sets); down until `start`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 202
        self.refused = 0  # POSTs answered with a status that is not 2xx
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jiehu/orders"

    def start(self) -> None:
        received, fake = self.received, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                status = fake.status
                if 200 <= status < 300:
                    received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                else:
                    fake.refused += 1
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def orders_of(self, petition_id: str) -> list[tuple[dict[str, str], dict]]:
        return [(h, json.loads(b)) for h, b in self.received if json.loads(b)["petition_id"] == petition_id]


@pytest.fixture
def department() -> Iterator[FakeDepartment]:
    fake = FakeDepartment()
    yield fake
    fake.stop()


@pytest.fixture
async def stack(temporal_env, postgres, pool, org, task_queue, department) -> AsyncIterator[dict]:
    """The API (fast policy) and workers, with WEBHOOK_DEPT served by a webhook to the fake department."""
    system = DepartmentSystem(delivery="webhook", url=department.url, keys=tuple(KEYS))
    webhook_org = org.model_copy(update={"units": org.units | {
        WEBHOOK_DEPT: org.units[WEBHOOK_DEPT].model_copy(update={"system": system})}})
    async with pool.acquire() as conn:
        await save_org(conn, webhook_org)
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET, policy="fast",
                        department_keys={WEBHOOK_DEPT: KEYS},
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    webhooks = WebhookWorkers(temporal_env.client, pool, settings)
    try:
        async with petition_worker(temporal_env.client, pool, task_queue), app.router.lifespan_context(app):
            await webhooks.sync(webhook_org)
            assert webhooks.departments == [WEBHOOK_DEPT]
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:
                yield {"http": http, "as": lambda role, unit: Caller(http, role, unit), "org": webhook_org}
    finally:
        await webhooks.close()
        async with pool.acquire() as conn:
            await save_org(conn, org)


async def _order_at(stack: dict, unit_code: str) -> str:
    """A petition reported at a grid, returned, and dispatched to the department `unit_code`."""
    grid = stack["as"]("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report(description="井盖破损，夜间行人易绊倒"))["id"]
    await grid.act(pid, "return", {"reason": "需部门处理"})
    await stack["as"]("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": unit_code})
    return pid


async def _events(stack: dict, pid: str) -> list[dict]:
    response = await stack["as"]("dispatcher", "rencheng").get(f"/v1/petitions/{pid}/events")
    return response.json()


def _signed(body: dict, key_id: str = "k-2026-01", secret: str | None = None, at: float | None = None
            ) -> tuple[bytes, dict[str, str]]:
    raw = orjson.dumps(body)
    headers = signed_headers(key_id, secret or KEYS[key_id], int(time.time() if at is None else at), raw)
    return raw, headers | {"content-type": "application/json"}


async def _callback(stack: dict, body: dict, **signing) -> httpx.Response:
    raw, headers = _signed(body, **signing)
    return await stack["http"].post(f"/v1/departments/{WEBHOOK_DEPT}/callbacks", content=raw, headers=headers)


async def test_the_department_system_gets_the_order_signed_and_answers_by_signed_callbacks(stack, department):
    department.start()
    pid = await _order_at(stack, WEBHOOK_DEPT)
    [(headers, order)] = await wait_for(lambda: _async(department.orders_of(pid)), timeout=30)
    raw = next(b for h, b in department.received if json.loads(b)["petition_id"] == pid)
    assert headers[KEY_ID.lower()] == "k-2026-07"  # the first key listed signs
    assert verify(headers, raw, {"k-2026-07": KEYS["k-2026-07"]}, time.time()) == "k-2026-07"
    assert headers[SIGNATURE.lower()].startswith("v1=") and headers[TIMESTAMP.lower()].isdigit()
    assert order["event"] == "work_order" and order["department"] == WEBHOOK_DEPT
    assert headers[DELIVERY.lower()] == order["delivery_id"] and order["delivery_id"].startswith(f"{pid}@")
    assert order["description"] == "井盖破损，夜间行人易绊倒" and order["confidential"] is False

    async def delivered():
        return [e for e in await _events(stack, pid) if e["type"] == "WorkOrderDelivered"]

    [receipt] = await wait_for(delivered, timeout=30)
    assert receipt["data"]["opened_by"] is None  # the system took it, nobody opened it

    accept = {"callback_id": f"cb-{pid}-1", "petition_id": pid, "action": "accept", "operator": "王建国"}
    wrong = await _callback(stack, accept, secret="not-the-secret")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_signature")
    assert wrong.headers["content-type"] == "application/problem+json"
    stale = await _callback(stack, accept, at=time.time() - 600)
    assert (stale.status_code, stale.json()["code"]) == (401, "stale_timestamp")
    unknown = await _callback(stack, accept, key_id="k-1999", secret="x")
    assert (unknown.status_code, unknown.json()["code"]) == (401, "invalid_signature")
    unsigned = await stack["http"].post(f"/v1/departments/{WEBHOOK_DEPT}/callbacks", json=accept)
    assert unsigned.status_code == 401
    accepted = await _callback(stack, accept)  # the old key still signs while the key rotates
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    replayed = await _callback(stack, accept)  # the same callback id, signed afresh
    assert (replayed.status_code, replayed.json()["code"]) == (409, "callback_replayed")

    progress = {"callback_id": f"cb-{pid}-2", "petition_id": pid, "action": "progress", "operator": "王建国",
                "note": "已派维修班组"}
    assert (await _callback(stack, progress, key_id="k-2026-07")).status_code == 200
    resolve = {"callback_id": f"cb-{pid}-3", "petition_id": pid, "action": "resolve", "operator": "王建国",
               "result": "已更换井盖", "evidence_urls": ["https://water.example/photos/1.jpg"]}
    bad = await _callback(stack, resolve | {"callback_id": f"cb-{pid}-x", "evidence_urls": ["javascript:x"]})
    assert bad.status_code == 422
    resolved = await _callback(stack, resolve)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    events = await _events(stack, pid)
    [done] = [e for e in events if e["type"] == "PetitionResolved"]
    assert done["data"]["actor"]["name"] == "王建国" and done["data"]["actor"]["unit_code"] == WEBHOOK_DEPT
    assert done["data"]["evidence_urls"] == ["https://water.example/photos/1.jpg"]


async def test_callbacks_are_refused_for_other_departments_and_other_petitions(stack, department):
    other = await _order_at(stack, API_DEPT)  # held by another department
    body = {"callback_id": f"cb-{other}", "petition_id": other, "action": "accept", "operator": "王建国"}
    response = await _callback(stack, body)
    assert (response.status_code, response.json()["code"]) == (403, "out_of_scope")
    again = await _callback(stack, body)  # refused, so its id was not used up
    assert (again.status_code, again.json()["code"]) == (403, "out_of_scope")
    raw, headers = _signed(body)
    no_system = await stack["http"].post(f"/v1/departments/{API_DEPT}/callbacks", content=raw, headers=headers)
    assert (no_system.status_code, no_system.json()["code"]) == (404, "unknown_department")
    bad_action = await _callback(stack, body | {"action": "close"})
    assert (bad_action.status_code, bad_action.json()["code"]) == (422, "validation_error")
    assert bad_action.json()["errors"][0]["message"].startswith("action: one of accept, progress, resolve, return")
    unknown_field = await _callback(stack, body | {"callback_id": f"cb-{other}-f", "urgent": True})
    assert (unknown_field.status_code, unknown_field.json()["errors"][0]["field"]) == (422, "accept.urgent")
    url = f"/v1/departments/{WEBHOOK_DEPT}/callbacks"
    for raw in (b"not json", b"{" + b" " * 70_000 + b"}"):  # signed, but not JSON; over 64 KiB
        headers = signed_headers("k-2026-07", KEYS["k-2026-07"], int(time.time()), raw)
        refused = await stack["http"].post(url, content=raw, headers=headers | {"content-type": "application/json"})
        assert (refused.status_code, refused.json()["code"]) == ((422, "validation_error") if len(raw) < 100
                                                                 else (413, "body_too_large")), refused.text


async def test_the_department_system_down_and_back_while_the_deadline_runs(stack, department):
    pid = await _order_at(stack, WEBHOOK_DEPT)  # the fake department is not listening yet

    async def accept_breached():
        return [e for e in await _events(stack, pid) if e["type"] == "DeadlineBreached"
                and e["data"]["unit_code"] == WEBHOOK_DEPT]

    await wait_for(accept_breached, timeout=40)  # fast policy: the deadline runs while the system is down
    row = (await stack["as"]("dispatcher", "rencheng").get(f"/v1/petitions/{pid}")).json()
    assert row["delivery_pending_since"] is not None
    assert department.orders_of(pid) == []
    refused = metrics.WEBHOOK_DELIVERIES.labels(WEBHOOK_DEPT, "unreachable")._value.get()
    assert refused >= 1
    department.start()
    [(_headers, order)] = await wait_for(lambda: _async(department.orders_of(pid)), timeout=60)

    async def delivered():
        return [e for e in await _events(stack, pid) if e["type"] == "WorkOrderDelivered"]

    await wait_for(delivered, timeout=30)
    assert len(department.orders_of(pid)) == 1 and order["petition_id"] == pid


async def test_a_department_without_a_system_picks_its_order_up_by_opening_it(stack, pool, temporal_env):
    pid = await _order_at(stack, API_DEPT)
    staff = stack["as"]("department_staff", API_DEPT)
    queue = (await staff.get("/v1/queue", params={"limit": 200})).json()
    [item] = [i for i in queue["items"] if i["petition"]["id"] == pid]
    assert item["delivery_pending_since"] is not None and item["seconds_waiting_for_delivery"] >= 0
    await refresh_once(pool, temporal_env.client, OrgLevels())
    assert metrics.UNDELIVERED.labels(API_DEPT)._value.get() >= 1
    assert metrics.UNDELIVERED_OLDEST.labels(API_DEPT)._value.get() >= 0

    opened = (await staff.get(f"/v1/petitions/{pid}")).json()  # 查收: opening it is the hand-over
    assert opened["delivery_pending_since"] is None
    await staff.get(f"/v1/petitions/{pid}")  # a second reading records nothing more
    receipts = [e for e in await _events(stack, pid) if e["type"] == "WorkOrderDelivered"]
    assert len(receipts) == 1
    assert receipts[0]["data"]["opened_by"]["id"] == f"department_staff@{API_DEPT}"
    queue = (await staff.get("/v1/queue", params={"limit": 200})).json()
    [item] = [i for i in queue["items"] if i["petition"]["id"] == pid]
    assert item["delivery_pending_since"] is None and item["seconds_waiting_for_delivery"] is None


async def test_acting_on_an_unopened_order_hands_it_over_first(stack):
    pid = await _order_at(stack, API_DEPT)
    accepted = await stack["as"]("department_staff", API_DEPT).act(pid, "accept")
    assert accepted["status"] == "accepted" and accepted["delivery_pending_since"] is None
    types = [e["type"] for e in await _events(stack, pid)]
    assert types.index("WorkOrderDelivered") < types.index("WorkOrderAccepted")


async def test_a_confidential_petitions_numbers_never_reach_the_department_system(stack, department):
    department.start()
    grid = stack["as"]("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report(confidential=True, description="井盖破损，来电人13912345678，车牌鲁H12345被压",
                             address="太白小区3号楼 身份证370802199001011234"))["id"]
    await grid.act(pid, "return", {"reason": "需部门处理"})
    await stack["as"]("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": WEBHOOK_DEPT})
    [(_headers, order)] = await wait_for(lambda: _async(department.orders_of(pid)), timeout=30)
    raw = next(b for h, b in department.received if json.loads(b)["petition_id"] == pid).decode()
    assert order["confidential"] is True
    assert order["description"] == "井盖破损，来电人[已隐去]，车牌[已隐去]被压"
    assert order["address"] == "太白小区3号楼 身份证[已隐去]"
    for secret in ("13912345678", "鲁H12345", "370802199001011234", "陈秀英", "13805371234"):
        assert secret not in raw  # nor the reporter, whom no order carries
    assert "reporter_name" not in order and "reporter_phone" not in order


async def test_the_department_system_returns_asks_for_time_and_escalates_by_signed_callbacks(stack, department):
    department.start()
    pid = await _order_at(stack, WEBHOOK_DEPT)
    returned = await _callback(stack, {"callback_id": f"cb-{pid}-return", "petition_id": pid, "action": "return",
                                       "operator": "王建国", "reason": "不属本局职责，应由住建局处理"})
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned" and returned.json()["redispatch_due"] is not None
    [back] = [e for e in await _events(stack, pid) if e["type"] == "WorkOrderReturned"
              and e["data"]["unit_code"] == WEBHOOK_DEPT]
    assert back["data"]["reason"] == "不属本局职责，应由住建局处理" and back["data"]["actor"]["name"] == "王建国"
    blank = await _callback(stack, {"callback_id": f"cb-{pid}-blank", "petition_id": pid, "action": "return",
                                    "operator": "王建国", "reason": "\u3000 "})
    assert (blank.status_code, blank.json()["code"]) == (422, "validation_error")
    assert [e["field"] for e in blank.json()["errors"]] == ["return.reason"]

    # sent back to the department (终审): a second return is refused, and its id is not used up
    await stack["as"]("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": WEBHOOK_DEPT})
    again = {"callback_id": f"cb-{pid}-return-2", "petition_id": pid, "action": "return", "operator": "王建国",
             "reason": "仍不属本局"}
    for _ in range(2):
        final = await _callback(stack, again)
        assert (final.status_code, final.json()["code"]) == (409, "invalid_state"), final.text
        assert "终审" in final.json()["detail"]

    accept = {"callback_id": f"cb-{pid}-accept", "petition_id": pid, "action": "accept", "operator": "王建国"}
    assert (await _callback(stack, accept)).status_code == 200
    ask = {"callback_id": f"cb-{pid}-ext", "petition_id": pid, "action": "extension-request", "operator": "王建国",
           "reason": "需协调供水公司停水检修"}
    wrong_unit = await _callback(stack, ask | {"duration": {"whole_working_days": 1}})
    assert (wrong_unit.status_code, wrong_unit.json()["code"]) == (422, "invalid_command"), wrong_unit.text
    assert wrong_unit.json()["detail"].startswith("duration: this petition's extensions count in seconds")
    asked = await _callback(stack, ask | {"duration": {"seconds": 5}})
    assert asked.status_code == 200, asked.text
    assert asked.json()["pending_decision"] == "extension"
    [requested] = [e for e in await _events(stack, pid) if e["type"] == "ExtensionRequested"]
    assert requested["data"]["reason"] == "需协调供水公司停水检修" and requested["data"]["actor"]["name"] == "王建国"

    # a district department is the top rung: jiehu says so, as it does through the API
    escalate = {"callback_id": f"cb-{pid}-up", "petition_id": pid, "action": "escalate", "operator": "王建国",
                "reason": "涉及多部门，需区政府协调"}
    top = await _callback(stack, escalate)
    assert (top.status_code, top.json()["code"]) == (409, "invalid_state"), top.text
    assert "top of the ladder" in top.json()["detail"]
    missing = await _callback(stack, escalate | {"callback_id": f"cb-{pid}-up-2", "reason": ""})
    assert missing.status_code == 422


async def test_every_delivery_attempt_shows_on_the_petition(stack, department):
    department.status = 503  # up, but refusing
    department.start()
    pid = await _order_at(stack, WEBHOOK_DEPT)
    reader = stack["as"]("department_staff", WEBHOOK_DEPT)  # the department's liaison

    async def failing():
        [delivery] = (await stack["as"]("dispatcher", "rencheng").get(f"/v1/petitions/{pid}")).json()["deliveries"] \
            or [None]
        return delivery if delivery is not None and delivery["failures"] >= 2 else None

    delivery = await wait_for(failing, timeout=30)
    assert delivery["last_result"] == "refused" and delivery["last_error"] == "answered HTTP 503"
    assert delivery["delivered_at"] is None and delivery["department"] == WEBHOOK_DEPT
    assert delivery["delivery_id"].startswith(f"{pid}@") and delivery["attempts"] == delivery["failures"]
    department.status = 200

    async def delivered():
        [row] = (await stack["as"]("dispatcher", "rencheng").get(f"/v1/petitions/{pid}")).json()["deliveries"]
        return row if row["delivered_at"] is not None else None

    done = await wait_for(delivered, timeout=60)
    assert done["last_result"] == "delivered" and done["attempts"] == done["failures"] + 1
    assert done["last_error"] == "answered HTTP 503" and done["first_attempt_at"] == delivery["first_attempt_at"]
    seen = (await reader.get(f"/v1/petitions/{pid}")).json()
    assert seen["deliveries"][0]["delivered_at"] is not None and seen["delivery_pending_since"] is None


async def test_used_callback_ids_are_forgotten_once_their_replay_is_refused_by_its_timestamp(stack, pool):
    pid = await _order_at(stack, WEBHOOK_DEPT)
    await pool.execute(
        "INSERT INTO department_callbacks (department, callback_id, petition_id, action, received_at) "
        "VALUES ($1, $2, $3, 'accept', now() - interval '2 days'), ($1, $4, $3, 'accept', now() - interval '1 hour')",
        WEBHOOK_DEPT, f"old-{pid}", pid, f"recent-{pid}")
    accept = {"callback_id": f"cb-{pid}", "petition_id": pid, "action": "accept", "operator": "王建国"}
    assert (await _callback(stack, accept)).status_code == 200
    kept = await pool.fetch("SELECT callback_id FROM department_callbacks WHERE petition_id = $1", pid)
    assert sorted(r["callback_id"] for r in kept) == [f"cb-{pid}", f"recent-{pid}"]
    left = await pool.fetchval("SELECT count(*) FROM department_callbacks WHERE received_at < now() - "
                               "$1::interval", CALLBACK_ID_RETENTION)
    assert left == 0
    # the forgotten id's replay: its signed timestamp is as old as it, and refused for that
    progress = {"callback_id": f"old-{pid}", "petition_id": pid, "action": "progress", "operator": "王建国",
                "note": "重放"}
    replayed = await _callback(stack, progress, at=time.time() - 2 * 86_400)
    assert (replayed.status_code, replayed.json()["code"]) == (401, "stale_timestamp")


async def _async(value):
    await asyncio.sleep(0)
    return value


pytestmark = pytest.mark.timeout(300)

