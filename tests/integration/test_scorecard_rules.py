"""Issue 11 §7: petitions that were never a unit's to resolve, the reopen limit, one ranking rule, appeals."""

from __future__ import annotations

import pytest

from domain.evaluation import Period
from evaluation.simulate import simulate_month
from tests.integration.api_client import search_tag

GRID = ("grid_worker", "rc-yuehe-taibai-g1")
DISPATCHER = ("dispatcher", "rencheng")
VISITOR = ("return_visitor", "rencheng")


async def test_a_duplicate_names_its_original_and_the_original_lists_it(as_):
    grid, dispatcher = as_(*GRID), as_(*DISPATCHER)
    original = (await grid.report())["id"]
    copy = (await grid.report())["id"]
    other_district = (await as_("grid_worker", "yz-gulou-fuqian-g1").report(grid_code="yz-gulou-fuqian-g1"))["id"]

    for body, code in (({}, "duplicate_of_required"), ({"duplicate_of": copy}, "invalid_duplicate_of"),
                       ({"duplicate_of": "JH-NO-SUCH"}, "invalid_duplicate_of"),
                       ({"duplicate_of": other_district}, "invalid_duplicate_of")):  # not visible to Rencheng
        refused = await dispatcher.post(f"/v1/petitions/{copy}/close",
                                        {"outcome": "duplicate", "explanation": "重复件"} | body)
        assert (refused.status_code, refused.json()["code"]) == (422, code), (body, refused.text)
        assert "duplicate_of" in refused.json()["detail"]
    not_a_duplicate = await dispatcher.post(f"/v1/petitions/{copy}/close", {
        "outcome": "withdrawn", "explanation": "群众撤回", "duplicate_of": original})
    assert not_a_duplicate.status_code == 422

    closed = await dispatcher.act(copy, "close", {"outcome": "duplicate", "explanation": "与前件重复",
                                                  "duplicate_of": original})
    assert (closed["close_outcome"], closed["duplicate_of"]) == ("duplicate", original)
    assert (await grid.get(f"/v1/petitions/{copy}")).json()["duplicate_of"] == original
    shown = (await grid.get(f"/v1/petitions/{original}")).json()
    assert shown["duplicates"] == [copy] and shown["duplicate_of"] == ""
    # a reader who cannot see the duplicate is not told it exists
    assert (await as_("grid_worker", "yz-gulou-fuqian-g1").get(f"/v1/petitions/{original}")).status_code == 404


async def test_still_dissatisfied_at_the_limit_closes_not_resolved_and_is_listable(as_):
    grid, visitor, supervisor = as_(*GRID), as_(*VISITOR), as_("supervisor", "rencheng")
    tag = search_tag()
    pid = (await grid.report(description=f"路灯不亮 {tag}"))["id"]
    for _ in range(3):  # the default policy allows two reopens
        await grid.act(pid, "accept")
        await grid.act(pid, "resolve", {"result": "已维修"})
        after = await visitor.act(pid, "return-visit", {"outcome": "dissatisfied"})
    assert (after["status"], after["close_outcome"]) == ("closed", "closed_not_resolved")
    assert after["close_outcome_label"] == "未解决办结(群众仍不满意)"
    events = (await supervisor.get(f"/v1/petitions/{pid}/events")).json()
    closed = next(e for e in events if e["type"] == "PetitionClosed")
    assert "未解决办结" in closed["data"]["explanation"]
    listed = (await supervisor.get("/v1/petitions", params={"status": "closed", "close_outcome": "closed_not_resolved",
                                                            "q": tag})).json()["items"]
    assert [p["id"] for p in listed] == [pid]
    resolved = (await supervisor.get("/v1/petitions", params={"close_outcome": "resolved", "q": tag})).json()
    assert resolved["items"] == []


async def test_one_ranking_rule_a_street_has_the_same_rank_on_its_card_and_in_the_ranking(pool, org, as_):
    await simulate_month(pool, org, Period.parse("2025-09"), 200, seed=11)
    for caller, within in ((as_("admin", ""), "rencheng"), (as_("supervisor", "rencheng"), None),
                           (as_("admin", ""), None)):
        params = {"period": "2025-09", "level": "street"} | ({"within": within} if within else {})
        cards = (await caller.get("/v1/scorecards", params=params)).json()["cards"]
        ranking = (await caller.get("/v1/rankings", params=params)).json()["cards"]
        assert len(cards) >= 3
        assert {c["unit_code"]: c["rank"] for c in cards} == {c["unit_code"]: c["rank"] for c in ranking}
        ranks = sorted(c["rank"] for c in cards if c["rank"] is not None)
        assert ranks[0] == 1 and all(r <= len(ranks) for r in ranks)  # ranked among themselves, not the city
    # a street reads its own card with the rank it has among its district's streets
    street = (await as_("street_staff", "rc-yuehe").get("/v1/scorecards", params={
        "period": "2025-09", "unit": "rc-yuehe"})).json()["cards"]
    district = (await as_("supervisor", "rencheng").get("/v1/rankings", params={
        "period": "2025-09", "level": "street"})).json()["cards"]
    assert street and street[0]["rank"] == next(c["rank"] for c in district if c["unit_code"] == "rc-yuehe")


pytestmark = pytest.mark.timeout(300)
