"""Every endpoint of the first REST surface, with its error paths, on the real services."""

from __future__ import annotations

import httpx
import pytest

from api.main import create_app
from jiehu.settings import Settings
from jiehu.temporal import petition_worker

GRID_WORKER = {"id": "g1", "name": "网格员张伟", "unit_code": "rc-yuehe-taibai-g1", "role": "grid_worker"}
COMMUNITY = {"id": "c1", "name": "社区书记", "unit_code": "rc-yuehe-taibai", "role": "community_staff"}
STREET = {"id": "s1", "name": "街道干部", "unit_code": "rc-yuehe", "role": "street_staff"}
DISTRICT_DISPATCHER = {"id": "d1", "name": "派单员", "unit_code": "rencheng", "role": "dispatcher"}
VISITOR = {"id": "v1", "name": "回访员", "unit_code": "rencheng", "role": "return_visitor"}
SUPERVISOR = {"id": "sv", "name": "督办员", "unit_code": "rencheng", "role": "supervisor"}
REPORT = {"category": "sanitation", "description": "小区门口垃圾堆积三天", "grid_code": "rc-yuehe-taibai-g1",
          "address": "太白小区3号楼", "reporter_name": "陈秀英", "reporter_phone": "13805371234",
          "channel": "hotline", "actor": GRID_WORKER}


@pytest.fixture
async def api(temporal_env, postgres, pool, org, task_queue):
    settings = Settings(database_url=postgres.url(), task_queue=task_queue,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with petition_worker(temporal_env.client, pool, task_queue), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://jiehu") as client:
            yield client


async def new_petition(api: httpx.AsyncClient, **overrides) -> dict:
    response = await api.post("/v1/petitions", json=REPORT | overrides)
    assert response.status_code == 201, response.text
    return response.json()


async def act(api: httpx.AsyncClient, pid: str, action: str, body: dict, expect: int = 200) -> dict:
    response = await api.post(f"/v1/petitions/{pid}/{action}", json=body)
    assert response.status_code == expect, response.text
    return response.json()


async def test_report_read_and_list_events(api):
    created = await new_petition(api)
    assert created["status"] == "dispatched" and created["status_label"] == "已分办待签收"
    assert created["level"] == "grid" and created["unit_code"] == "rc-yuehe-taibai-g1"
    assert created["resolve_due"] and created["accept_due"] and created["deadline_state"] == "ok"
    fetched = (await api.get(f"/v1/petitions/{created['id']}")).json()
    assert {k: fetched[k] for k in ("id", "status", "unit_code", "resolve_due", "version")} == {
        k: created[k] for k in ("id", "status", "unit_code", "resolve_due", "version")}
    events = (await api.get(f"/v1/petitions/{created['id']}/events")).json()
    assert [e["type"] for e in events] == ["PetitionReported", "WorkOrderAssigned"]
    assert [e["version"] for e in events] == [1, 2]


async def test_the_whole_loop_by_rest_alone(api):
    pid = (await new_petition(api))["id"]
    await act(api, pid, "accept", {"actor": GRID_WORKER})
    await act(api, pid, "progress", {"actor": GRID_WORKER, "note": "已联系环卫"})
    await act(api, pid, "extension-request", {"actor": GRID_WORKER, "duration": {"working_days": 1},
                                              "reason": "环卫车检修"})
    await act(api, pid, "extension-decision", {"actor": COMMUNITY, "approve": True})
    await act(api, pid, "pause", {"actor": GRID_WORKER, "reason": "等待群众在家", "reason_kind": "waiting_resident"})
    paused = await act(api, pid, "pause", {"actor": COMMUNITY})
    assert paused["status"] == "paused" and paused["deadline_state"] == "paused"
    await act(api, pid, "resume", {"actor": GRID_WORKER})
    escalated = await act(api, pid, "escalate", {"actor": GRID_WORKER, "reason": "需社区协调物业"})
    assert escalated["level"] == "community" and escalated["escalations"] == 1
    await act(api, pid, "urge", {"actor": SUPERVISOR, "note": "请尽快办理"})
    await act(api, pid, "accept", {"actor": COMMUNITY})
    resolved = await act(api, pid, "resolve", {"actor": COMMUNITY, "result": "已清运", "evidence_urls": ["https://e/1"]})
    assert resolved["status"] == "resolved" and resolved["visit_due"]
    closed = await act(api, pid, "return-visit", {"actor": VISITOR, "outcome": "satisfied"})
    assert closed["status"] == "closed" and closed["close_outcome"] == "resolved"
    assert closed["close_outcome_label"] == "已解决办结"
    types = [e["type"] for e in (await api.get(f"/v1/petitions/{pid}/events")).json()]
    assert types[-3:] == ["PetitionClosed", "UnitEvaluated", "UnitEvaluated"]


async def test_return_redispatch_and_close(api):
    pid = (await new_petition(api))["id"]
    returned = await act(api, pid, "return", {"actor": GRID_WORKER, "reason": "不属本网格"})
    assert returned["status"] == "returned"
    moved = await act(api, pid, "dispatch", {"actor": DISTRICT_DISPATCHER, "unit_code": "rc-jiyang-caoqiao"})
    assert moved["unit_code"] == "rc-jiyang-caoqiao" and moved["level"] == "community"
    closed = await act(api, pid, "close", {"actor": DISTRICT_DISPATCHER, "outcome": "duplicate",
                                           "explanation": "与JH20261127-0001重复"})
    assert closed["close_outcome"] == "duplicate"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in REPORT.items() if k != "description"}, "description"),
        (REPORT | {"urgency": "whenever"}, "urgency"),
        (REPORT | {"description": "长" * 2001}, "description"),
        (REPORT | {"reporter_phone": "call me"}, "reporter_phone"),
        (REPORT | {"actor": {"id": "x"}}, "actor.name"),
    ],
)
async def test_invalid_reports_name_the_field(api, body, field):
    response = await api.post("/v1/petitions", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_unknown_category_grid_and_malformed_json(api):
    unknown = await api.post("/v1/petitions", json=REPORT | {"category": "ufo"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_category"
    grid = await api.post("/v1/petitions", json=REPORT | {"grid_code": "nowhere"})
    assert grid.status_code == 422 and "unknown grid" in grid.json()["detail"]
    broken = await api.post("/v1/petitions", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422


async def test_command_errors_are_4xx_with_reasons(api):
    pid = (await new_petition(api))["id"]
    wrong_unit = await api.post(f"/v1/petitions/{pid}/accept", json={"actor": STREET})
    assert wrong_unit.status_code == 403 and wrong_unit.json()["code"] == "not_permitted"
    too_early = await api.post(f"/v1/petitions/{pid}/resolve", json={"actor": GRID_WORKER, "result": "done"})
    assert too_early.status_code == 409 and too_early.json()["code"] == "invalid_state"
    too_long = await api.post(f"/v1/petitions/{pid}/extension-request",
                              json={"actor": GRID_WORKER, "duration": {"fortnights": 1}, "reason": "x"})
    assert too_long.status_code == 422
    no_such_unit = await api.post(f"/v1/petitions/{pid}/dispatch", json={"actor": DISTRICT_DISPATCHER,
                                                                          "unit_code": "atlantis"})
    assert no_such_unit.status_code == 422
    missing = await api.post("/v1/petitions/JH-none/accept", json={"actor": GRID_WORKER})
    assert missing.status_code == 404 and missing.json()["code"] == "petition_not_found"
    assert (await api.get("/v1/petitions/JH-none")).status_code == 404
    assert (await api.get("/v1/petitions/JH-none/events")).status_code == 404
    assert (await api.post(f"/v1/petitions/{pid}/teleport", json={})).status_code in (404, 405)


async def test_reference_endpoints_and_health(api):
    units = (await api.get("/v1/units")).json()
    assert {"code": "rc-yuehe", "level": "street", "kind_label": "街道(镇)"}.items() <= next(
        u for u in units if u["code"] == "rc-yuehe").items()
    streets = (await api.get("/v1/units", params={"parent": "rencheng", "kind": "street"})).json()
    assert len(streets) == 15
    categories = (await api.get("/v1/categories")).json()
    assert len(categories) >= 15 and {"code": "property_management", "start_level": "community"}.items() <= next(
        c for c in categories if c["code"] == "property_management").items()
    labels = (await api.get("/v1/labels")).json()
    assert labels["Level"]["department"] == "区直部门" and labels["CloseOutcome"]["withdrawn"] == "群众撤回"
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgres": "ok", "temporal": "ok"}
    schema = (await api.get("/openapi.json")).json()
    assert "/v1/petitions/{petition_id}/extension-decision" in schema["paths"]
