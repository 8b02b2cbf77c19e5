"""Issue 11 §7: petitions that were never a unit's to resolve, the reopen limit, one ranking rule, appeals."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from config.reference_data import work_calendar
from domain.enums import Role, Waiver
from domain.errors import InvalidState
from domain.evaluation import Period, ScoringWeights
from domain.model import Actor
from evaluation.desk import EvaluationDesk
from evaluation.simulate import simulate_month
from eventstore.evaluation_projection import ProjectionBehind, catch_up_through
from eventstore.petition_projection import verify
from tests.integration.api_client import search_tag

GRID = ("grid_worker", "rc-yuehe-taibai-g1")
DISPATCHER = ("dispatcher", "rencheng")
VISITOR = ("return_visitor", "rencheng")


async def test_a_duplicate_names_its_original_and_the_original_lists_it(pool, as_):
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
    async with pool.acquire() as conn:  # the link is folded from the event: a rebuilt row has it too
        assert not set(await verify(conn)) & {original, copy}


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
    await simulate_month(pool, org, Period.parse("2024-09"), 200, seed=41)
    for caller, within in ((as_("admin", ""), "rencheng"), (as_("supervisor", "rencheng"), None),
                           (as_("admin", ""), None)):
        params = {"period": "2024-09", "level": "street"} | ({"within": within} if within else {})
        cards = (await caller.get("/v1/scorecards", params=params)).json()["cards"]
        ranking = (await caller.get("/v1/rankings", params=params)).json()["cards"]
        # a street that held nothing itself shows only its area's on-the-spot share (issue 14 §1): not ranked
        area_only = [c for c in cards if not c["petitions"] and c["area_petitions"]]
        assert all(c["rank"] is None for c in area_only)
        cards = [c for c in cards if c not in area_only]
        assert len(cards) >= 3
        assert {c["unit_code"]: c["rank"] for c in cards} == {c["unit_code"]: c["rank"] for c in ranking}
        ranks = sorted(c["rank"] for c in cards if c["rank"] is not None)
        assert ranks[0] == 1 and all(r <= len(ranks) for r in ranks)  # ranked among themselves, not the city
    # a street reads its own card with the rank it has among its district's streets
    street = (await as_("street_staff", "rc-yuehe").get("/v1/scorecards", params={
        "period": "2024-09", "unit": "rc-yuehe"})).json()["cards"]
    district = (await as_("supervisor", "rencheng").get("/v1/rankings", params={
        "period": "2024-09", "level": "street"})).json()["cards"]
    assert street and street[0]["rank"] == next(c["rank"] for c in district if c["unit_code"] == "rc-yuehe")


ROLE_OF_KIND = {"grid": "grid_worker", "community": "community_staff", "street": "street_staff",
                "department": "department_staff", "property_company": "property_staff"}


async def _appealable(pool, org, month: str, where: str) -> tuple[str, str, str]:
    """(petition, unit, the role of that unit's staff) of a Rencheng fact matching `where`."""
    row = await pool.fetchrow(
        f"SELECT petition_id, unit_code FROM evaluation_facts WHERE month = $1 AND {where} "
        "AND unit_code = ANY($2::text[]) ORDER BY petition_id, unit_code LIMIT 1",
        Period.parse(month).months[0], sorted(org.subtree("rencheng")))
    return row["petition_id"], row["unit_code"], ROLE_OF_KIND[org.units[row["unit_code"]].kind.value]


async def test_a_unit_appeals_its_own_record_and_a_supervisor_upholds_it(pool, org, as_):
    await simulate_month(pool, org, Period.parse("2024-10"), 120, seed=42)
    admin, supervisor = as_("admin", ""), as_("supervisor", "rencheng")
    assert (await admin.post("/v1/scorecards/publish", {"period": "2024-10"})).status_code == 200
    # accepted late: the waiver turns that acceptance into one in time
    late = "accept_breaches > 0 AND accepted > accepted_in_time"
    petition, unit, role = await _appealable(pool, org, "2024-10", late)
    staff = as_(role, unit)
    before = (await staff.get("/v1/scorecards", params={"period": "2024-10", "unit": unit})).json()["cards"][0]
    body = {"petition_id": petition, "unit_code": unit, "waive": ["accept_breach"], "reason": "系统停电无法签收"}

    other = as_("grid_worker", "rc-jiyang-caoqiao-g1")  # another unit may not appeal this unit's record
    refused = await other.post("/v1/appeals", body)
    assert (refused.status_code, refused.json()["code"]) == (403, "out_of_scope")
    assert (await supervisor.post("/v1/appeals", body)).json()["code"] == "role_not_allowed"  # units appeal
    filed = await staff.post("/v1/appeals", body)
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert (appeal["status"], appeal["period"], appeal["waive"]) == ("filed", "2024-10", ["accept_breach"])
    assert (await staff.post("/v1/appeals", body)).status_code == 409  # one open appeal at a time

    decision = {"upheld": True, "reason": "经核实, 当日系统停电"}
    path = f"/v1/appeals/{appeal['appeal_id']}/decision"
    assert (await staff.post(path, decision)).json()["code"] == "role_not_allowed"  # not its own judge
    assert (await as_("supervisor", "yanzhou").post(path, decision)).json()["code"] == "out_of_scope"
    upheld = await supervisor.post(path, decision, headers={"idempotency-key": "uphold-1"})
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "upheld" and upheld.json()["edition"]["edition"] == 2
    assert (await supervisor.post(path, decision)).status_code == 409  # decided once
    retried = await supervisor.post(path, decision, headers={"idempotency-key": "uphold-1"})
    assert (retried.status_code, retried.json()) == (200, upheld.json())  # its first answer, edition included

    after = (await staff.get("/v1/scorecards", params={"period": "2024-10", "unit": unit})).json()
    assert after["edition"] == 2 and after["cards"][0]["accepted_in_time"] == before["accepted_in_time"] + 1
    seen = (await staff.get("/v1/appeals", params={"period": "2024-10"})).json()
    assert [(a["appeal_id"], a["status"], a["decision_reason"]) for a in seen] == [
        (appeal["appeal_id"], "upheld", "经核实, 当日系统停电")]
    assert appeal["appeal_id"] in [a["appeal_id"] for a in (await supervisor.get(
        "/v1/appeals", params={"period": "2024-Q4"})).json()]
    assert (await other.get("/v1/appeals", params={"period": "2024-10"})).json() == []
    assert (await as_("supervisor", "yanzhou").get("/v1/appeals", params={"period": "2024-10"})).json() == []
    events = await pool.fetch("SELECT type FROM events WHERE stream_id = $1 ORDER BY version", f"appeals-{petition}")
    assert [e["type"] for e in events] == ["AppealFiled", "EvaluationCorrected", "AppealDecided"]


async def test_a_desk_reads_its_own_write_while_an_older_transaction_holds_the_log_back(pool, org, as_):
    """The gap-free read passes over an event while a transaction that began before it is still open; an
    appeal filed then must still answer the appeal (not 404), and a corrected edition must count it."""
    await simulate_month(pool, org, Period.parse("2024-07"), 120, seed=44)
    assert (await as_("admin", "").post("/v1/scorecards/publish", {"period": "2024-07"})).status_code == 200
    petition, unit, role = await _appealable(pool, org, "2024-07", "returns > 0")
    body = {"petition_id": petition, "unit_code": unit, "waive": ["return"], "reason": "派错了单位"}
    async with pool.acquire() as blocker:
        holding = blocker.transaction()
        await holding.start()
        await blocker.fetchval("SELECT pg_current_xact_id()")  # an older writer, still open
        filing = asyncio.ensure_future(as_(role, unit).post("/v1/appeals", body))
        await asyncio.sleep(0.5)
        assert not filing.done()  # it waits for the log to pass its own event
        position = await pool.fetchval("SELECT max(position) FROM events WHERE stream_id = $1",
                                       f"appeals-{petition}")
        async with pool.acquire() as conn:
            with pytest.raises(ProjectionBehind):
                await catch_up_through(conn, position, wait=0.1)
        await holding.commit()
        filed = await filing
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "filed"


async def test_a_rejected_appeal_changes_no_figure_and_a_late_one_is_refused(pool, org, as_):
    await simulate_month(pool, org, Period.parse("2024-11"), 120, seed=43)
    admin, supervisor = as_("admin", ""), as_("supervisor", "rencheng")
    published = (await admin.post("/v1/scorecards/publish", {"period": "2024-11"})).json()
    petition, unit, role = await _appealable(pool, org, "2024-11", "returns > 0")
    staff = as_(role, unit)
    body, key = {"petition_id": petition, "unit_code": unit, "waive": ["return"], "reason": "派错了单位"}, "ap-1"
    filed = (await staff.post("/v1/appeals", body, headers={"idempotency-key": key})).json()
    again = await staff.post("/v1/appeals", body, headers={"idempotency-key": key})  # a retry: the same answer
    assert (again.status_code, again.json()) == (201, filed)
    reused = await staff.post("/v1/appeals", body | {"reason": "别的理由"}, headers={"idempotency-key": key})
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")
    decision, decided_key = {"upheld": False, "reason": "退单理由不成立"}, {"idempotency-key": "dec-1"}
    rejected = await supervisor.post(f"/v1/appeals/{filed['appeal_id']}/decision", decision, headers=decided_key)
    assert rejected.status_code == 200, rejected.text
    retried = await supervisor.post(f"/v1/appeals/{filed['appeal_id']}/decision", decision, headers=decided_key)
    assert (retried.status_code, retried.json()) == (200, rejected.json())
    late_retry = await staff.post("/v1/appeals", body, headers={"idempotency-key": key})  # after the decision:
    assert (late_retry.status_code, late_retry.json()) == (201, filed)  # still the first answer, as filed
    assert (rejected.json()["status"], rejected.json()["edition"]) == ("rejected", None)
    cards = (await staff.get("/v1/scorecards", params={"period": "2024-11"})).json()
    assert cards["edition"] == 1 and await pool.fetchval(
        "SELECT waived FROM evaluation_facts WHERE petition_id = $1 AND unit_code = $2", petition, unit) == []
    seen = (await staff.get("/v1/appeals", params={"period": "2024-11"})).json()
    assert [(a["status"], a["decision_reason"]) for a in seen] == [("rejected", "退单理由不成立")]

    desk = EvaluationDesk(pool, org, ScoringWeights(), work_calendar())
    too_late = datetime.fromisoformat(published["appeal_due"]) + timedelta(minutes=1)
    with pytest.raises(InvalidState, match="appeals against 2024-11 closed"):
        await desk.file_appeal(petition, unit, [Waiver.RETURN], "迟到的申诉",
                               Actor(id="u", name="工作人员", unit_code=unit, role=Role(role)), too_late)


pytestmark = pytest.mark.timeout(300)
