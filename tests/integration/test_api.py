"""Every endpoint with its error paths, on the real services, as the people who use it."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from api.main import create_app
from config.settings import Settings
from tests.integration.api_client import REPORT, SECRET, bearer


@pytest.fixture
def people(as_):
    class People:
        grid = as_("grid_worker", "rc-yuehe-taibai-g1")
        community = as_("community_staff", "rc-yuehe-taibai")
        street = as_("street_staff", "rc-yuehe")
        other_street = as_("street_staff", "rc-jiyang")
        dispatcher = as_("dispatcher", "rencheng")
        visitor = as_("return_visitor", "rencheng")
        supervisor = as_("supervisor", "rencheng")
        admin = as_("admin", "")
    return People


async def test_report_read_and_list_events(people):
    created = await people.grid.report()
    assert created["status"] == "dispatched" and created["status_label"] == "已分办待签收"
    assert created["level"] == "grid" and created["unit_code"] == "rc-yuehe-taibai-g1"
    assert created["resolve_due"] and created["accept_due"] and created["deadline_state"] == "ok"
    fetched = (await people.grid.get(f"/v1/petitions/{created['id']}")).json()
    assert {k: fetched[k] for k in ("id", "status", "unit_code", "resolve_due", "version")} == {
        k: created[k] for k in ("id", "status", "unit_code", "resolve_due", "version")}
    events = (await people.grid.get(f"/v1/petitions/{created['id']}/events")).json()
    assert [e["type"] for e in events] == ["PetitionReported", "WorkOrderAssigned"]
    assert events[0]["data"]["actor"]["id"] == "grid_worker@rc-yuehe-taibai-g1"  # the token is the actor


async def test_the_whole_loop_by_rest_alone(people):
    pid = (await people.grid.report())["id"]
    await people.grid.act(pid, "accept")
    await people.grid.act(pid, "progress", {"note": "已联系环卫"})
    await people.grid.act(pid, "extension-request", {"duration": {"whole_working_days": 1}, "reason": "环卫车检修"})
    await people.community.act(pid, "extension-decision", {"approve": True})
    await people.grid.act(pid, "pause", {"reason": "等待群众在家", "reason_kind": "waiting_resident"})
    paused = await people.community.act(pid, "pause")
    assert paused["status"] == "paused" and paused["deadline_state"] == "paused"
    await people.grid.act(pid, "resume")
    escalated = await people.grid.act(pid, "escalate", {"reason": "需社区协调物业"})
    assert escalated["level"] == "community" and escalated["escalations"] == 1
    await people.supervisor.act(pid, "urge", {"note": "请尽快办理"})
    await people.community.act(pid, "accept")
    resolved = await people.community.act(pid, "resolve", {"result": "已清运", "evidence_urls": ["https://e/1"]})
    assert resolved["status"] == "resolved" and resolved["visit_due"]
    closed = await people.visitor.act(pid, "return-visit", {"outcome": "satisfied"})
    assert closed["status"] == "closed" and closed["close_outcome_label"] == "已解决办结"
    types = [e["type"] for e in (await people.admin.get(f"/v1/petitions/{pid}/events")).json()]
    assert types[-3:] == ["PetitionClosed", "UnitEvaluated", "UnitEvaluated"]


async def test_return_redispatch_and_close(people):
    pid = (await people.grid.report())["id"]
    assert (await people.grid.act(pid, "return", {"reason": "不属本网格"}))["status"] == "returned"
    moved = await people.dispatcher.act(pid, "dispatch", {"unit_code": "rc-jiyang-caoqiao"})
    assert moved["unit_code"] == "rc-jiyang-caoqiao" and moved["level"] == "community"
    original = (await people.grid.report())["id"]
    closed = await people.dispatcher.act(pid, "close", {"outcome": "duplicate", "explanation": "与另一件重复",
                                                        "duplicate_of": original})
    assert closed["close_outcome"] == "duplicate" and closed["duplicate_of"] == original
    # any command on a closed petition is a 409 that says when and how it closed (not a 404)
    for caller, action, body in ((people.supervisor, "urge", {"note": "再催"}),
                                 (people.visitor, "return-visit", {"outcome": "satisfied"}),
                                 (people.dispatcher, "close", {"outcome": "withdrawn", "explanation": "撤回"}),
                                 (people.dispatcher, "dispatch", {"unit_code": "rc-yuehe-yuehe"})):
        refused = await caller.post(f"/v1/petitions/{pid}/{action}", body)
        assert (refused.status_code, refused.json()["code"]) == (409, "petition_closed"), (action, refused.text)
        assert "重复" in refused.json()["detail"] and "Beijing time" in refused.json()["detail"]


async def test_dispatching_to_the_unit_that_holds_it_is_a_409_that_says_so(people):
    """User trial: a 422, as if the command were malformed; it is the petition's state that forbids it."""
    pid = (await people.grid.report())["id"]
    refused = await people.dispatcher.post(f"/v1/petitions/{pid}/dispatch", {"unit_code": "rc-yuehe-taibai-g1"})
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "already with" in refused.json()["detail"] and "(rc-yuehe-taibai-g1)" in refused.json()["detail"]


async def test_another_streets_staff_cannot_see_or_touch_it(people):
    pid = (await people.grid.report())["id"]
    assert (await people.street.get(f"/v1/petitions/{pid}")).status_code == 200
    assert (await people.other_street.get(f"/v1/petitions/{pid}")).status_code == 404
    assert (await people.other_street.get(f"/v1/petitions/{pid}/events")).status_code == 404
    touched = await people.other_street.post(f"/v1/petitions/{pid}/urge", {"note": "x"})
    assert touched.status_code == 403 and touched.json()["code"] == "out_of_scope"
    listed = (await people.other_street.get("/v1/petitions", params={"limit": 200})).json()["items"]
    assert pid not in [p["id"] for p in listed]


async def test_personal_data_is_masked_for_roles_that_do_not_call_the_resident(people):
    pid = (await people.grid.report())["id"]
    seen_by_street = (await people.street.get(f"/v1/petitions/{pid}")).json()
    assert (seen_by_street["reporter_name"], seen_by_street["reporter_phone"]) == ("陈**", "138****1234")
    events = (await people.street.get(f"/v1/petitions/{pid}/events")).json()
    assert events[0]["data"]["reporter_phone"] == "138****1234"
    seen_by_visitor = (await people.visitor.get(f"/v1/petitions/{pid}")).json()
    assert seen_by_visitor["reporter_phone"] == "13805371234"
    seen_by_handler = (await people.grid.get(f"/v1/petitions/{pid}")).json()
    assert seen_by_handler["reporter_phone"] == "13805371234"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in REPORT.items() if k != "description"}, "description"),
        (REPORT | {"urgency": "whenever"}, "urgency"),
        (REPORT | {"description": "长" * 4001}, "description"),  # one limit everywhere: 4,000 (GeoReport v2)
        (REPORT | {"reporter_phone": "call me"}, "reporter_phone"),
    ],
)
async def test_invalid_reports_name_the_field(people, body, field):
    response = await people.grid.post("/v1/petitions", body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_unknown_category_grid_malformed_json_and_oversized_body(people):
    unknown = await people.grid.post("/v1/petitions", REPORT | {"category": "ufo"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_category"
    grid = await people.admin.post("/v1/petitions", REPORT | {"grid_code": "nowhere"})
    assert grid.status_code == 422 and "unknown grid" in grid.json()["detail"]
    broken = await people.grid.post("/v1/petitions", content=b"{not json",
                                    headers={"content-type": "application/json"})
    assert broken.status_code == 422
    huge = await people.grid.post("/v1/petitions", REPORT | {"address": "x" * 100_000})
    assert huge.status_code == 413 and huge.json()["code"] == "body_too_large"
    too_many = await people.grid.post(f"/v1/petitions/{(await people.grid.report())['id']}/resolve",
                                      {"result": "x", "evidence_urls": ["u"] * 21})
    assert too_many.status_code == 422


async def test_command_errors_are_4xx_with_reasons(people):
    pid = (await people.grid.report())["id"]
    wrong_unit = await people.community.post(f"/v1/petitions/{pid}/accept")
    assert wrong_unit.status_code == 403 and wrong_unit.json()["code"] == "not_permitted"
    wrong_role = await people.grid.post(f"/v1/petitions/{pid}/close", {"outcome": "withdrawn", "explanation": "x"})
    assert wrong_role.status_code == 403 and wrong_role.json()["code"] == "role_not_allowed"
    too_early = await people.grid.post(f"/v1/petitions/{pid}/resolve", {"result": "done"})
    assert too_early.status_code == 409 and too_early.json()["code"] == "invalid_state"
    bad_unit = await people.grid.post(f"/v1/petitions/{pid}/extension-request",
                                      {"duration": {"fortnights": 1}, "reason": "x"})
    assert bad_unit.status_code == 422
    stray = await people.grid.post(f"/v1/petitions/{pid}/accept", {"actor": {"id": "forged"}})
    assert stray.status_code == 422  # the actor comes from the token, never from the body
    no_such_unit = await people.dispatcher.post(f"/v1/petitions/{pid}/dispatch", {"unit_code": "atlantis"})
    assert no_such_unit.status_code == 422
    missing = await people.grid.post("/v1/petitions/JH-none/accept")
    assert missing.status_code == 404 and missing.json()["code"] == "petition_not_found"
    assert (await people.grid.get("/v1/petitions/JH-none")).status_code == 404
    assert (await people.grid.post(f"/v1/petitions/{pid}/teleport", {})).status_code in (404, 405)


async def test_authentication_is_required_and_checked(http):
    assert (await http.get("/v1/petitions")).status_code == 401
    forged = {"authorization": "Bearer " + bearer("admin", "")["authorization"].split()[1][:-4] + "AAAA"}
    response = await http.get("/v1/petitions", headers=forged)
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    from api.auth import issue_token
    from domain.enums import Role
    from tests.integration.api_client import SECRET

    expired = issue_token(SECRET, subject="x", name="x", role=Role.ADMIN, unit="", hours=-1)
    response = await http.get("/v1/petitions", headers={"authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json()["code"] == "token_expired"
    assert (await http.get("/healthz")).status_code == 200  # health and docs stay open
    assert (await http.get("/openapi.json")).status_code == 200


async def test_reference_endpoints_and_health(people, http):
    units = (await people.grid.get("/v1/units")).json()
    assert {"code": "rc-yuehe", "level": "street", "kind_label": "街道(镇)"}.items() <= next(
        u for u in units if u["code"] == "rc-yuehe").items()
    streets = (await people.grid.get("/v1/units", params={"parent": "rencheng", "kind": "street"})).json()
    assert len(streets) == 15
    tree = (await people.grid.get("/v1/units/rc-yuehe")).json()
    assert tree["ancestors"] == ["rencheng"] and {c["code"] for c in tree["children"]} == {
        "rc-yuehe-taibai", "rc-yuehe-yuehe", "rc-yuehe-wyb"}  # its communities and its 物业办 (issue 14 §3)
    assert len(tree["children"][0]["children"]) == 3
    assert (await people.grid.get("/v1/units/atlantis")).status_code == 404
    categories = (await people.grid.get("/v1/categories")).json()
    assert len(categories) >= 15 and {"code": "property_management", "start_level": "community"}.items() <= next(
        c for c in categories if c["code"] == "property_management").items()
    labels = (await people.grid.get("/v1/labels")).json()
    assert labels["Level"]["department"] == "区直部门" and labels["CloseOutcome"]["withdrawn"] == "群众撤回"
    ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgres": "ok", "temporal": "ok"}
    schema = (await http.get("/openapi.json")).json()
    assert "/v1/petitions/{petition_id}/extension-decision" in schema["paths"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


async def test_text_that_cannot_be_stored_is_refused_up_front(people):
    pid = (await people.grid.report())["id"]
    response = await people.supervisor.post(f"/v1/petitions/{pid}/urge", {"note": "快\u0000办"})
    assert response.status_code == 422 and "NUL" in response.json()["detail"]
    response = await people.grid.post("/v1/petitions", REPORT | {"description": "垃圾\u0000"})
    assert response.status_code == 422
    response = await people.grid.post(f"/v1/petitions/{pid}/progress", content=b'{"note": "half \\ud800"}',
                                      headers={"content-type": "application/json"})
    assert response.status_code == 422 and "surrogate" in response.json()["detail"]
    events = (await people.grid.get(f"/v1/petitions/{pid}/events")).json()
    assert [e["type"] for e in events] == ["PetitionReported", "WorkOrderAssigned"]


async def test_openapi_documents_every_error_and_the_security_scheme(http):
    schema = (await http.get("/openapi.json")).json()
    public = {"/healthz", "/readyz", "/v1/sign-in"}  # the console asks how to sign in before it has a token
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path in public or path.startswith("/open311"):
                continue
            assert "401" in operation["responses"], (method, path)
            if method == "post":
                assert "422" in operation["responses"], (method, path)
                # the SMS gateway's inbound messages carry no person and no role: nothing there answers 403
                if path != "/v1/sms/inbound":
                    assert "403" in operation["responses"], (method, path)


async def test_every_command_honours_the_idempotency_key_also_across_an_api_restart(
        as_, temporal_env, postgres, task_queue):
    """Issue 11 (5): a client's retry of a command with the same key is answered as the first, not acted twice."""
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    pid = (await grid.report())["id"]
    accept = {"idempotency-key": "accept-1"}
    first = await grid.post(f"/v1/petitions/{pid}/accept", {}, headers=accept)
    again = await grid.post(f"/v1/petitions/{pid}/accept", {}, headers=accept)
    assert first.status_code == again.status_code == 200 and again.json()["version"] == first.json()["version"]
    await grid.act(pid, "resolve", {"result": "已清运"})

    key = {"idempotency-key": "visit-7c1"}
    unreachable = await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "unreachable"}, headers=key)
    assert unreachable.status_code == 200 and unreachable.json()["visit_attempts"] == 1
    # a new API process (no memory of the first request) on the same database and Temporal
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as restarted:
        retried = await restarted.post(f"/v1/petitions/{pid}/return-visit", json={"outcome": "unreachable"},
                                       headers=bearer("return_visitor", "rencheng") | key)
    assert retried.status_code == 200 and retried.json()["visit_attempts"] == 1, retried.text
    assert retried.json()["version"] == unreachable.json()["version"]
    reused = await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "satisfied"}, headers=key)
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")
    events = (await visitor.get(f"/v1/petitions/{pid}/events")).json()
    assert [e["data"]["attempt"] for e in events if e["type"] == "ReturnVisitRecorded"] == [1]

    close = {"idempotency-key": "close-1"}
    body = {"outcome": "withdrawn", "explanation": "群众撤回"}
    closed = await as_("dispatcher", "rencheng").post(f"/v1/petitions/{pid}/close", body, headers=close)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    retried = await as_("dispatcher", "rencheng").post(f"/v1/petitions/{pid}/close", body, headers=close)
    assert retried.status_code == 200 and retried.json()["close_outcome"] == "withdrawn"  # not a 409: it is a retry
    other = await as_("dispatcher", "rencheng").post(f"/v1/petitions/{pid}/close", body,
                                                    headers={"idempotency-key": "close-2"})
    assert (other.status_code, other.json()["code"]) == (409, "petition_closed")


async def test_an_order_sent_back_after_a_return_is_final_until_a_supervisor_allows_another(as_):
    """Issue 11 (3): 退单 ping-pong ends at the first send-back (终审)."""
    grid, dispatcher = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("dispatcher", "rencheng")
    pid = (await grid.report())["id"]
    first_due = (await grid.act(pid, "accept"))["resolve_due"]
    await grid.act(pid, "return", {"reason": "职能不符"})
    back = await dispatcher.act(pid, "dispatch", {"unit_code": "rc-yuehe-taibai-g1"})
    # returning bought no time: the same deadline, moved only by the moments the order sat at the desk
    gained = datetime.fromisoformat(back["resolve_due"]) - datetime.fromisoformat(first_due)
    assert timedelta(0) <= gained < timedelta(seconds=30)
    again = await grid.post(f"/v1/petitions/{pid}/return", {"reason": "职能不符"})
    assert again.status_code == 409 and "终审" in again.json()["detail"]
    refused = await dispatcher.post(f"/v1/petitions/{pid}/allow-return", {"reason": "确属职能不符"})
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_allowed")
    await as_("supervisor", "rencheng").act(pid, "allow-return", {"reason": "确属职能不符"})
    assert (await grid.act(pid, "return", {"reason": "职能不符"}))["status"] == "returned"
