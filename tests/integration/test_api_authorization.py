"""The authorization matrix: every role x every endpoint x a unit inside and outside the petition's subtree."""

from __future__ import annotations

import pytest

from api.scope import ROLES_OF_ACTION

# (role, a unit whose subtree holds the petition, a unit elsewhere); the petition sits at 太白社区第1网格.
PEOPLE = [
    ("grid_worker", "rc-yuehe-taibai-g1", "rc-jiyang-caoqiao-g1"),
    ("community_staff", "rc-yuehe-taibai", "rc-jiyang-caoqiao"),
    ("street_staff", "rc-yuehe", "rc-jiyang"),
    ("department_staff", None, "rencheng-water"),
    ("property_staff", None, "pc-shuijing"),
    ("dispatcher", "rencheng", "yanzhou"),
    ("return_visitor", "rencheng", "yanzhou"),
    ("supervisor", "rencheng", "yanzhou"),
    ("admin", "", None),
]

BODIES = {
    "accept": {}, "return": {"reason": "不属本单位"}, "escalate": {"reason": "无权处理"},
    "extension-request": {"duration": {"working_days": 1}, "reason": "协调"},
    "extension-decision": {"approve": True}, "pause": {"reason": "等待群众"}, "resume": {},
    "progress": {"note": "处理中"}, "resolve": {"result": "已处理"}, "urge": {"note": "请尽快"},
    "return-visit": {"outcome": "satisfied"}, "dispatch": {"unit_code": "rc-yuehe-yuehe"},
    "close": {"outcome": "withdrawn", "explanation": "群众撤回"},
}


@pytest.mark.parametrize("action", sorted(BODIES))
async def test_commands_by_role_and_scope(as_, action):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    shared = (await grid.report())["id"]
    for role, inside, outside in PEOPLE:
        if outside is not None:
            response = await as_(role, outside).post(f"/v1/petitions/{shared}/{action}", BODIES[action])
            assert response.status_code == 403, (role, outside, action, response.text)
        if inside is None:
            continue
        pid = (await grid.report())["id"]  # a fresh petition: an allowed command may change it
        response = await as_(role, inside).post(f"/v1/petitions/{pid}/{action}", BODIES[action])
        if role not in {r.value for r in ROLES_OF_ACTION[action]}:
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, action)
        else:
            # the role may try; the workflow then judges the unit and the state, never with a 5xx
            assert response.status_code in (200, 403, 409, 422), (role, action, response.text)
            if response.status_code == 403:
                assert response.json()["code"] == "not_permitted"


async def test_reads_by_role_and_scope(as_):
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report(description="授权矩阵读取"))["id"]
    for role, inside, outside in PEOPLE:
        if inside is not None:
            caller = as_(role, inside)
            assert (await caller.get(f"/v1/petitions/{pid}")).status_code == 200, role
            assert (await caller.get(f"/v1/petitions/{pid}/events")).status_code == 200, role
            listed = (await caller.get("/v1/petitions", params={"q": "授权矩阵读取"})).json()["items"]
            assert [p["id"] for p in listed] == [pid], role
        if outside is not None:
            caller = as_(role, outside)
            assert (await caller.get(f"/v1/petitions/{pid}")).status_code == 404, role
            assert (await caller.get(f"/v1/petitions/{pid}/events")).status_code == 404, role
            listed = (await caller.get("/v1/petitions", params={"q": "授权矩阵读取"})).json()["items"]
            assert listed == [], role
        for who in (inside, outside):
            if who is not None:
                for path in ("/v1/units", "/v1/categories", "/v1/labels", "/v1/queue"):
                    assert (await as_(role, who).get(path)).status_code == 200, (role, path)


async def test_a_department_sees_its_own_work_orders_once_they_reach_it(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report())["id"]
    department = as_("department_staff", "rencheng-urban-management")
    assert (await department.get(f"/v1/petitions/{pid}")).status_code == 404
    await grid.act(pid, "return", {"reason": "需执法局"})
    await as_("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": "rencheng-urban-management"})
    assert (await department.get(f"/v1/petitions/{pid}")).status_code == 200
    queue = (await department.get("/v1/queue")).json()
    assert pid in [item["petition"]["id"] for item in queue["items"]]
    assert (await department.act(pid, "accept"))["status"] == "accepted"
