"""Issue 10, part 2: nobody moves, scores or reads what is not in their part of the org tree.

Each test is one fault found in the issue: a dispatcher routing across streets and districts, a
supervisor publishing or scoring another district, evaluation reads answering any district, and
tokens naming units that do not exist."""

from __future__ import annotations

import pytest

from domain.evaluation import Period
from evaluation.simulate import simulate_month
from tests.integration.api_client import bearer

# months and quarters of their own: the session's database is shared with test_evaluation.py
READS, CORRECTIONS, WHAT_IF, ROUND = "2025-10", "2025-11", "2025-09", "2025-Q2"


async def returned_petition(as_) -> str:
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report())["id"]
    await grid.act(pid, "return", {"reason": "不属本网格"})
    return pid


async def test_a_street_dispatcher_routes_only_inside_its_street(as_):
    pid = await returned_petition(as_)
    street = as_("dispatcher", "rc-yuehe")
    for target in ("rc-jiyang", "rc-jiyang-caoqiao-g1", "yanzhou-water", "rencheng-water", "pc-shuijing"):
        response = await street.post(f"/v1/petitions/{pid}/dispatch", {"unit_code": target})
        assert (response.status_code, response.json()["code"]) == (403, "out_of_scope"), (target, response.text)
        assert "another district needs admin" in response.json()["detail"]
    moved = await street.act(pid, "dispatch", {"unit_code": "rc-yuehe-yuehe"})
    assert moved["unit_code"] == "rc-yuehe-yuehe"


async def test_a_district_dispatcher_routes_inside_its_district_and_admin_anywhere(as_):
    pid = await returned_petition(as_)
    district = as_("dispatcher", "rencheng")
    for target in ("qufu-water", "yz-gulou", "pc-qfgongyi"):
        response = await district.post(f"/v1/petitions/{pid}/dispatch", {"unit_code": target})
        assert (response.status_code, response.json()["code"]) == (403, "out_of_scope"), (target, response.text)
    assert (await district.act(pid, "dispatch", {"unit_code": "rc-jiyang"}))["unit_code"] == "rc-jiyang"
    assert (await district.act(pid, "dispatch", {"unit_code": "rencheng-water"}))["unit_code"] == "rencheng-water"
    moved = await as_("admin", "").act(pid, "dispatch", {"unit_code": "yanzhou-water"})  # a transfer: the city level
    assert moved["unit_code"] == "yanzhou-water"
    unknown = await as_("admin", "").post(f"/v1/petitions/{pid}/dispatch", {"unit_code": "atlantis"})
    assert unknown.status_code == 422


async def test_a_dispatcher_of_a_community_does_not_route(as_):
    pid = await returned_petition(as_)
    response = await as_("dispatcher", "rc-yuehe-taibai").post(f"/v1/petitions/{pid}/dispatch",
                                                               {"unit_code": "rc-yuehe-taibai-g2"})
    # a dispatcher works at a district's or a street's desk: a community's is not a valid token
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token")
    assert "dispatcher works in a district or street" in response.json()["detail"]


async def test_a_role_works_only_in_its_kind_of_unit(as_):
    """A second trial (issue 10): a supervisor token of a grid decided that grid's own appeal."""
    for role, unit in (("supervisor", "rc-yuehe-taibai-g1"), ("grid_worker", "rc-yuehe"),
                       ("property_staff", "rencheng-water"), ("department_staff", "pc-hongfan"),
                       ("admin", "rc-yuehe-taibai-g1")):
        response = await as_(role, unit).get("/v1/units")
        assert (response.status_code, response.json()["code"]) == (401, "invalid_token"), (role, unit)


async def test_publishing_and_opening_rounds_are_the_city_levels(as_):
    supervisor, admin = as_("supervisor", "rencheng"), as_("admin", "")
    refused = await supervisor.post("/v1/scorecards/publish", {"period": "2025-08"})
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_allowed")
    assert (await admin.post("/v1/scorecards/publish", {"period": "2025-08"})).status_code == 200
    for path, body in (("/v1/property-rounds", {"quarter": ROUND}), (f"/v1/property-rounds/{ROUND}/close", None)):
        response = await supervisor.post(path, body)
        assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), path


async def test_a_supervisor_scores_only_its_districts_property_companies(as_):
    supervisor, admin = as_("supervisor", "rencheng"), as_("admin", "")
    assert (await admin.post("/v1/property-rounds", {"quarter": ROUND})).status_code == 201
    score = {"compound": "鼓楼小区", "representative": "业主代表丙", "score": 60}
    other = await supervisor.post(f"/v1/property-rounds/{ROUND}/scores", score | {"company_code": "pc-qfgongyi"})
    assert (other.status_code, other.json()["code"]) == (403, "out_of_scope"), other.text
    unknown = await supervisor.post(f"/v1/property-rounds/{ROUND}/scores", score | {"company_code": "pc-ghost"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unit_not_found")
    own = await supervisor.post(f"/v1/property-rounds/{ROUND}/scores", score | {"company_code": "pc-hongfan"})
    assert own.status_code == 201, own.text
    qufu = as_("supervisor", "qufu")
    assert (await qufu.post(f"/v1/property-rounds/{ROUND}/scores",
                            score | {"company_code": "pc-qfgongyi", "score": 90})).status_code == 201
    assert (await qufu.get(f"/v1/property-rounds/{ROUND}")).json()["companies"] == {"pc-qfgongyi": 90.0}
    everyone = (await admin.get(f"/v1/property-rounds/{ROUND}")).json()["companies"]
    assert everyone == {"pc-hongfan": 60.0, "pc-qfgongyi": 90.0}


async def test_a_supervisor_corrects_only_units_of_its_subtree(pool, org, as_):
    await simulate_month(pool, org, Period.parse(CORRECTIONS), 60, 11, 0)
    facts = await pool.fetch("SELECT petition_id, unit_code FROM evaluation_facts WHERE month = $1",
                             Period.parse(CORRECTIONS).months[0])
    qufu = next(f for f in facts if org.units[f["unit_code"]].district_code == "qufu")
    body = {"petition_id": qufu["petition_id"], "unit_code": qufu["unit_code"], "waive": ["return"],
            "reason": "经核实属实"}
    refused = await as_("supervisor", "rencheng").post("/v1/scorecards/corrections", body)
    assert (refused.status_code, refused.json()["code"]) == (403, "out_of_scope"), refused.text
    assert (await as_("supervisor", "qufu").post("/v1/scorecards/corrections", body)).status_code == 200


@pytest.fixture
async def month_of_cards(pool, org):
    # simulated once per session: its own petitions (another month's may close in this one)
    prefix = f"SIM{Period.parse(READS).months[0]:%Y%m}-%"
    if not await pool.fetchval("SELECT count(*) FROM petitions WHERE id LIKE $1", prefix):
        await simulate_month(pool, org, Period.parse(READS), 200, 12, 0)
    return READS


async def test_scorecards_show_the_readers_unit_and_those_below(month_of_cards, org, as_):
    params = {"period": month_of_cards, "live": "true"}
    everyone = (await as_("admin", "").get("/v1/scorecards", params=params)).json()["cards"]
    assert {org.units[c["unit_code"]].district_code for c in everyone} == {"rencheng", "yanzhou", "qufu"}
    department = (await as_("department_staff", "qufu-water").get("/v1/scorecards", params=params)).json()["cards"]
    assert {c["unit_code"] for c in department} <= {"qufu-water"}
    street = (await as_("street_staff", "rc-yuehe").get("/v1/scorecards", params=params)).json()["cards"]
    assert street and {c["unit_code"] for c in street} <= org.subtree("rc-yuehe")
    above = await as_("street_staff", "rc-yuehe").get("/v1/scorecards", params=params | {"within": "rencheng"})
    assert above.json()["cards"] == street  # `within` above the reader narrows to what it may see
    for params_out in ({"unit": "rc-jiyang"}, {"within": "rc-jiyang"}, {"unit": "qufu-water"}):
        response = await as_("street_staff", "rc-yuehe").get("/v1/scorecards", params=params | params_out)
        assert (response.status_code, response.json()["code"]) == (404, "unit_not_found"), params_out
    csv = await as_("department_staff", "qufu-water").get("/v1/scorecards", params=params | {"format": "csv"})
    assert csv.status_code == 200 and "rc-" not in csv.text


async def test_rankings_compare_inside_the_readers_district(month_of_cards, org, as_):
    params = {"period": month_of_cards, "level": "street", "live": "true"}
    qufu = (await as_("department_staff", "qufu-water").get("/v1/rankings", params=params)).json()["cards"]
    assert qufu and {org.units[c["unit_code"]].district_code for c in qufu} == {"qufu"}
    assert qufu[0]["rank"] == 1  # ranked among Qufu's streets only
    street = (await as_("street_staff", "rc-yuehe").get("/v1/rankings", params=params)).json()["cards"]
    assert {org.units[c["unit_code"]].district_code for c in street} == {"rencheng"}
    elsewhere = await as_("street_staff", "rc-yuehe").get("/v1/rankings", params=params | {"within": "qufu"})
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "unit_not_found")
    xlsx = await as_("street_staff", "rc-yuehe").get("/v1/rankings", params=params | {"format": "xlsx"})
    assert xlsx.status_code == 200
    everyone = (await as_("admin", "").get("/v1/rankings", params=params)).json()["cards"]
    assert len(everyone) > len(street)


async def test_the_petitions_behind_a_card_only_for_units_in_scope(month_of_cards, as_):
    params = {"period": month_of_cards}
    own = await as_("street_staff", "rc-yuehe").get("/v1/scorecards/rc-yuehe/petitions", params=params)
    assert own.status_code == 200
    for unit in ("rc-jiyang", "qufu-water", "nope"):
        response = await as_("street_staff", "rc-yuehe").get(f"/v1/scorecards/{unit}/petitions", params=params)
        assert (response.status_code, response.json()["code"]) == (404, "unit_not_found"), unit
    assert (await as_("admin", "").get("/v1/scorecards/qufu-water/petitions", params=params)).status_code == 200


async def test_insight_covers_only_the_readers_subtree(month_of_cards, org, as_):
    params = {"period": month_of_cards}
    everyone = (await as_("admin", "").get("/v1/insight", params=params)).json()
    assert {org.units[u["unit_code"]].district_code for u in everyone["units"]} == {"rencheng", "yanzhou", "qufu"}
    department = (await as_("department_staff", "qufu-water").get("/v1/insight", params=params)).json()
    assert {u["unit_code"] for u in department["units"]} <= {"qufu-water"}
    street = (await as_("street_staff", "rc-yuehe").get("/v1/insight", params=params)).json()
    assert {u["unit_code"] for u in street["units"]} <= org.subtree("rc-yuehe")
    response = await as_("street_staff", "rc-yuehe").get("/v1/insight", params=params | {"unit": "qf-lucheng"})
    assert (response.status_code, response.json()["code"]) == (404, "unit_not_found")


async def test_insight_within_a_unit_outside_the_readers_subtree_is_404(month_of_cards, org, as_):
    """User trial: `within` was ignored (200, the caller's whole subtree); it is a 404 as on the other reads."""
    street, params = as_("street_staff", "rc-yuehe"), {"period": month_of_cards}
    for within in ("qf-lucheng", "rc-jiyang", "nope"):
        response = await street.get("/v1/insight", params=params | {"within": within})
        assert (response.status_code, response.json()["code"]) == (404, "unit_not_found"), within
    mine = (await street.get("/v1/insight", params=params)).json()
    assert (await street.get("/v1/insight", params=params | {"within": "rencheng"})).json() == mine  # above: narrows
    community = (await street.get("/v1/insight", params=params | {"within": "rc-yuehe-taibai"})).json()
    assert {u["unit_code"] for u in community["units"]} <= org.subtree("rc-yuehe-taibai")
    assert len(community["units"]) < len(mine["units"])


async def test_the_what_if_replays_only_the_callers_petitions(pool, org, as_):
    await simulate_month(pool, org, Period.parse(WHAT_IF), 60, 13, 0)
    body = {"period": WHAT_IF, "policy": "fast"}
    everyone = (await as_("admin", "").post("/v1/insight/what-if", body)).json()["sampled"]
    rencheng = (await as_("supervisor", "rencheng").post("/v1/insight/what-if", body)).json()["sampled"]
    grids = sorted(c for c in org.subtree("rencheng") if org.units[c].kind.value == "grid")
    reported = await pool.fetchval(
        "SELECT count(*) FROM events WHERE type = 'PetitionReported' AND stream_id LIKE 'SIM202509-%' "
        "AND data->>'grid_code' = ANY($1::text[])", grids)
    simulated = await pool.fetchval("SELECT count(*) FROM petitions WHERE id LIKE 'SIM202509-%'")
    assert simulated > 60  # the 60 reported petitions and the visit days' matters (issue 14 §4)
    assert everyone == simulated and rencheng == reported and 0 < rencheng < everyone


async def test_unknown_units_in_evaluation_reads_are_404(as_):
    admin = as_("admin", "")
    for path, params in (("/v1/scorecards", {"unit": "nope"}), ("/v1/scorecards", {"within": "nope"}),
                         ("/v1/rankings", {"level": "street", "within": "nope"}), ("/v1/insight", {"unit": "nope"}),
                         ("/v1/insight", {"within": "nope"})):
        response = await admin.get(path, params={"period": "2026-10"} | params)
        assert response.status_code == 404, (path, params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "unit_not_found"


async def test_a_token_must_name_a_unit_that_exists(http):
    ghost = await http.get("/v1/queue", headers=bearer("grid_worker", "rc-ghost-g1"))
    assert ghost.status_code == 401 and ghost.json()["code"] == "invalid_token"
    assert ghost.json()["detail"] == "the token names a unit that does not exist"
    nowhere = await http.get("/v1/queue", headers=bearer("street_staff", ""))
    assert nowhere.status_code == 401 and nowhere.json()["code"] == "invalid_token"
    assert (await http.get("/v1/labels", headers=bearer("admin", "rc-ghost"))).status_code == 401
    assert (await http.get("/v1/queue", headers=bearer("admin", ""))).status_code == 200  # the city level
    assert (await http.get("/v1/queue", headers=bearer("grid_worker", "rc-yuehe-taibai-g1"))).status_code == 200


pytestmark = pytest.mark.timeout(300)


async def test_after_a_city_level_transfer_only_the_new_districts_dispatchers_move_it(as_):
    """A fresh-eyes trial (issue 10): after admin moved a petition to Yanzhou, Rencheng's and Yanzhou's
    dispatchers moved it back and forth between districts. Now a dispatcher moves only what a unit of
    its own street or district holds, and the returned order is on the new district's desk."""
    pid = await returned_petition(as_)
    moved = await as_("admin", "").act(pid, "dispatch", {"unit_code": "yz-gulou-fuqian-g1"})
    assert moved["desk_code"] == "yanzhou"
    back = await as_("dispatcher", "rencheng").post(f"/v1/petitions/{pid}/dispatch", {"unit_code": "rc-jiyang"})
    assert (back.status_code, back.json()["code"]) == (403, "out_of_scope"), back.text
    await as_("grid_worker", "yz-gulou-fuqian-g1").act(pid, "return", {"reason": "不属本网格"})
    desks = {}
    for unit in ("rencheng", "yanzhou"):
        queue = (await as_("dispatcher", unit).get("/v1/queue", params={"limit": 200})).json()["items"]
        desks[unit] = pid in [i["petition"]["id"] for i in queue]
    assert desks == {"rencheng": False, "yanzhou": True}
    across = await as_("dispatcher", "yanzhou").post(f"/v1/petitions/{pid}/dispatch", {"unit_code": "rc-jiyang"})
    assert (across.status_code, across.json()["code"]) == (403, "out_of_scope")
    within = await as_("dispatcher", "yanzhou").act(pid, "dispatch", {"unit_code": "yz-gulou"})
    assert within["unit_code"] == "yz-gulou"


async def test_the_scored_company_does_not_learn_who_scored_it(as_):
    admin, supervisor = as_("admin", ""), as_("supervisor", "rencheng")
    await admin.post("/v1/property-rounds", {"quarter": "2025-Q1"})
    await supervisor.post("/v1/property-rounds/2025-Q1/scores", {
        "company_code": "pc-hongfan", "compound": "太白小区", "representative": "王大妈 13812345678", "score": 70})
    seen = (await as_("property_staff", "pc-hongfan").get("/v1/property-rounds/2025-Q1")).json()["scores"]
    assert [s["representative"] for s in seen] == ["王**"]
    office = (await supervisor.get("/v1/property-rounds/2025-Q1")).json()["scores"]
    assert [s["representative"] for s in office] == ["王大妈 13812345678"]
