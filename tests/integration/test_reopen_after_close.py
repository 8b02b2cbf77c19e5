"""结案后重办 through the API (issue 11, section 6): a resident calls again about a closed petition."""

from __future__ import annotations

import asyncio

from domain import commands as cmd
from domain.policy import Span
from tests.integration.helpers import DISPATCHER, report
from workflows.client import PetitionClient

AGAIN = {"reason": "居民再次来电: 垃圾又堆起来了", "contact_name": "陈秀英", "contact_phone": "13805379999"}


async def _closed(as_) -> str:
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已清运"})
    assert (await visitor.act(pid, "return-visit", {"outcome": "satisfied"}))["status"] == "closed"
    return pid


async def _queue_of(caller) -> list[str]:
    """Every petition id on the caller's worklist, page by page: the session's database is shared, and the
    grid holds more stale orders (their deadlines long past) than one page shows before a fresh one."""
    ids, params = [], {"limit": 200}
    while True:
        page = (await caller.get("/v1/queue", params=params)).json()
        ids += [i["petition"]["id"] for i in page["items"]]
        if not page["next_cursor"]:
            return ids
        params = {"limit": 200, "cursor": page["next_cursor"]}


async def test_a_dispatcher_reopens_a_closed_petition_and_the_loop_runs_again(as_, temporal_env):
    pid = await _closed(as_)
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    reopened = await as_("dispatcher", "rencheng").act(pid, "reopen", AGAIN)
    assert reopened["status"] == "dispatched" and reopened["unit_code"] == "rc-yuehe-taibai-g1"
    assert reopened["reopens"] == 1 and reopened["closed_at"] is None and reopened["accept_due"]
    # a new run of the petition's workflow holds it, with fresh clocks; the grid's queue lists it
    description = await temporal_env.client.get_workflow_handle(pid).describe()
    assert description.status.name == "RUNNING"
    assert pid in await _queue_of(grid)
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已再次清运"})
    closed = await visitor.act(pid, "return-visit", {"outcome": "satisfied"})
    assert closed["status"] == "closed" and closed["reopens"] == 1
    events = (await as_("admin", "").get(f"/v1/petitions/{pid}/events")).json()
    types = [e["type"] for e in events]
    assert types.count("PetitionClosed") == 2 and types.count("ReturnVisitRecorded") == 2
    [again] = [e["data"] for e in events if e["type"] == "PetitionReopened"]
    assert again["after_close"] and again["contact_phone"] == "13805379999"
    # the caller's contact is personal data: masked like the reporter for roles that do not call residents
    seen_by_street = (await as_("street_staff", "rc-yuehe").get(f"/v1/petitions/{pid}/events")).json()
    [masked] = [e["data"] for e in seen_by_street if e["type"] == "PetitionReopened"]
    assert (masked["contact_name"], masked["contact_phone"]) == ("陈**", "138****9999")
    # the handling unit's final record counts the reopen
    final = [e["data"]["record"] for e in events if e["type"] == "UnitEvaluated"][-1]
    assert final["unit_code"] == "rc-yuehe-taibai-g1" and final["reopens"] == 1


async def test_who_may_reopen_and_where(as_):
    pid = await _closed(as_)
    grid = await as_("grid_worker", "rc-yuehe-taibai-g1").post(f"/v1/petitions/{pid}/reopen", AGAIN)
    assert (grid.status_code, grid.json()["code"]) == (403, "role_not_allowed")
    elsewhere = await as_("dispatcher", "yanzhou").post(f"/v1/petitions/{pid}/reopen", AGAIN)
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "out_of_scope")
    missing = await as_("dispatcher", "rencheng").post("/v1/petitions/JH-none/reopen", AGAIN)
    assert missing.status_code == 404
    bad_phone = await as_("dispatcher", "rencheng").post(f"/v1/petitions/{pid}/reopen",
                                                         {**AGAIN, "contact_phone": "12"})
    assert bad_phone.status_code == 422 and "contact_phone" in bad_phone.text
    # an open petition is not reopened this way
    open_pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report())["id"]
    still_open = await as_("supervisor", "rencheng").post(f"/v1/petitions/{open_pid}/reopen", AGAIN)
    assert still_open.status_code == 409 and "not closed" in still_open.json()["detail"]
    # the other commands on a closed petition still answer 409 petition_closed
    urged = await as_("supervisor", "rencheng").post(f"/v1/petitions/{pid}/urge", {"note": "再催"})
    assert (urged.status_code, urged.json()["code"]) == (409, "petition_closed")


async def _closed_under(temporal_env, task_queue, org, window: Span | None) -> str:
    """A petition reported under rules with `window` to reopen after close, then closed as withdrawn."""
    petitions = PetitionClient(temporal_env.client, task_queue)
    first = report(org)
    first = first.model_copy(update={"rules": first.rules.model_copy(update={"reopen_after_close": window})})
    await petitions.report(first)
    await petitions.send(first.petition_id, cmd.Close(actor=DISPATCHER, outcome="not_government_responsibility",
                                                      explanation="私人纠纷"))
    return first.petition_id


async def test_outside_the_window_or_under_older_rules_the_reopen_is_refused(as_, temporal_env, task_queue, org):
    dispatcher = as_("dispatcher", "rencheng")
    old = await _closed_under(temporal_env, task_queue, org, None)
    refused = await dispatcher.post(f"/v1/petitions/{old}/reopen", AGAIN)
    assert refused.status_code == 409 and "do not allow reopening" in refused.json()["detail"]
    late = await _closed_under(temporal_env, task_queue, org, Span(seconds=1, clock="natural"))
    await asyncio.sleep(1.5)
    refused = await dispatcher.post(f"/v1/petitions/{late}/reopen", AGAIN)
    assert refused.status_code == 409 and "could be reopened until" in refused.json()["detail"]
    # a refused reopen starts no new run: the petition stays closed
    assert (await dispatcher.get(f"/v1/petitions/{late}")).json()["status"] == "closed"


async def test_a_new_petition_may_follow_a_closed_one_and_the_resolving_unit_gets_a_reopen(as_, pool):
    from datetime import datetime

    from domain.workcalendar import CHINA
    from eventstore import evaluation_projection

    pid = await _closed(as_)
    hotline = as_("dispatcher", "rencheng")
    follow = await hotline.report(description="居民再次来电: 垃圾又堆起来了", follows=pid)
    assert follow["follows"] == pid and follow["status"] == "dispatched"
    events = (await hotline.get(f"/v1/petitions/{follow['id']}/events")).json()
    [link] = [e["data"] for e in events if e["type"] == "FollowUpReported"]
    assert link == {**link, "follows": pid, "unit_code": "rc-yuehe-taibai-g1"}
    async with pool.acquire() as conn:
        await evaluation_projection.catch_up(conn)
    admin = as_("admin", "")
    month = f"{datetime.now(CHINA):%Y-%m}"
    facts = (await admin.get("/v1/scorecards/rc-yuehe-taibai-g1/petitions", params={"period": month})).json()
    [fact] = [f for f in facts if f["petition_id"] == pid]
    assert fact["follow_ups"] == 1
    card = (await admin.get("/v1/scorecards", params={"period": month, "unit": "rc-yuehe-taibai-g1"})).json()
    [card] = card["cards"]
    assert card["follow_ups"] >= 1 and card["reopens"] >= card["follow_ups"]

    # what may be followed: a petition the caller sees (404), closed (409)
    elsewhere = await as_("dispatcher", "yanzhou").post("/v1/petitions", {
        "category": "sanitation", "description": "再次来电", "grid_code": "yz-gulou-fuqian-g1", "follows": pid})
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "petition_not_found")
    still_open = await hotline.post("/v1/petitions", {"category": "sanitation", "description": "再次来电",
                                                      "grid_code": "rc-yuehe-taibai-g1", "follows": follow["id"]})
    assert (still_open.status_code, still_open.json()["code"]) == (409, "followed_petition_open")
