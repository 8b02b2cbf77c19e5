"""Issue 14 §1, §2, §6 end to end on the real stack: a report resolved on the spot, the hotline's intake with
each triage outcome, the same matter linked to the open petition, and the channel as a fact."""

from __future__ import annotations

from datetime import datetime

import pytest
from temporalio.client import WorkflowExecutionStatus

from domain.workcalendar import CHINA
from tests.integration.api_client import REPORT

GRID = "rc-yuehe-taibai-g1"
SPOT = {"result": "已当场清理, 垃圾已清运", "evidence_urls": ["https://img.example.cn/after.jpg"]}
CALL = {"caller_name": "王建国", "caller_phone": "13905371111", "category": "sanitation",
        "description": "咨询垃圾分类投放时间", "grid_code": GRID, "request_type": "consultation"}


def _month() -> str:
    return f"{datetime.now(CHINA):%Y-%m}"


async def test_a_report_resolved_on_the_spot_is_visited_and_counts_in_the_grids_share(as_, temporal_env):
    grid, visitor, admin = as_("grid_worker", GRID), as_("return_visitor", "rencheng"), as_("admin", "")
    response = await grid.post("/v1/petitions/on-the-spot", REPORT | SPOT | {"description": "楼道杂物就地清理"})
    assert response.status_code == 201, response.text
    petition = response.json()
    assert (petition["status"], petition["on_the_spot"], petition["channel"]) == ("resolved", True, "grid_worker")
    assert petition["unit_code"] == GRID and petition["resolution"] == "fixed" and petition["visit_due"]
    events = (await admin.get(f"/v1/petitions/{petition['id']}/events")).json()
    assert [e["type"] for e in events] == ["PetitionReported", "WorkOrderAssigned", "WorkOrderAccepted",
                                           "PetitionResolved"]
    assert events[-1]["data"]["on_the_spot"] and events[-1]["data"]["evidence_urls"] == SPOT["evidence_urls"]
    # still return-visited: on the visitor's worklist, and closed by the visit
    queue = (await visitor.get("/v1/queue", params={"limit": 200})).json()
    assert petition["id"] in [i["petition"]["id"] for i in queue["items"]]
    closed = await visitor.act(petition["id"], "return-visit", {"outcome": "satisfied"})
    assert (closed["status"], closed["close_outcome"]) == ("closed", "resolved")
    # counted as resolved on the spot: the grid's fact, and the share of the grid, community and street
    facts = (await admin.get(f"/v1/scorecards/{GRID}/petitions", params={"period": _month()})).json()
    [fact] = [f for f in facts if f["petition_id"] == petition["id"]]
    assert fact["resolved_on_the_spot"] == 1
    for unit in (GRID, "rc-yuehe-taibai", "rc-yuehe"):
        [card] = (await admin.get("/v1/scorecards", params={"period": _month(), "unit": unit,
                                                            "live": "true"})).json()["cards"]
        assert card["area_resolved_on_the_spot"] >= 1 and 0 < card["on_the_spot_share"] <= 1, (unit, card)
    assert card["area_petitions"] >= card["area_resolved_on_the_spot"]
    csv = await admin.get("/v1/scorecards", params={"period": _month(), "live": "true", "format": "csv"})
    assert "就地解决率(%)" in csv.text


async def test_only_the_grids_worker_resolves_on_the_spot_and_evidence_is_required(as_):
    other = await as_("grid_worker", "rc-yuehe-taibai-g2").post("/v1/petitions/on-the-spot", REPORT | SPOT)
    assert (other.status_code, other.json()["code"]) == (403, "out_of_scope")
    staff = await as_("community_staff", "rc-yuehe-taibai").post("/v1/petitions/on-the-spot", REPORT | SPOT)
    assert (staff.status_code, staff.json()["code"]) == (403, "role_not_allowed")
    bare = await as_("grid_worker", GRID).post("/v1/petitions/on-the-spot", REPORT | SPOT | {"evidence_urls": []})
    assert bare.status_code == 422 and bare.headers["content-type"] == "application/problem+json"
    assert "evidence_urls" in bare.text


async def test_a_hotline_consultation_is_answered_and_closed_at_intake(as_, temporal_env):
    agent = as_("dispatcher", "rencheng")
    response = await agent.post("/v1/hotline/calls", CALL | {"outcome": "answered", "reason": "政策咨询, 当场解答",
                                                             "answer": "每日7:00-9:00、18:00-20:00定时投放"})
    assert response.status_code == 201, response.text
    call = response.json()
    petition = call["petition"]
    assert (call["outcome"], call["outcome_label"]) == ("answered", "当场解答")
    assert (petition["status"], petition["close_outcome"], petition["triage"]) == (
        "closed", "answered_at_intake", "answered")
    assert (petition["channel"], petition["request_type"], petition["request_type_label"]) == (
        "hotline", "consultation", "咨询")
    assert petition["unit_code"] is None and petition["triage_reason"] == "政策咨询, 当场解答"
    events = (await agent.get(f"/v1/petitions/{petition['id']}/events")).json()
    assert [e["type"] for e in events] == ["PetitionReported", "IntakeTriaged", "PetitionClosed"]
    assert events[1]["data"]["answer"] == "每日7:00-9:00、18:00-20:00定时投放"
    description = await temporal_env.client.get_workflow_handle(petition["id"]).describe()
    assert description.status is WorkflowExecutionStatus.COMPLETED
    # the district's hotline sees and counts it; nobody else's
    listed = (await as_("supervisor", "rencheng").get("/v1/petitions", params={"triage": "answered",
                                                                                "limit": 200})).json()
    assert petition["id"] in [p["id"] for p in listed["items"]]
    elsewhere = await as_("dispatcher", "yanzhou").get(f"/v1/petitions/{petition['id']}")
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(("outcome", "extra", "closes"), [
    ("emergency_handover", {"emergency_line": "119", "request_type": "help"}, "handed_over"),
    ("legal_channel", {"legal_channel": "litigation", "request_type": "complaint"}, "referred_to_legal_channel"),
    ("outside_duties", {"request_type": "help"}, "not_government_responsibility"),
])
async def test_each_triage_outcome_closes_at_intake_with_its_reason(as_, outcome, extra, closes):
    agent = as_("dispatcher", "rencheng")
    body = CALL | {"description": f"热线分流: {outcome}", "outcome": outcome, "reason": "按接诉即办规定分流"} | extra
    response = await agent.post("/v1/hotline/calls", body)
    assert response.status_code == 201, response.text
    petition = response.json()["petition"]
    assert (petition["status"], petition["close_outcome"], petition["triage"]) == ("closed", closes, outcome)
    events = (await agent.get(f"/v1/petitions/{petition['id']}/events")).json()
    [triaged] = [e["data"] for e in events if e["type"] == "IntakeTriaged"]
    assert triaged["outcome"] == outcome and triaged["reason"] == "按接诉即办规定分流"
    assert not [e for e in events if e["type"] in ("WorkOrderAssigned", "UnitEvaluated")]
    again = await as_("supervisor", "rencheng").post(f"/v1/petitions/{petition['id']}/reopen",
                                                     {"reason": "再次来电"})
    assert again.status_code == 409


async def test_hotline_input_that_does_not_fit_its_outcome_is_a_clear_422(as_):
    agent = as_("dispatcher", "rencheng")
    for body, field in (
        (CALL | {"outcome": "answered"}, "reason"),
        (CALL | {"outcome": "answered", "reason": "r", "request_type": "complaint", "answer": "a"}, "consultation"),
        (CALL | {"outcome": "emergency_handover", "reason": "r"}, "emergency_line"),
        (CALL | {"anonymous": True}, "anonymous"),
        (CALL | {"outcome": "same_matter", "reason": "r"}, "same_as"),
        ({k: v for k, v in CALL.items() if k != "request_type"}, "request_type"),
    ):
        response = await agent.post("/v1/hotline/calls", body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json" and field in response.text, field
    grid = await as_("grid_worker", GRID).post("/v1/hotline/calls", CALL)
    assert (grid.status_code, grid.json()["code"]) == (403, "role_not_allowed")


async def test_a_dispatched_call_is_a_hotline_work_order(as_):
    agent = as_("dispatcher", "rencheng")
    body = CALL | {"description": "小区路灯不亮", "request_type": "help", "anonymous": True, "caller_name": "",
                   "caller_phone": "", "media_urls": ["https://img.example.cn/lamp.jpg"]}
    response = await agent.post("/v1/hotline/calls", body)
    assert response.status_code == 201, response.text
    petition = response.json()["petition"]
    assert (petition["status"], petition["channel"], petition["anonymous"]) == ("dispatched", "hotline", True)
    assert petition["triage"] is None and petition["media_urls"] == ["https://img.example.cn/lamp.jpg"]


async def test_the_same_matter_without_new_facts_links_the_caller_and_both_are_visited(as_, pool):
    grid, agent = as_("grid_worker", GRID), as_("dispatcher", "rencheng")
    visitor, street = as_("return_visitor", "rencheng"), as_("street_staff", "rc-yuehe")
    pid = (await grid.report(description="同一事项: 井盖松动"))["id"]
    before = await pool.fetchval("SELECT count(*) FROM petitions")
    response = await agent.post("/v1/hotline/calls", {
        "outcome": "same_matter", "same_as": pid, "reason": "与在办工单同一事项, 无新情况", "request_type": "complaint",
        "caller_name": "李四", "caller_phone": "13906661234"})
    assert response.status_code == 200, response.text
    call = response.json()
    assert call["linked_as"] == 1 and call["petition"]["id"] == pid  # the open petition's progress, no new one
    assert call["petition"]["status"] == "dispatched" and call["petition"]["accept_due"]
    assert await pool.fetchval("SELECT count(*) FROM petitions") == before
    seen = (await street.get(f"/v1/petitions/{pid}")).json()
    assert seen["linked_callers"][0]["caller_name"] == "李**" and seen["linked_callers"][0]["caller_phone"] == (
        "139****1234")
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已更换井盖"})
    first = await visitor.act(pid, "return-visit", {"outcome": "satisfied"})
    assert first["status"] == "resolved"  # the linked caller waits for their visit
    assert (await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "satisfied"})).status_code == 409
    closed = await visitor.act(pid, "linked-caller-visit", {"caller": 1, "outcome": "satisfied"})
    assert (closed["status"], closed["close_outcome"]) == ("closed", "resolved")
    assert closed["linked_callers"][0]["visit_outcome"] == "satisfied"
    events = [e["type"] for e in (await visitor.get(f"/v1/petitions/{pid}/events")).json()]
    assert events.count("CallerLinked") == 1 and "ReturnVisitRecorded" in events and "LinkedCallerVisited" in events
    late = await agent.post("/v1/hotline/calls", {"outcome": "same_matter", "same_as": pid, "reason": "r",
                                                  "request_type": "complaint", "anonymous": True})
    assert (late.status_code, late.json()["code"]) == (409, "petition_not_open")
    missing = await agent.post("/v1/hotline/calls", {"outcome": "same_matter", "same_as": "JH-none", "reason": "r",
                                                     "request_type": "complaint", "anonymous": True})
    assert missing.status_code == 404


async def test_the_channel_follows_from_the_reporters_role(as_):
    assert (await as_("grid_worker", GRID).report())["channel"] == "grid_worker"
    assert (await as_("dispatcher", "rencheng").report())["channel"] == "hotline"
    assert (await as_("dispatcher", "rencheng").report(channel="web"))["channel"] == "web"
    assert (await as_("community_staff", "rc-yuehe-taibai").report())["channel"] == "staff"
    claimed = await as_("grid_worker", GRID).post("/v1/petitions", REPORT | {"channel": "hotline"})
    assert (claimed.status_code, claimed.json()["code"]) == (422, "channel_not_allowed")
    assert claimed.json()["errors"][0]["field"] == "channel"
    open311 = await as_("admin", "").post("/v1/petitions", REPORT | {"channel": "open311"})
    assert open311.status_code == 422 and "Open311 endpoint" in open311.json()["detail"]


async def test_a_caller_who_asks_for_confidentiality_stays_masked_for_the_holding_unit(as_):
    """Found in the issue 14 trial: a confidential caller linked to (or merged into) a petition that is not
    confidential was shown in full to the grid holding it, in the petition, its events and its queue."""
    agent, grid = as_("dispatcher", "rencheng"), as_("grid_worker", "rc-yuehe-taibai-g2")
    visitor = as_("return_visitor", "rencheng")
    pid = (await grid.report(grid_code="rc-yuehe-taibai-g2", description="楼道堆放杂物 保密来电"))["id"]
    linked = await agent.post("/v1/hotline/calls", {
        "outcome": "same_matter", "same_as": pid, "reason": "同一事项无新情况", "request_type": "complaint",
        "caller_name": "保密丙", "caller_phone": "13955556666", "confidential": True})
    assert linked.status_code == 200, linked.text
    seen = (await grid.get(f"/v1/petitions/{pid}")).json()
    [caller] = seen["linked_callers"]
    assert caller["confidential"] and (caller["caller_name"], caller["caller_phone"]) == ("保**", "139****6666")
    assert seen["reporter_phone"] == REPORT["reporter_phone"]  # the petition's own reporter: as before
    events = (await grid.get(f"/v1/petitions/{pid}/events")).text
    queue = (await grid.get("/v1/queue", params={"limit": 200})).text
    assert "13955556666" not in events and "保密丙" not in events and "13955556666" not in queue
    shown = (await visitor.get(f"/v1/petitions/{pid}")).json()["linked_callers"][0]  # who calls them back
    assert (shown["caller_name"], shown["caller_phone"]) == ("保密丙", "13955556666")


async def test_every_refusal_of_a_call_names_its_field(as_):
    """Found in the issue 14 trial: checks across fields answered 422 with an empty `field`."""
    agent = as_("dispatcher", "rencheng")
    for body, field in (
            (CALL | {"outcome": "outside_duties"}, "reason"),
            ({"outcome": "same_matter", "reason": "r", "caller_phone": "13905371111", "request_type": "help"},
             "same_as"),
            (CALL | {"anonymous": True}, "anonymous"),
            ({k: v for k, v in CALL.items() if k != "grid_code"} | {"outcome": "dispatch"}, "grid_code"),
            ({"outcome": "dispatch", "caller_phone": "13905371111", "request_type": "help"}, "category")):
        refused = await agent.post("/v1/hotline/calls", body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in [e["field"] for e in refused.json()["errors"]], (field, refused.json())
    raw = await agent.http.post("/v1/hotline/calls", content=b'{"outcome": "dispatch"}',
                                headers=agent.headers | {"content-type": "text/plain"})
    assert raw.status_code == 422 and raw.json()["errors"][0]["field"] == "body"
    assert "content-type: application/json" in raw.json()["detail"]
