"""Issue 14 §5 end to end on the real stack: a duplicate flagged at intake and merged with every unit's rates
unchanged, a burst of 40 reports becoming one handled case with 40 reporters return-visited, the refusals,
and who may merge or declare a burst.

The units here (古槐街道文昌阁社区, rc-guhuai-wenchangge) are used by no other test: the session's database
is shared, and the figures compared before and after must be this test's alone."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from domain.evaluation import Period
from domain.workcalendar import CHINA
from evaluation.simulate import simulate_month
from eventstore.petition_projection import verify
from tests.integration.test_api_authorization import people

GRID = "rc-guhuai-wenchangge-g1"  # 文昌阁社区第1网格
GRID2 = "rc-guhuai-wenchangge-g2"
STREET = "rc-guhuai"  # 古槐街道: a water_supply petition starts here
RATES = ("rated", "response_rate", "resolution_rate", "satisfaction_rate", "in_time_rate", "score")


def _month() -> str:
    return f"{datetime.now(CHINA):%Y-%m}"


def _until(minutes: float = 15) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def _card(admin, unit: str) -> dict:
    [card] = (await admin.get("/v1/scorecards", params={"period": _month(), "unit": unit, "live": "true"})) \
        .json()["cards"]
    return card


async def test_a_duplicate_is_flagged_at_intake_and_merged_with_the_rates_unchanged(as_):
    grid, dispatcher = as_("grid_worker", GRID2), as_("dispatcher", "rencheng")
    visitor, admin = as_("return_visitor", "rencheng"), as_("admin", "")
    place = {"grid_code": GRID2, "category": "greening"}
    # a closed petition gives the grid rates to compare
    done = await grid.report(**place, description="文昌阁小区东门树枝折断挡路")
    await grid.act(done["id"], "accept")
    await grid.act(done["id"], "resolve", {"result": "已清理断枝"})
    await visitor.act(done["id"], "return-visit", {"outcome": "satisfied"})
    survivor = await grid.report(**place, description="文昌阁小区南门绿化带树木倒伏压坏围栏")
    assert survivor["duplicate_candidates"] == []  # nothing open like it yet
    response = await dispatcher.post("/v1/petitions", {**place, "description": "文昌阁小区南门绿化带树木倒伏",
                                                       "reporter_name": "周桂兰", "reporter_phone": "13805372222"})
    assert response.status_code == 201, response.text
    duplicate = response.json()
    [candidate] = [c for c in duplicate["duplicate_candidates"] if c["petition_id"] == survivor["id"]]
    assert candidate["same_grid"] and candidate["distance_m"] is None and candidate["status"] == "dispatched"
    assert 0.6 <= candidate["text_score"] <= 1 and candidate["status_label"]
    assert done["id"] not in [c["petition_id"] for c in duplicate["duplicate_candidates"]]  # closed: never
    await grid.act(duplicate["id"], "accept")  # the grid took it up in time: its response counts, no more
    before = await _card(admin, GRID2)
    assert before["rated"] >= 1 and before["resolution_rate"] == 1.0

    merged = await dispatcher.act(duplicate["id"], "merge", {"into": survivor["id"], "reason": "同一倒伏树木"})
    assert (merged["merged"]["status"], merged["merged"]["close_outcome"]) == ("closed", "duplicate")
    assert merged["merged"]["duplicate_of"] == survivor["id"]
    [linked] = merged["into"]["linked_callers"]
    assert (linked["merged_from"], linked["caller_name"], linked["caller"]) == (duplicate["id"], "周桂兰", 1)
    events = (await admin.get(f"/v1/petitions/{duplicate['id']}/events")).json()
    assert [e["type"] for e in events][-3:] == ["PetitionMerged", "PetitionClosed", "UnitEvaluated"]
    assert events[-3]["data"]["into"] == survivor["id"] and events[-3]["data"]["reporters"] == 1
    survivor_events = (await admin.get(f"/v1/petitions/{survivor['id']}/events")).json()
    assert survivor_events[-1]["type"] == "CallerLinked" and survivor_events[-1]["data"]["merged_from"] == \
        duplicate["id"]
    # the merged duplicate hurts nobody's rates: counted as a duplicate, out of the rates
    after = await _card(admin, GRID2)
    assert {k: after[k] for k in RATES} == {k: before[k] for k in RATES}
    assert (after["duplicates"], after["excluded"], after["petitions"]) == (
        before["duplicates"] + 1, before["excluded"] + 1, before["petitions"] + 1)
    assert duplicate["id"] in (await admin.get(f"/v1/petitions/{survivor['id']}")).json()["duplicates"]
    # the merged reporter is return-visited when the survivor closes
    await grid.act(survivor["id"], "accept")
    await grid.act(survivor["id"], "resolve", {"result": "已扶正树木, 修复围栏"})
    waiting = await visitor.act(survivor["id"], "return-visit", {"outcome": "satisfied"})
    assert waiting["status"] == "resolved"  # the merged reporter is still to be called
    closed = await visitor.act(survivor["id"], "linked-caller-visit", {"caller": 1, "outcome": "satisfied"})
    assert (closed["status"], closed["close_outcome"]) == ("closed", "resolved")
    assert closed["linked_callers"][0]["visit_outcome"] == "satisfied"


async def test_merge_refusals(as_):
    grid, dispatcher = as_("grid_worker", GRID2), as_("dispatcher", "rencheng")
    place = {"grid_code": GRID2, "category": "greening", "description": "合并拒绝用例: 绿地积水"}
    a, b = await grid.report(**place), await grid.report(**place)
    body = {"into": b["id"], "reason": "同一事项"}

    async def refused(pid: str, payload: dict, status: int, code: str, who=dispatcher) -> None:
        response = await who.post(f"/v1/petitions/{pid}/merge", payload)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
        assert response.headers["content-type"] == "application/problem+json"

    await refused(a["id"], {"into": a["id"], "reason": "r"}, 422, "self_merge")
    await refused(a["id"], {"into": "JH-NO-SUCH", "reason": "r"}, 422, "invalid_into")
    yanzhou = await as_("grid_worker", "yz-gulou-fuqian-g1").report(category="greening", grid_code="yz-gulou-fuqian-g1")
    await refused(a["id"], {"into": yanzhou["id"], "reason": "r"}, 422, "invalid_into")  # not the caller's to see
    admin = as_("admin", "")
    await refused(a["id"], {"into": yanzhou["id"], "reason": "r"}, 422, "cross_district_merge", who=admin)
    await refused(a["id"], {"into": b["id"]}, 422, "validation_error")
    await refused(a["id"], body, 403, "role_not_allowed", who=grid)
    # merged once; a second merge of it, or into it, is refused
    key = {"Idempotency-Key": "merge-refusals-1"}
    first = await dispatcher.post(f"/v1/petitions/{a['id']}/merge", body, headers=key)
    again = await dispatcher.post(f"/v1/petitions/{a['id']}/merge", body, headers=key)
    assert first.status_code == again.status_code == 200 and again.json()["merged"] == first.json()["merged"]
    assert len((await dispatcher.get(f"/v1/petitions/{b['id']}")).json()["linked_callers"]) == 1  # linked once
    await refused(a["id"], body, 409, "petition_closed")
    c = await grid.report(**place)
    await refused(c["id"], {"into": a["id"], "reason": "r"}, 409, "survivor_closed")
    response = await dispatcher.post(f"/v1/petitions/{c['id']}/merge", {"into": a["id"], "reason": "r"})
    assert b["id"] in response.json()["detail"]  # it names where the merged one went


async def test_a_burst_of_40_reports_becomes_one_handled_case_with_40_reporters_visited(as_, pool):
    agent, admin = as_("dispatcher", "rencheng"), as_("admin", "")
    street, visitor = as_("street_staff", STREET), as_("return_visitor", "rencheng")
    call = {"request_type": "help", "category": "water_supply", "grid_code": GRID, "outcome": "dispatch"}
    first = await agent.post("/v1/hotline/calls", call | {"description": "文昌阁路主水管爆裂, 路面冒水, 家中停水",
                                                          "caller_name": "来电人0", "caller_phone": "13905370000"})
    assert first.status_code == 201, first.text
    burst_id = first.json()["petition"]["id"]
    declared = await agent.act(burst_id, "burst", {"until": _until(), "reason": "供水主管道爆裂, 集中来电",
                                                   "grid_codes": [GRID, GRID2], "keywords": ["停水", "爆", "冒水"]})
    assert declared["burst"]["grid_codes"] == [GRID, GRID2] and declared["burst"]["keywords"] == ["停水", "爆", "冒水"]
    for i in range(1, 40):
        response = await agent.post("/v1/hotline/calls", call | {
            "grid_code": GRID if i % 2 else GRID2, "description": f"第{i}位来电: 家里停水了",
            "caller_name": f"来电人{i}", "caller_phone": f"139053{i:05d}"})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["outcome"], answer["linked_as"], answer["petition"]["id"]) == ("same_matter", i, burst_id)
        assert answer["joined_burst"]["petition_id"] == burst_id
        assert "供水主管道爆裂" in answer["joined_burst"]["reason"]
    # what is not the burst is not swallowed: another problem said so, another category, nothing of its words
    apart = await agent.post("/v1/hotline/calls", call | {"description": "文昌阁路停水, 但我家是水表坏了",
                                                          "separate_matter": True, "caller_phone": "13905379990"})
    noise = await agent.post("/v1/hotline/calls", call | {"category": "noise", "description": "停水抢修噪音",
                                                          "caller_phone": "13905379991"})
    bill = await agent.post("/v1/hotline/calls", call | {"description": "水费账单有误", "caller_phone": "13905379992"})
    assert [r.status_code for r in (apart, noise, bill)] == [201, 201, 201], (apart.text, noise.text, bill.text)
    assert burst_id in [c["petition_id"] for c in apart.json()["duplicate_candidates"]]  # flagged, not merged
    # a grid worker may not see the burst's petition (the street holds it): never joined, never shown
    grid_report = await as_("grid_worker", GRID).post("/v1/petitions", {
        "category": "water_supply", "grid_code": GRID, "description": "网格员巡查: 路面冒水停水"})
    assert grid_report.status_code == 201 and grid_report.json()["joined_burst"] is None
    assert burst_id not in grid_report.text
    # one handled case: one work order, one ladder; forty reporters
    case = (await admin.get(f"/v1/petitions/{burst_id}")).json()
    assert (case["unit_code"], case["status"], len(case["linked_callers"])) == (STREET, "dispatched", 39)
    assert all(c["burst"] and "停水" in c["description"] for c in case["linked_callers"])
    events = (await admin.get(f"/v1/petitions/{burst_id}/events")).json()
    assert [e["type"] for e in events].count("WorkOrderAssigned") == 1
    assert [e["type"] for e in events].count("BurstDeclared") == 1
    await street.act(burst_id, "accept")
    await street.act(burst_id, "resolve", {"result": "已抢修主管道, 恢复供水"})
    await visitor.act(burst_id, "return-visit", {"outcome": "satisfied"})
    for caller in range(1, 40):
        state = await visitor.act(burst_id, "linked-caller-visit", {"caller": caller, "outcome": "satisfied"})
    assert (state["status"], state["close_outcome"]) == ("closed", "resolved")
    assert all(c["visit_outcome"] == "satisfied" for c in state["linked_callers"]) and state["visit_outcome"]
    for extra in (apart, noise, bill):
        await admin.act(extra.json()["petition"]["id"], "close", {"outcome": "withdrawn", "explanation": "测试结束"})
    async with pool.acquire() as conn:  # the burst's columns (migration 026) rebuild as they were written live
        assert await verify(conn) == []


async def test_a_burst_ends_at_its_time_and_a_report_after_it_is_its_own(fast):
    agent = fast("dispatcher", "rencheng")
    body = {"category": "water_supply", "grid_code": GRID, "description": "短时突发用例: 停水"}
    first = await agent.post("/v1/petitions", body)
    assert first.status_code == 201, first.text
    pid = first.json()["id"]
    bad = await agent.post(f"/v1/petitions/{pid}/burst", {"until": _until(60 * 24 * 4), "reason": "r"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_command") and "3 days" in bad.text
    outside = await agent.post(f"/v1/petitions/{pid}/burst", {"until": _until(), "reason": "r",
                                                              "grid_codes": ["yz-gulou-fuqian-g1"]})
    assert (outside.status_code, outside.json()["code"]) == (422, "invalid_grid_codes")
    await agent.act(pid, "burst", {"until": _until(0.05), "reason": "三秒的突发", "keywords": ["短时突发用例"]})
    joined = await agent.post("/v1/petitions", body)
    assert (joined.status_code, joined.json()["id"], joined.json()["joined_burst"]["caller"]) == (200, pid, 1)
    await asyncio.sleep(3.5)
    after = await agent.post("/v1/petitions", body)
    assert after.status_code == 201 and after.json()["joined_burst"] is None
    assert pid in [c["petition_id"] for c in after.json()["duplicate_candidates"]]
    for petition in (pid, after.json()["id"]):
        await agent.act(petition, "close", {"outcome": "withdrawn", "explanation": "测试结束"})


async def test_who_may_merge_and_declare_a_burst(as_, http):
    """Every role x inside / same district / other district: merge (dispatchers, supervisors, admins) and burst
    (dispatchers, admins) on petitions of their subtree; the rest of the matrix (role_not_allowed, out_of_scope)
    is test_api_authorization.py's."""
    grid = as_("grid_worker", GRID2)
    place = {"grid_code": GRID2, "category": "greening", "description": "权限用例: 草坪损坏"}
    for role, unit, _where in people():
        a, b = await grid.report(**place), await grid.report(**place)
        merge = await as_(role, unit).post(f"/v1/petitions/{a['id']}/merge", {"into": b["id"], "reason": "同一"})
        burst = await as_(role, unit).post(f"/v1/petitions/{b['id']}/burst", {
            "until": _until(1), "reason": "权限", "keywords": ["权限用例专用词"]})
        sees = unit in ("rencheng", "")  # the matrix's units that hold 文昌阁 in their subtree
        expect_merge = 200 if role in ("dispatcher", "supervisor", "admin") and sees else 403
        expect_burst = 200 if role in ("dispatcher", "admin") and sees else 403
        assert merge.status_code == expect_merge, (role, unit, merge.text)
        assert burst.status_code == expect_burst, (role, unit, burst.text)
        for pid in (a["id"], b["id"]):
            await as_("admin", "").post(f"/v1/petitions/{pid}/close", {"outcome": "withdrawn", "explanation": "测试"})
    anonymous = [await http.post(f"/v1/petitions/{a['id']}/{action}", json=body) for action, body in (
        ("merge", {"into": b["id"], "reason": "同一"}), ("burst", {"until": _until(1), "reason": "r"}))]
    assert [r.status_code for r in anonymous] == [401, 401]


async def test_the_simulated_month_merges_a_few_duplicates_and_handles_one_burst(pool, org):
    # a month and a seed of their own: the session's database is shared
    written = await simulate_month(pool, org, Period.parse("2023-08"), 20, seed=5823, duplicates=True)
    assert written["duplicates"] == {"petitions": 5, "merged": 2, "burst_reporters": 40}
    rows = {r["id"]: dict(r) for r in await pool.fetch("SELECT * FROM petitions WHERE id LIKE 'SIMD202308-%'")}
    assert len(rows) == 5 and all(r["status"] == "closed" for r in rows.values())
    merged = [r for r in rows.values() if r["close_outcome"] == "duplicate"]
    assert len(merged) == 2 and all(rows[r["duplicate_of"]]["close_outcome"] == "resolved" for r in merged)
    [burst] = [r for r in rows.values() if r["burst"]]
    callers = json.loads(burst["linked_callers"])
    assert len(callers) == 39 and all(c["burst"] and c["visit_outcome"] for c in callers)
    assert burst["close_outcome"] == "resolved" and burst["category"] == "water_supply"
    facts = await pool.fetch("SELECT close_outcome FROM evaluation_facts WHERE petition_id LIKE 'SIMD202308-%'")
    assert sorted({f["close_outcome"] for f in facts}) == ["duplicate", "resolved"]


async def test_a_property_call_lists_its_duplicate_candidates_too(as_):
    """Every intake route answers its candidates: 物业110's too (the company sees the orders it holds)."""
    company, admin = as_("property_staff", "pc-qfgongyi"), as_("admin", "")
    call = {"compound": "qf-lucheng-gulou-gulouhoujie", "description": "重复件用例: 5号楼电梯停运三天",
            "caller_name": "孔繁荣", "caller_phone": "13905376667", "request_type": "complaint"}
    first = await company.post("/v1/property-hotline/calls", call)
    second = await company.post("/v1/property-hotline/calls", call | {"description": "重复件用例: 5号楼电梯停运",
                                                                      "caller_phone": "13905376668"})
    assert (first.status_code, second.status_code) == (201, 201), second.text
    [candidate] = [c for c in second.json()["duplicate_candidates"] if c["petition_id"] == first.json()["id"]]
    assert candidate["same_grid"] and candidate["text_score"] > 0.5
    for petition in (first.json()["id"], second.json()["id"]):
        await admin.act(petition, "close", {"outcome": "withdrawn", "explanation": "测试结束"})


async def test_merges_crossing_each_other_leave_one_petition_open(as_):
    """Found in a trial: A into B and B into A at once both answered 200 and closed both, the matter in nobody's
    hands. One change at a time to a petition: exactly one merge wins, the other is refused."""
    grid = as_("grid_worker", GRID)
    dispatcher, supervisor = as_("dispatcher", "rencheng"), as_("supervisor", "rencheng")
    for _ in range(3):
        a = await grid.report(grid_code=GRID, category="greening", description="文昌阁小区树木倒伏 交叉合并")
        b = await grid.report(grid_code=GRID, category="greening", description="文昌阁小区树木倒伏 交叉合并")
        one, other = await asyncio.gather(
            dispatcher.post(f"/v1/petitions/{a['id']}/merge", {"into": b["id"], "reason": "同一问题"}),
            supervisor.post(f"/v1/petitions/{b['id']}/merge", {"into": a["id"], "reason": "同一问题"}))
        assert sorted([one.status_code, other.status_code]) == [200, 409], (one.text, other.text)
        states = [(await dispatcher.get(f"/v1/petitions/{p['id']}")).json()["status"] for p in (a, b)]
        assert states.count("closed") == 1
        # a caller linked to the merged one is told where the matter went
        merged = a if states[0] == "closed" else b
        call = await dispatcher.post("/v1/hotline/calls", {
            "outcome": "same_matter", "same_as": merged["id"], "reason": "同一事项无新情况",
            "caller_phone": "13905370001", "request_type": "help"})
        assert call.status_code == 409 and (b if merged is a else a)["id"] in call.json()["detail"]


async def test_a_petition_holding_a_running_burst_is_not_merged_away(as_):
    grid, dispatcher = as_("grid_worker", GRID), as_("dispatcher", "rencheng")
    a = await grid.report(grid_code=GRID, category="greening", description="文昌阁小区突发 树木倒伏")
    b = await grid.report(grid_code=GRID, category="greening", description="文昌阁小区突发 树木倒伏")
    declared = await dispatcher.post(f"/v1/petitions/{a['id']}/burst", {"until": _until(), "reason": "集中来电"})
    assert declared.status_code == 200, declared.text
    refused = await dispatcher.post(f"/v1/petitions/{a['id']}/merge", {"into": b["id"], "reason": "同一"})
    assert (refused.status_code, refused.json()["code"]) == (409, "burst_running")
    merged = await dispatcher.post(f"/v1/petitions/{b['id']}/merge", {"into": a["id"], "reason": "同一"})
    assert merged.status_code == 200, merged.text


async def test_a_merge_cut_short_is_finished_not_reversed(as_, temporal_env, task_queue):
    """kill -9 between a merge's halves leaves the survivor holding the merged one's reporters while the merged
    one is still open. Before: merging them the other way round gave the first its own reporters back (listed
    twice). Now that merge is refused (409 merge_cut_short, naming the merge to finish) and finishing the first
    merge links its reporters once."""
    from domain import commands as cmd
    from domain.model import Actor
    from workflows.client import PetitionClient

    grid, dispatcher = as_("grid_worker", GRID2), as_("dispatcher", "rencheng")
    place = {"grid_code": GRID2, "category": "greening", "description": "合并中断用例: 绿地积水",
             "reporter_name": "李四", "reporter_phone": "13905370042"}
    a, b = await grid.report(**place), await grid.report(**place)
    # the first half of merging a into b, as the merge service sends it, and then the process died
    actor = Actor(id="dispatcher-1", name="派单员", unit_code="rencheng", role="dispatcher")
    absorb = cmd.AbsorbMerged(actor=actor, merged_id=a["id"], merged_desk_code="rencheng", reason="同一事项",
                              reporters=[cmd.MergedReporter(name="李四", phone="13905370042")])
    await PetitionClient(temporal_env.client, task_queue).send(b["id"], absorb, update_id=f"cut-{a['id']}")
    reverse = await dispatcher.post(f"/v1/petitions/{b['id']}/merge", {"into": a["id"], "reason": "同一事项"})
    assert (reverse.status_code, reverse.json()["code"]) == (409, "merge_cut_short"), reverse.text
    assert f"merge {a['id']} into {b['id']}" in reverse.json()["detail"]
    finished = await dispatcher.post(f"/v1/petitions/{a['id']}/merge", {"into": b["id"], "reason": "同一事项"})
    assert finished.status_code == 200, finished.text
    survivor = (await dispatcher.get(f"/v1/petitions/{b['id']}")).json()
    assert [c["merged_from"] for c in survivor["linked_callers"]] == [a["id"]]  # once, not twice
    assert (await dispatcher.get(f"/v1/petitions/{a['id']}")).json()["status"] == "closed"
