"""Notifications on the real stack (issue 13 §1–§3): units told on assignment, yellow card and breach; the
resident told with the masked template, and not at all after opting out; an SMS gateway down for longer
than a deadline delays the messages, never the petition, and each arrives once."""

from __future__ import annotations

import asyncio

import pytest

from activities.notification_channels import Channels
from config.notifications import load_notification_rules
from domain import commands as cmd
from domain.evaluation import Period
from evaluation.simulate import simulate_month
from services.notifier import DeliveryTiming, Notifier
from stack.workers import notification_worker
from tests.integration.fake_receivers import HUB_SECRET, FakeReceiver
from tests.integration.helpers import event_types, report, staff
from tests.integration.test_durability import wait_for

CONSOLE = "http://console.jiehu.test"


@pytest.fixture
async def receivers():
    sms, hub = FakeReceiver(), FakeReceiver(verify=True)
    await sms.start()
    await hub.start()
    yield sms, hub
    await sms.stop()
    await hub.stop()


@pytest.fixture
async def notifying(temporal_env, pool, org, task_queue, receivers):
    """A notifier (its own checkpoint, starting at the end of the log) and a delivery worker on this test's
    queue, sending to the fake gateway and hub; retries wait at most 1 s and give up after 2 minutes."""
    sms, hub = receivers
    channels = Channels(hub.url, HUB_SECRET, sms.url, "sms-key")
    queue = f"{task_queue}-notify"
    notifier = Notifier(pool, temporal_env.client, load_notification_rules(), task_queue=queue, console_url=CONSOLE,
                        timing=DeliveryTiming(give_up_seconds=120, max_backoff_seconds=1), name=f"n-{task_queue}")
    await notifier.start()
    stop = asyncio.Event()
    async with notification_worker(temporal_env.client, pool, queue, channels, CONSOLE):
        task = asyncio.create_task(notifier.run(stop, interval=0.2))
        yield notifier
        stop.set()
        await task
    await channels.aclose()


def kinds_for(hub: FakeReceiver, petition_id: str, unit: str, audience: str = "holder") -> list[str]:
    return [m["kind"] for m in hub.of_petition(petition_id) if m["unit_code"] == unit and m["audience"] == audience]


async def test_a_unit_is_told_on_assignment_yellow_card_and_breach(running, notifying, receivers, org):
    """Wall clock, fast policy: the grid has 6 s to accept and 8 s to resolve (yellow card at 4 s)."""
    sms, hub = receivers
    r = report(org, policy="fast")
    await running.report(r)
    grid, community = r.grid_code, "rc-yuehe-taibai"

    async def told():
        kinds = kinds_for(hub, r.petition_id, grid)
        return kinds if {"assigned", "warned", "breached"} <= set(kinds) and \
            "assigned" in kinds_for(hub, r.petition_id, community) else None

    kinds = await wait_for(told, timeout=60)
    assert kinds[0] == "assigned"
    assert kinds.index("warned") < kinds.index("breached") or kinds.count("breached") == 2
    assert "breached" in kinds_for(hub, r.petition_id, community, "overseer")  # the rung above is told too
    assert hub.bad_signatures == 0
    [assigned] = [m for m in hub.of_petition(r.petition_id) if m["kind"] == "assigned" and m["unit_code"] == grid]
    assert assigned["role"] == "grid_worker" and assigned["link"] == f"{CONSOLE}/console/petitions/{r.petition_id}"
    assert r.petition_id in assigned["text"] and "（北京时间）" in assigned["text"]
    assert f"{CONSOLE}/console/petitions/{r.petition_id}" in assigned["text"]
    assert "陈秀英" not in str(hub.of_petition(r.petition_id)) and "13805371234" not in str(hub.received)
    ids = [x.headers["x-jiehu-delivery"] for x in hub.received]
    assert len(ids) == len(set(ids))  # each delivery once
    assert sms.of_petition(r.petition_id) == []  # the resident hears of acceptance, not of deadlines


async def test_the_resident_is_told_masked_and_not_after_opting_out(http, as_, notifying, receivers, pool):
    sms, _hub = receivers
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    told = (await grid.report())["id"]
    await grid.act(told, "accept")
    [message] = await wait_for(lambda: _async(sms.of_petition(told)), timeout=30)
    assert message["to"] == "13805371234"
    assert message["text"].startswith("【街呼区应】陈**您好") and told in message["text"]
    assert "陈秀英" not in message["text"] and "太白小区" not in message["text"]
    assert [r.headers["idempotency-key"] for r in sms.received if told in r.body["text"]] == \
        [message["idempotency_key"]]

    async def sent():
        notes = (await visitor.get(f"/v1/petitions/{told}/notifications")).json()
        return notes if any(n["status"] == "sent" and n["audience"] == "resident" for n in notes) else None

    notes = await wait_for(sent, timeout=30)
    resident = [n for n in notes if n["audience"] == "resident"]
    assert resident[0]["recipient"] == "13805371234" and resident[0]["status_label"] == "已发送"
    assert [n["kind"] for n in notes if n["audience"] == "holder"] == ["assigned"]
    masked = (await as_("street_staff", "rc-yuehe").get(f"/v1/petitions/{told}/notifications")).json()
    assert [n["recipient"] for n in masked if n["audience"] == "resident"] == ["138****1234"]

    quiet = (await grid.report())["id"]
    answer = await visitor.put(f"/v1/petitions/{quiet}/resident-notifications", {"sms": False, "reason": "不需要短信"})
    assert answer.status_code == 200, answer.text
    await grid.act(quiet, "accept")
    await grid.act(quiet, "resolve", {"result": "已清运"})

    async def resolved_seen():  # the notifier has read past the resolution
        notes = (await visitor.get(f"/v1/petitions/{quiet}/notifications")).json()
        return notes if notes and await notifying.catch_up() == 0 else None

    notes = await wait_for(resolved_seen, timeout=30)
    assert [n for n in notes if n["audience"] == "resident"] == []
    assert sms.of_petition(quiet) == []
    bad = await visitor.put(f"/v1/petitions/{quiet}/resident-notifications", {"sms": "no"})
    assert bad.status_code == 422


async def _async(value):
    return value


async def test_a_gateway_down_past_a_deadline_delays_messages_not_the_petition(running, notifying, receivers, org,
                                                                                pool):
    """Wall clock, fast policy: the SMS gateway is down while the grid's 8 s resolve deadline passes; the
    petition escalates on time, and both residents' messages (two acceptances) arrive once it is back."""
    sms, _hub = receivers
    await sms.stop()
    r = report(org, policy="fast")
    await running.report(r)
    await running.send(r.petition_id, cmd.Accept(actor=staff(org, r.grid_code)))

    async def escalated():
        return "PetitionEscalated" in await event_types(pool, r.petition_id)

    await wait_for(escalated, timeout=30)
    state = await running.state(r.petition_id)
    assert state.assignment.rung.unit_code == "rc-yuehe-taibai"
    await running.send(r.petition_id, cmd.Accept(actor=staff(org, "rc-yuehe-taibai")))

    async def retrying():
        rows = await pool.fetch("SELECT attempts, last_error, status FROM notifications WHERE petition_id = $1 "
                                "AND audience = 'resident'", r.petition_id)
        return rows if len(rows) == 2 and all(row["attempts"] >= 2 for row in rows) else None

    for row in await wait_for(retrying, timeout=30):
        assert row["status"] == "pending" and row["last_error"]
    assert sms.received == []
    await sms.start()

    async def arrived():
        got = sms.of_petition(r.petition_id)
        return got if len(got) == 2 else None

    got = await wait_for(arrived, timeout=30)
    assert len({m["text"] for m in got}) == 2  # the grid's acceptance and the community's
    await asyncio.sleep(3)  # a duplicate would come within a backoff interval
    assert len(sms.of_petition(r.petition_id)) == 2
    assert len({m["idempotency_key"] for m in got}) == 2
    statuses = await pool.fetch("SELECT status FROM notifications WHERE petition_id = $1 AND audience = 'resident'",
                                r.petition_id)
    assert {s["status"] for s in statuses} == {"sent"}


async def test_history_written_after_the_fact_tells_nobody(notifying, pool, org):
    """A simulated month (events of February 2023 recorded today) is no news: no notification."""
    await simulate_month(pool, org, Period.parse("2023-02"), 12, seed=1302)
    await notifying.catch_up()
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE petition_id LIKE 'SIM202302-%'") == 0
