"""Return visits by SMS survey on the real stack (issue 13 §6): the survey goes through the fake SMS gateway
(a real HTTP server on loopback) when a petition is resolved; a reply of "3" posted to the signed inbound
webhook is the visit and reopens the petition; an unanswered survey and an unclear reply fall to the human
return visitors, who record their visit by phone.

The policy is `fast` with a longer return-visit window (120 s) and a survey window of 20 s, so that a test
can see the survey waiting, then falling to a person, before the visit's own window closes the petition. (At
8 s, a loaded machine's full run could pass the window before the test's reply arrived: a flake.)"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
import yaml

from activities.notification_channels import Channels
from api.main import create_app
from config.notifications import load_notification_rules
from config.reference_data import DATA
from config.settings import Settings
from services.notifier import DeliveryTiming, Notifier
from services.signatures import signed_headers
from stack.workers import notification_worker, petition_worker
from tests.integration.api_client import OPEN311_KEY, REPORT, SECRET, Caller
from tests.integration.fake_receivers import FakeReceiver
from tests.integration.test_durability import wait_for

KEYS = {"gw-2026": "sms-gateway-inbound-secret-0123"}
CONSOLE = "http://console.jiehu.test"


@pytest.fixture
def survey_policy(tmp_path: Path) -> str:
    raw = yaml.safe_load((DATA / "policies" / "fast.yaml").read_text("utf-8"))
    raw["name"] = "fast-survey"
    raw["defaults"]["return_visit"] = {"window": {"seconds": 120}, "attempts": 2, "retry_after": {"seconds": 1},
                                       "survey_window": {"seconds": 20}}
    path = tmp_path / "fast-survey.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return str(path)


@pytest.fixture
async def stack(temporal_env, postgres, pool, org, task_queue, survey_policy) -> AsyncIterator[dict]:
    """The API with inbound keys, a petition worker, the notifier and a delivery worker sending SMS to the
    fake gateway."""
    gateway = FakeReceiver()
    await gateway.start()
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET, policy=survey_policy,
                        sms_inbound_keys=KEYS, open311_api_keys={OPEN311_KEY: "12345热线测试客户端"},
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    channels = Channels(sms_url=gateway.url, sms_api_key="sms-key")
    queue = f"{task_queue}-notify"
    notifier = Notifier(pool, temporal_env.client, load_notification_rules(), task_queue=queue, console_url=CONSOLE,
                        timing=DeliveryTiming(give_up_seconds=120, max_backoff_seconds=1), name=f"n-{task_queue}")
    await notifier.start()
    stop = asyncio.Event()
    async with petition_worker(temporal_env.client, pool, task_queue), app.router.lifespan_context(app), \
            notification_worker(temporal_env.client, pool, queue, channels, CONSOLE):
        task = asyncio.create_task(notifier.run(stop, interval=0.2))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:
            yield {"http": http, "as": lambda role, unit: Caller(http, role, unit), "gateway": gateway}
        stop.set()
        await task
    await channels.aclose()
    await gateway.stop()


def phone() -> str:
    """A number of its own: replies are matched by phone, and other tests' residents share the default one."""
    return f"139{random.randrange(10**8):08d}"


async def resolved(stack: dict, reporter_phone: str) -> tuple[str, dict]:
    """A petition reported, accepted and resolved by its grid; returns its id and the survey the gateway got."""
    grid = stack["as"]("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report(reporter_phone=reporter_phone))["id"]
    await grid.act(pid, "accept")
    answer = await grid.act(pid, "resolve", {"result": "垃圾已清运"})
    assert answer["survey_due"] is not None

    async def surveyed():
        got = [m for m in stack["gateway"].of_petition(pid) if "回复1满意" in m["text"]]
        return got or None

    [survey] = await wait_for(surveyed, timeout=30)
    return pid, survey


async def inbound(stack: dict, body: dict, key: str = "gw-2026", secret: str | None = None,
                  at: int | None = None) -> httpx.Response:
    raw = orjson.dumps(body)
    headers = signed_headers(key, secret or KEYS[key], int(time.time()) if at is None else at, raw)
    return await stack["http"].post("/v1/sms/inbound", content=raw,
                                    headers={**headers, "content-type": "application/json"})


async def queue_item(visitor: Caller, pid: str) -> dict | None:
    items = (await visitor.get("/v1/queue", params={"limit": 200})).json()["items"]
    return next((i for i in items if i["petition"]["id"] == pid), None)


async def test_an_sms_survey_answered_3_reopens_the_petition(stack):
    number = phone()
    pid, survey = await resolved(stack, number)
    assert survey["to"] == number and survey["text"].startswith("【街呼区应】陈**您好") and pid in survey["text"]
    assert "回复1满意 2基本满意 3不满意" in survey["text"] and "陈秀英" not in survey["text"]
    visitor = stack["as"]("return_visitor", "rencheng")
    assert await queue_item(visitor, pid) is None  # the survey waits for the resident: not a person's visit yet
    waiting = (await visitor.get("/v1/queue")).json()["surveys_waiting"]
    assert waiting >= 1  # but the visitors are told it waits (N 件等待群众短信回复)
    assert (await stack["as"]("grid_worker", "rc-yuehe-taibai-g1").get("/v1/queue")).json()["surveys_waiting"] is None

    body = {"message_id": "gw-msg-0001-" + pid, "from": f"+86 {number[:3]} {number[3:7]} {number[7:]}", "text": "３ "}
    assert (await inbound(stack, body, secret="wrong-secret")).json()["code"] == "invalid_signature"
    stale = await inbound(stack, body, at=int(time.time()) - 3600)
    assert (stale.status_code, stale.json()["code"]) == (401, "stale_timestamp")

    answer = await inbound(stack, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"detail": ""} == {
        "message_id": body["message_id"], "outcome": "recorded", "outcome_label": "已记录为短信回访",
        "petition_id": pid, "visit_outcome": "dissatisfied", "detail": "", "duplicate": False}
    again = await inbound(stack, body)  # the gateway retries: the same answer, no second visit
    assert again.json()["duplicate"] is True and again.json()["outcome"] == "recorded"

    petition = (await visitor.get(f"/v1/petitions/{pid}")).json()
    assert (petition["status"], petition["reopens"], petition["unit_code"]) == ("dispatched", 1, "rc-yuehe-taibai-g1")
    assert (petition["visit_outcome"], petition["visit_channel"], petition["visit_channel_label"]) == \
        ("dissatisfied", "sms", "短信回访")
    events = (await visitor.get(f"/v1/petitions/{pid}/events")).json()
    visits = [e["data"] for e in events if e["type"] == "ReturnVisitRecorded"]
    assert len(visits) == 1
    assert visits[0]["channel"] == "sms" and visits[0]["outcome"] == "dissatisfied"
    assert visits[0]["actor"]["id"] == "system@sms-survey" and visits[0]["actor"]["role"] == "return_visitor"
    assert [e["type"] for e in events][-2:] == ["PetitionReopened", "WorkOrderAssigned"]

    assert (await visitor.get("/v1/queue")).json()["surveys_waiting"] == waiting - 1  # answered: no longer waits
    late = await inbound(stack, body | {"message_id": "gw-msg-0002-" + pid, "text": "1"})
    assert late.json()["outcome"] == "too_late"  # the survey of that resolution was answered
    unknown = await inbound(stack, body | {"message_id": "gw-msg-0003-" + pid, "from": phone()})
    assert unknown.json()["outcome"] == "unmatched" and unknown.json()["petition_id"] is None


async def test_an_unanswered_survey_falls_to_a_human_visitor(stack):
    visitor = stack["as"]("return_visitor", "rencheng")
    pid, _survey = await resolved(stack, phone())
    assert await queue_item(visitor, pid) is None

    async def fallen():
        return await queue_item(visitor, pid)

    item = await wait_for(fallen, timeout=60)  # the 20 s window passed without a reply
    assert (item["survey_state"], item["survey_state_label"]) == ("unanswered", "短信未回复")
    assert item["survey_reply"] is None and item["kind"] == "return_visit"
    done = await visitor.act(pid, "return-visit", {"outcome": "satisfied", "note": "电话回访, 群众满意"})
    assert (done["status"], done["visit_channel"], done["visit_outcome"]) == ("closed", "phone", "satisfied")


async def test_an_unclear_reply_is_kept_and_shown_to_the_visitors_and_td_opts_out(stack):
    visitor = stack["as"]("return_visitor", "rencheng")
    number = phone()
    pid, survey = await resolved(stack, number)
    body = {"message_id": "gw-unclear-" + pid, "from": number, "text": "还行吧，就是有点慢",
            "in_reply_to": survey["idempotency_key"]}
    answer = (await inbound(stack, body)).json()
    assert (answer["outcome"], answer["petition_id"], answer["visit_outcome"]) == ("unclear", pid, None)
    item = await queue_item(visitor, pid)  # at once, not after the window
    assert item is not None and item["survey_state"] == "unclear" and item["survey_reply"] == "还行吧，就是有点慢"
    assert (await visitor.get(f"/v1/petitions/{pid}")).json()["status"] == "resolved"  # nothing guessed

    opted = (await inbound(stack, body | {"message_id": "gw-td-" + pid, "text": "TD"})).json()
    assert opted["outcome"] == "opted_out"
    done = await visitor.act(pid, "return-visit", {"outcome": "basically_satisfied", "channel": "on_site"})
    assert (done["status"], done["visit_channel"]) == ("closed", "on_site")
    await asyncio.sleep(1.5)  # the notifier reads the close: the resident asked for no more messages
    assert [m for m in stack["gateway"].of_petition(pid) if "已结案" in m["text"]] == []


async def test_a_resident_who_wants_no_sms_says_so_at_report_and_gets_a_person(stack, pool):
    """Issue 13 §1–§3 leftover: the opt-out given at intake (REST `resident_sms: false`, Open311
    `attribute[resident_sms]=false`) holds from the first message on: no acceptance, no survey."""
    grid, visitor = stack["as"]("grid_worker", "rc-yuehe-taibai-g1"), stack["as"]("return_visitor", "rencheng")
    pid = (await grid.report(reporter_phone=phone(), resident_sms=False))["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "垃圾已清运"})
    item = await queue_item(visitor, pid)  # no survey went: the visit is a person's at once
    assert item is not None and item["survey_state"] == "not_sent"
    await asyncio.sleep(1.5)  # the notifier has read the acceptance and the resolution by now
    assert stack["gateway"].of_petition(pid) == []
    notes = (await visitor.get(f"/v1/petitions/{pid}/notifications")).json()
    assert [n for n in notes if n["audience"] == "resident"] == []
    bad = await grid.post("/v1/petitions", {**REPORT, "resident_sms": "no"})
    assert bad.status_code == 422

    form = {"api_key": OPEN311_KEY, "service_code": "sanitation", "description": "垃圾桶满了", "lat": "35.4135",
            "long": "116.5905", "phone": phone(), "attribute[resident_sms]": "false"}
    created = await stack["http"].post("/open311/v2/requests.json", data=form)
    assert created.status_code == 200, created.text
    opened = created.json()[0]["service_request_id"]
    assert await pool.fetchval("SELECT opted_out FROM resident_opt_outs WHERE petition_id = $1", opened) is True
    wrong = await stack["http"].post("/open311/v2/requests.json", data=form | {"attribute[resident_sms]": "nope"})
    assert wrong.status_code == 400 and "resident_sms" in wrong.json()[0]["description"]
