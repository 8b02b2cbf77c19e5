"""Issue 14 §3 end to end on the real stack: 物业110 in Qufu's 鲁城街道 — a call about a compound becomes its
company's work order, the company accepts, resolves and calls back, the return visit closes it and it shows on
the company's quarterly card; an order the company lets lie climbs company → community → the street's 物业办 →
the housing department by its deadlines (time skipping); the compounds and who may take which call."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from domain.evaluation import Period
from domain.workcalendar import CHINA
from stack.workers import department_worker

CALLS = "/v1/property-hotline/calls"
GULOU = "qf-lucheng-gulou-gulouhoujie"  # 鼓楼后街小区, served by the 公益物业 company (pc-qfgongyi)
XIGUAN = "qf-lucheng-gulou-xiguan"  # 西关小区, same community, served by 星河物业 (pc-qfxinghe)
CALL = {"compound": GULOU, "description": "3号楼楼道灯坏了一个月没人修", "address": "3号楼2单元",
        "caller_name": "孔繁荣", "caller_phone": "13905376666", "request_type": "complaint"}
LADDER = ["pc-qfgongyi", "qf-lucheng-gulou", "qf-lucheng-wyb", "qufu-housing"]


def _hours(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 3600


async def test_a_call_becomes_the_companys_order_resolved_called_back_and_on_its_card(as_):
    company, admin = as_("property_staff", "pc-qfgongyi"), as_("admin", "")
    response = await company.post(CALLS, CALL)
    assert response.status_code == 201, response.text
    petition = response.json()
    assert (petition["channel"], petition["compound"], petition["unit_code"], petition["status"]) == (
        "property_hotline", GULOU, "pc-qfgongyi", "dispatched")
    assert petition["grid_code"] == "qf-lucheng-gulou-g1" and petition["address"] == "鼓楼后街小区 3号楼2单元"
    # the company's own deadlines (policy property_company: answer within 1 hour, finish within 48)
    assert abs(_hours(petition["accept_due"], petition["reported_at"]) - 1) < 0.01
    assert abs(_hours(petition["resolve_due"], petition["reported_at"]) - 48) < 0.01
    pid = petition["id"]
    events = (await admin.get(f"/v1/petitions/{pid}/events")).json()
    assert [r["unit_code"] for r in events[0]["data"]["ladder"]] == LADDER
    assert events[0]["data"]["compound"] == GULOU
    # the list filter, and who sees the order: the company and the compound's street, not the other company
    listed = (await admin.get("/v1/petitions", params={"compound": GULOU})).json()["items"]
    assert pid in [p["id"] for p in listed]
    assert pid not in [p["id"] for p in
                       (await admin.get("/v1/petitions", params={"compound": XIGUAN})).json()["items"]]
    assert (await as_("property_staff", "pc-qfxinghe").get(f"/v1/petitions/{pid}")).status_code == 404
    # the company accepts and resolves; its customer service calls back (客服回访) before the official visit
    await company.act(pid, "accept")
    early = await company.post(f"/v1/petitions/{pid}/company-callback", {"outcome": "satisfied"})
    assert early.status_code == 409, early.text  # nothing resolved yet to call back about
    resolved = await company.act(pid, "resolve", {"result": "已更换楼道灯", "evidence_urls": ["https://img.example.cn/l.jpg"]})
    assert resolved["status"] == "resolved"
    called = await company.act(pid, "company-callback", {"outcome": "basically_satisfied", "note": "灯已亮"})
    assert (called["company_callback"], called["status"]) == ("basically_satisfied", "resolved")
    other = await as_("property_staff", "pc-qfxinghe").post(f"/v1/petitions/{pid}/company-callback",
                                                          {"outcome": "satisfied"})
    assert (other.status_code, other.json()["code"]) == (403, "out_of_scope")
    visitor = await as_("return_visitor", "qufu").post(f"/v1/petitions/{pid}/company-callback",
                                                       {"outcome": "satisfied"})
    assert (visitor.status_code, visitor.json()["code"]) == (403, "role_not_allowed")
    # the official return visit (the district's visitors) still closes it
    closed = await as_("return_visitor", "qufu").act(pid, "return-visit", {"outcome": "satisfied"})
    assert (closed["status"], closed["close_outcome"]) == ("closed", "resolved")
    # the company's quarterly card: its 物业110 orders and callbacks, and the scorecard's figures
    quarter = Period.month_of(datetime.now(CHINA)).quarter
    cards = (await company.get(f"/v1/property-rounds/{quarter}/cards")).json()
    assert [c["company_code"] for c in cards] == ["pc-qfgongyi"]  # a company sees its own card only
    [card] = cards
    assert card["hotline_orders"] >= 1 and card["callbacks"] >= 1 and card["callbacks_satisfied"] >= 1
    assert card["received"] >= 1 and card["resolved_in_time"] >= 1 and card["satisfaction_rate"] is not None
    district = (await as_("supervisor", "qufu").get(f"/v1/property-rounds/{quarter}/cards")).json()
    assert [c["company_code"] for c in district] == ["pc-qfgongyi", "pc-qfxinghe"]
    bad = await admin.get("/v1/property-rounds/2026-11/cards")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


async def test_each_compound_goes_to_its_own_company_and_only_its_desks_take_the_call(as_):
    xinghe = await as_("dispatcher", "qufu").post(CALLS, CALL | {"compound": XIGUAN})
    assert xinghe.status_code == 201, xinghe.text
    assert (xinghe.json()["unit_code"], xinghe.json()["grid_code"]) == ("pc-qfxinghe", "qf-lucheng-gulou-g3")
    refused = await as_("property_staff", "pc-qfgongyi").post(CALLS, CALL | {"compound": XIGUAN})
    assert (refused.status_code, refused.json()["code"]) == (403, "out_of_scope")
    office = await as_("street_staff", "qf-lucheng-wyb").post(CALLS, CALL)
    assert office.status_code == 201 and office.json()["unit_code"] == "pc-qfgongyi"
    assert (await as_("dispatcher", "rencheng").post(CALLS, CALL)).status_code == 403
    grid = await as_("grid_worker", "qf-lucheng-gulou-g1").post(CALLS, CALL)
    assert (grid.status_code, grid.json()["code"]) == (403, "role_not_allowed")
    other = await as_("admin", "").post(CALLS, CALL | {"category": "sanitation"})
    assert other.status_code == 422 and "物业110" in other.json()["detail"]
    unknown = await as_("admin", "").post(CALLS, CALL | {"compound": "qf-nowhere"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "compound_not_found")
    anonymous = await as_("admin", "").post(CALLS, CALL | {"anonymous": True})
    assert anonymous.status_code == 422
    # only this route makes property_hotline petitions: the plain report refuses the channel
    plain = await as_("dispatcher", "qufu").post("/v1/petitions", {
        "category": "property_management", "description": "电梯坏了", "grid_code": "qf-lucheng-gulou-g1",
        "channel": "property_hotline"})
    assert (plain.status_code, plain.json()["code"]) == (422, "channel_not_allowed")


async def test_a_confidential_callers_order_is_not_the_companys_to_call_back(as_):
    company = as_("property_staff", "pc-qfgongyi")
    taken = (await as_("dispatcher", "qufu").post(CALLS, CALL | {"confidential": True})).json()
    petition = (await company.get(f"/v1/petitions/{taken['id']}")).json()
    assert petition["reporter_phone"] != CALL["caller_phone"]  # the company never sees a confidential caller
    await company.act(petition["id"], "accept")
    await company.act(petition["id"], "resolve", {"result": "已修复"})
    refused = await company.post(f"/v1/petitions/{petition['id']}/company-callback", {"outcome": "satisfied"})
    assert refused.status_code == 409, refused.text


async def test_the_compounds_and_the_companies_that_serve_them(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    everyone = (await grid.get("/v1/compounds")).json()
    assert len({c["property_company"] for c in everyone}) >= 4
    lucheng = (await grid.get("/v1/compounds", params={"street": "qf-lucheng"})).json()
    assert {c["property_company"] for c in lucheng} == {"pc-qfgongyi", "pc-qfxinghe"}
    assert {c["property_office"] for c in lucheng} == {"qf-lucheng-wyb"}
    gulou = (await grid.get("/v1/compounds", params={"community": "qf-lucheng-gulou"})).json()
    assert {(c["code"], c["property_company"]) for c in gulou} == {
        (GULOU, "pc-qfgongyi"), ("qf-lucheng-gulou-shuiwu", "pc-qfgongyi"), (XIGUAN, "pc-qfxinghe")}
    xinghe = (await grid.get("/v1/compounds", params={"company": "pc-qfxinghe", "district": "qufu"})).json()
    assert [c["code"] for c in xinghe] == ["qf-lucheng-gulou-xiguan", "qf-lucheng-queli-mingde"]
    rencheng = (await grid.get("/v1/compounds", params={"district": "rencheng"})).json()
    assert rencheng and all(c["district_code"] == "rencheng" for c in rencheng)
    assert {c["property_office"] for c in rencheng if c["street_code"] == "rc-jiyang"} == {None}
    wrong = await grid.get("/v1/compounds", params={"community": "qf-lucheng"})  # a street, not a community
    assert (wrong.status_code, wrong.json()["code"]) == (422, "unknown_unit")
    kinds = (await grid.get("/v1/units", params={"parent": "qf-lucheng"})).json()
    assert {"property_office"} <= {u["kind"] for u in kinds}


async def test_an_order_the_company_lets_lie_climbs_to_the_housing_department(as_, temporal_env, pool):
    petition = (await as_("dispatcher", "qufu").post(CALLS, CALL)).json()
    pid, admin = petition["id"], as_("admin", "")
    handle = temporal_env.client.get_workflow_handle(pid)

    async def holder() -> str:
        return (await admin.get(f"/v1/petitions/{pid}")).json()["unit_code"]

    await temporal_env.fast_forward(handle, timedelta(hours=47))
    assert await holder() == "pc-qfgongyi"  # the company's 48 hours are not over
    await temporal_env.fast_forward(handle, timedelta(hours=2))
    assert await holder() == "qf-lucheng-gulou"  # the company let it lie: the community takes it
    # community 3 + 物业办 5 working days, with weekends (and any holiday) between: three weeks covers both
    async with department_worker(temporal_env.client, "qufu-housing", pool=pool):
        await temporal_env.fast_forward(handle, timedelta(days=21))
    now = (await admin.get(f"/v1/petitions/{pid}")).json()
    assert (now["unit_code"], now["level"]) == ("qufu-housing", "department")
    events = (await admin.get(f"/v1/petitions/{pid}/events")).json()
    assigned = [e["data"]["rung"]["unit_code"] for e in events if e["type"] == "WorkOrderAssigned"]
    assert assigned == LADDER
    climbs = [(e["data"]["from_unit"], e["data"]["to_unit"], e["data"]["by_deadline"])
              for e in events if e["type"] == "PetitionEscalated"]
    assert climbs == [(a, b, True) for a, b in zip(LADDER, LADDER[1:], strict=False)]
    breached = [(e["data"]["unit_code"], e["data"]["deadline"]) for e in events if e["type"] == "DeadlineBreached"]
    assert ("pc-qfgongyi", "accept") in breached
    # each rung missed its own deadline, in order (the department may have missed its own by now too)
    assert [u for u, d in breached if d == "resolve"][:3] == LADDER[:3]


async def test_on_the_wall_clock_the_fast_policy_climbs_in_seconds(fast, pool):
    """The fast policy (8 s a rung): the company answers but does not finish, and nobody above it acts."""
    company = fast("property_staff", "pc-qfgongyi")
    pid = (await company.post(CALLS, CALL)).json()["id"]
    await company.act(pid, "accept")
    reached: list[str] = []
    for _ in range(120):  # company, community, 物业办: 8 s each (a loaded machine may take longer)
        reached = [r["data"]["to_unit"] for r in await pool.fetch(
            "SELECT data FROM events WHERE stream_id = $1 AND type = 'PetitionEscalated' ORDER BY version", pid)]
        if len(reached) >= 3:
            break
        await asyncio.sleep(0.5)
    assert reached == LADDER[1:]
    breached = await pool.fetch("SELECT data FROM events WHERE stream_id = $1 AND type = 'DeadlineBreached'", pid)
    assert ("pc-qfgongyi", "accept") not in {(b["data"]["unit_code"], b["data"]["deadline"]) for b in breached}
