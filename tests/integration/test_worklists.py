"""Every piece of work sits in somebody's list (issue 10, part 3), through the API on real services."""

from __future__ import annotations

from domain import commands as cmd
from stack.workers import department_worker
from tests.integration.api_client import bearer, search_tag
from tests.integration.helpers import report, staff
from tests.integration.test_durability import wait_for


async def _all(caller, path: str = "/v1/queue") -> dict:
    """Every item of a worklist, through its pages (other tests fill the same lists)."""
    first = (await caller.get(path, params={"limit": 200})).json()
    items, cursor = first["items"], first["next_cursor"]
    while cursor:
        page = (await caller.get(path, params={"limit": 200, "cursor": cursor})).json()
        items, cursor = items + page["items"], page["next_cursor"]
    return first | {"items": items}


async def test_a_returned_order_is_on_the_dispatch_desks_worklists_with_a_deadline(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report(description="退单工作台"))["id"]
    returned = await grid.act(pid, "return", {"reason": "职能不符"})
    assert returned["status"] == "returned" and returned["redispatch_due"] and returned["desk_code"] == "rencheng"
    assert returned["next_due"] == returned["redispatch_due"]

    for who in (as_("dispatcher", "rencheng"), as_("dispatcher", "rc-yuehe")):  # district and street desks
        queue = await _all(who)
        assert queue["kind"] == "redispatch"
        item = next(i for i in queue["items"] if i["petition"]["id"] == pid)
        assert item["kind"] == "redispatch" and 0 < item["seconds_to_redispatch"] <= 86_400 * 4
        assert queue["open_count"] >= 1
    for who in (as_("dispatcher", "rc-jiyang"), as_("dispatcher", "yanzhou")):  # other desks: not theirs
        assert pid not in [i["petition"]["id"] for i in (await _all(who))["items"]]
    # and no longer in the grid's own list
    assert pid not in [i["petition"]["id"] for i in (await _all(grid))["items"]]

    await as_("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": "rc-yuehe-yuehe-g1"})
    assert pid not in [i["petition"]["id"] for i in (await _all(as_("dispatcher", "rencheng")))["items"]]
    assert pid in [i["petition"]["id"] for i in (await _all(as_("grid_worker", "rc-yuehe-yuehe-g1")))["items"]]


async def test_the_redispatch_deadline_warns_and_breaches_on_the_wall_clock(running, org, pool):
    r = report(org, policy="fast")  # fast: 8 s to re-dispatch, the yellow card at half of it
    await running.report(r)
    await running.send(r.petition_id, cmd.Return(actor=staff(org, r.grid_code), reason="职能不符"))

    async def breached():
        return await pool.fetchrow("SELECT deadline_state, redispatch_due FROM petitions WHERE id = $1 "
                                   "AND deadline_state = 'overdue'", r.petition_id)

    row = await wait_for(breached, timeout=40)
    assert row["redispatch_due"] is not None
    events = await pool.fetch("SELECT type, data FROM events WHERE stream_id = $1 ORDER BY version", r.petition_id)
    cards = [(e["type"], e["data"]["deadline"], e["data"]["unit_code"]) for e in events
             if e["type"] in ("DeadlineWarned", "DeadlineBreached")]
    assert cards == [("DeadlineWarned", "redispatch", "rencheng"), ("DeadlineBreached", "redispatch", "rencheng")]


async def test_return_visitors_list_what_waits_for_a_visit_with_attempts(as_):
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    pid = (await grid.report(description="回访工作台"))["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已清运"})
    queue = await _all(visitor)
    assert queue["kind"] == "return_visit"
    item = next(i for i in queue["items"] if i["petition"]["id"] == pid)
    assert item["visit_attempts"] == 0 and item["seconds_to_visit"] > 0
    assert item["petition"]["reporter_phone"] == "13805371234"  # the visitor calls the resident
    await visitor.act(pid, "return-visit", {"outcome": "unreachable"})
    item = next(i for i in (await _all(visitor))["items"] if i["petition"]["id"] == pid)
    assert item["visit_attempts"] == 1
    assert pid not in [i["petition"]["id"] for i in (await _all(as_("return_visitor", "yanzhou")))["items"]]
    await visitor.act(pid, "return-visit", {"outcome": "satisfied"})
    assert pid not in [i["petition"]["id"] for i in (await _all(visitor))["items"]]


async def test_sorting_by_deadline_drops_no_petition(as_):
    grid, street = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("street_staff", "rc-yuehe")
    tag = search_tag()
    resolved = (await grid.report(description=f"排序 {tag} resolved"))["id"]
    await grid.act(resolved, "accept")
    await grid.act(resolved, "resolve", {"result": "已处理"})
    returned = (await grid.report(description=f"排序 {tag} returned"))["id"]
    await grid.act(returned, "return", {"reason": "职能不符"})
    closed = (await grid.report(description=f"排序 {tag} closed"))["id"]
    await as_("dispatcher", "rencheng").act(closed, "close", {"outcome": "withdrawn", "explanation": "撤回"})
    open_ = (await grid.report(description=f"排序 {tag} open", urgency="urgent"))["id"]

    async def ids(**params) -> list[str]:
        response = await street.get("/v1/petitions", params={"q": tag, "limit": 2} | params)
        assert response.status_code == 200, response.text
        page = response.json()
        found, cursor = [p["id"] for p in page["items"]], page["next_cursor"]
        while cursor:
            page = (await street.get("/v1/petitions", params={"q": tag, "limit": 2, "cursor": cursor} | params)).json()
            found, cursor = found + [p["id"] for p in page["items"]], page["next_cursor"]
        return found

    assert await ids(status="resolved", sort="deadline") == [resolved]
    by_deadline = await ids(sort="deadline")
    # urgent: accept within the hour; re-dispatch within a working day; the visit within 3; closed: no clock
    assert sorted(by_deadline) == sorted(await ids(sort="newest")) and len(by_deadline) == 4
    assert by_deadline[0] == open_ and by_deadline[-1] == closed


async def test_reporters_follow_what_they_reported_with_the_data_they_entered(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    reported = await grid.report(category="elderly_care", description="独居老人需要助餐")
    assert reported["reporter_phone"] == "13805371234"  # what they typed, not masked
    pid = reported["id"]
    row = await grid.get(f"/v1/petitions/{pid}")
    assert row.status_code == 200 and row.json()["reporter_phone"] == "13805371234"
    events = (await grid.get(f"/v1/petitions/{pid}/events")).json()
    assert events[0]["data"]["reporter_phone"] == "13805371234"
    mine = (await grid.get("/v1/petitions", params={"mine": "true", "category": "elderly_care"})).json()["items"]
    assert pid in [p["id"] for p in mine]
    # a colleague of the same grid did not report it, and the order starts above the grid
    colleague = bearer("grid_worker", "rc-yuehe-taibai-g1", subject="another-grid-worker")
    assert (await grid.http.get(f"/v1/petitions/{pid}", headers=colleague)).status_code == 404
    listed = (await grid.http.get("/v1/petitions", params={"mine": "true"}, headers=colleague)).json()["items"]
    assert pid not in [p["id"] for p in listed]


async def test_a_department_order_nobody_picked_up_shows_as_pending(as_, pool, temporal_env):
    grid, department = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("department_staff", "rencheng-civil-affairs")
    pid = (await grid.report(description="送达待取"))["id"]
    await grid.act(pid, "return", {"reason": "需民政局"})
    dispatched = await as_("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": "rencheng-civil-affairs"})
    assert dispatched["delivery_pending_since"] is not None
    item = next(i for i in (await _all(department))["items"] if i["petition"]["id"] == pid)
    assert item["delivery_pending_since"] == dispatched["delivery_pending_since"]

    async with department_worker(temporal_env.client, "rencheng-civil-affairs", pool=pool):
        async def delivered():
            row = (await department.get(f"/v1/petitions/{pid}")).json()
            return row if row["delivery_pending_since"] is None else None

        await wait_for(delivered, timeout=30)
    types = [e["type"] for e in (await department.get(f"/v1/petitions/{pid}/events")).json()]
    assert types.count("WorkOrderDelivered") == 1


async def test_requests_waiting_for_the_rung_above_are_on_its_worklist(as_):
    grid, community = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("community_staff", "rc-yuehe-taibai")
    extension = (await grid.report(description="待审批 延期"))["id"]
    await grid.act(extension, "accept")
    asked = await grid.act(extension, "extension-request", {"duration": {"whole_working_days": 1}, "reason": "协调"})
    assert asked["pending_decision"] == "extension" and asked["overseer_code"] == "rc-yuehe-taibai"
    pause = (await grid.report(description="待审批 暂停"))["id"]
    await grid.act(pause, "pause", {"reason": "等待群众"})

    waiting = {i["petition"]["id"]: i for i in (await _all(community))["items"]}
    assert waiting[extension]["kind"] == "decision" and waiting[pause]["kind"] == "decision"
    assert waiting[pause]["petition"]["pending_decision"] == "pause"
    own = [i for i in (await _all(grid))["items"] if i["petition"]["id"] in (extension, pause)]
    assert {i["kind"] for i in own} == {"work_order"}  # still the grid's work orders too
    neighbour = await _all(as_("community_staff", "rc-yuehe-yuehe"))
    assert extension not in [i["petition"]["id"] for i in neighbour["items"]]

    await community.act(extension, "extension-decision", {"approve": True})
    await community.act(pause, "pause", {"approve": False})
    left = [i["petition"]["id"] for i in (await _all(community))["items"]]
    assert extension not in left and pause not in left


async def test_a_returned_order_of_a_company_serving_two_streets_is_only_on_its_own_streets_desk(as_):
    """A second fresh-eyes trial (issue 10): pc-hongfan serves 太白社区 (越河街道) and 九九花园社区 (仙营街道);
    an order it returned showed, unmasked, on 仙营街道's dispatcher queue."""
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report(description="物业退单"))["id"]
    await grid.act(pid, "return", {"reason": "物业职责"})
    await as_("dispatcher", "rc-yuehe").act(pid, "dispatch", {"unit_code": "pc-hongfan"})
    await as_("property_staff", "pc-hongfan").act(pid, "return", {"reason": "非本小区"})
    assert pid in [i["petition"]["id"] for i in (await _all(as_("dispatcher", "rc-yuehe")))["items"]]
    assert pid not in [i["petition"]["id"] for i in (await _all(as_("dispatcher", "rc-xianying")))["items"]]
