"""Who read a resident's data: every response that shows a reporter unmasked leaves one access record
per petition (who, when, which, why), masked reads leave none, and auditors list them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import asyncpg
import pytest

from tests.integration.api_client import bearer, search_tag

GRID = ("grid_worker", "rc-yuehe-taibai-g1")
VISITOR, DISPATCHER = ("return_visitor", "rencheng"), ("dispatcher", "rencheng")
STREET, AUDITOR = ("street_staff", "rc-yuehe"), ("auditor", "rencheng")


async def records_of(pool, response) -> list[dict]:
    """The access records the request behind `response` left."""
    rows = await pool.fetch("SELECT * FROM access_log WHERE request_id = $1 ORDER BY petition_id",
                            response.headers["x-request-id"])
    return [dict(r) for r in rows]


async def test_each_unmasked_read_leaves_one_record_per_petition_and_masked_reads_none(as_, pool):
    grid, visitor, dispatcher, street = as_(*GRID), as_(*VISITOR), as_(*DISPATCHER), as_(*STREET)
    tag = search_tag()
    a = (await grid.report(description=f"留痕 {tag} a"))["id"]
    b = (await grid.report(description=f"留痕 {tag} b"))["id"]

    read = await visitor.get(f"/v1/petitions/{a}", headers={"x-access-reason": quote("回访核实诉求")})
    assert read.status_code == 200 and read.json()["reporter_phone"] == "13805371234"
    [record] = await records_of(pool, read)
    assert {k: record[k] for k in ("actor_id", "actor_name", "role", "unit_code", "petition_id", "what", "reason")} == {
        "actor_id": "return_visitor@rencheng", "actor_name": "return_visitor of rencheng", "role": "return_visitor",
        "unit_code": "rencheng", "petition_id": a, "what": "petition", "reason": "回访核实诉求"}
    assert abs((datetime.now(UTC) - record["at"]).total_seconds()) < 60

    events = await visitor.get(f"/v1/petitions/{a}/events")
    assert events.json()[0]["data"]["reporter_phone"] == "13805371234"
    assert [(r["petition_id"], r["what"], r["reason"]) for r in await records_of(pool, events)] == [(a, "events", None)]

    held = await grid.get(f"/v1/petitions/{a}/events")  # the holding unit sees its reporter, in the events too
    assert held.json()[0]["data"]["reporter_phone"] == "13805371234"
    assert [(r["actor_id"], r["what"]) for r in await records_of(pool, held)] == [(
        "grid_worker@rc-yuehe-taibai-g1", "events")]

    for path in (f"/v1/petitions/{a}", f"/v1/petitions/{a}/events"):  # masked for the street: no record
        masked = await street.get(path)
        assert masked.status_code == 200 and "13805371234" not in masked.text
        assert await records_of(pool, masked) == []
    listed = await street.get("/v1/petitions", params={"q": tag})
    assert len(listed.json()["items"]) == 2 and await records_of(pool, listed) == []

    found = await dispatcher.get("/v1/petitions", params={"q": tag}, headers={"x-access-reason": quote("来电核查")})
    assert {p["id"] for p in found.json()["items"]} == {a, b}
    assert [(r["petition_id"], r["what"], r["reason"]) for r in await records_of(pool, found)] == sorted(
        [(a, "search", "来电核查"), (b, "search", "来电核查")])

    page = await dispatcher.get("/v1/petitions", params={"limit": 3})
    assert sorted(p["id"] for p in page.json()["items"]) == [r["petition_id"] for r in await records_of(pool, page)]
    assert {r["what"] for r in await records_of(pool, page)} == {"list"}

    queue = await grid.get("/v1/queue", params={"limit": 200})
    shown = sorted(item["petition"]["id"] for item in queue.json()["items"])
    assert {a, b} <= set(shown) and [r["petition_id"] for r in await records_of(pool, queue)] == shown

    accepted = await grid.post(f"/v1/petitions/{a}/accept", {})  # a command: its event names the actor
    assert accepted.status_code == 200 and accepted.json()["reporter_phone"] == "13805371234"
    assert await records_of(pool, accepted) == []


async def test_the_access_reason_is_bounded_text(as_, pool):
    grid, visitor = as_(*GRID), as_(*VISITOR)
    pid = (await grid.report())["id"]
    too_long = await visitor.get(f"/v1/petitions/{pid}", headers={"x-access-reason": "x" * 201})
    assert too_long.status_code == 422 and too_long.json()["code"] == "invalid_access_reason"
    control = await visitor.get(f"/v1/petitions/{pid}", headers={"x-access-reason": quote("why\x00")})
    assert control.status_code == 422 and control.json()["code"] == "invalid_access_reason"
    assert await records_of(pool, too_long) == [] and await records_of(pool, control) == []
    raw_utf8 = await visitor.get(f"/v1/petitions/{pid}", headers={"x-access-reason": "群众投诉复核".encode()})
    assert [r["reason"] for r in await records_of(pool, raw_utf8)] == ["群众投诉复核"]


async def test_the_auditor_lists_records_with_filters_and_pages(as_, pool):
    grid, visitor, dispatcher = as_(*GRID), as_(*VISITOR), as_(*DISPATCHER)
    auditor, admin = as_(*AUDITOR), as_("admin", "")
    started = datetime.now(UTC).isoformat()
    pids = [(await grid.report(description=f"审计 {i}"))["id"] for i in range(3)]
    for pid in pids:
        read = await visitor.get(f"/v1/petitions/{pid}", headers={"x-access-reason": quote("回访")})
        assert read.status_code == 200
    await dispatcher.get(f"/v1/petitions/{pids[0]}/events")

    one = (await auditor.get("/v1/access-log", params={"petition_id": pids[0]})).json()
    assert [(r["actor_id"], r["what"], r["what_label"]) for r in one["items"]] == [
        ("dispatcher@rencheng", "events", "查看办理记录"), ("return_visitor@rencheng", "petition", "查看工单")]
    assert one["items"][1]["reason"] == "回访" and one["items"][1]["role_label"] == "回访员"
    assert one["items"][0]["request_id"] and one["next_cursor"] is None

    seen, cursor = [], None
    while True:
        params = {"actor": "return_visitor@rencheng", "from": started, "limit": 2}
        params |= {"cursor": cursor} if cursor else {}
        page = (await auditor.get("/v1/access-log", params=params)).json()
        seen += [r["petition_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[-3:] == list(reversed(pids)) and len(seen) == len(set(seen))  # newest first, no repeats

    by_unit = (await admin.get("/v1/access-log", params={"unit": "rc-yuehe", "from": started})).json()["items"]
    assert by_unit == []  # nobody in the street's subtree read them
    by_district = (await admin.get("/v1/access-log", params={"unit": "rencheng", "from": started,
                                                              "petition_id": pids[1]})).json()["items"]
    assert [r["actor_id"] for r in by_district] == ["return_visitor@rencheng"]
    before = (await auditor.get("/v1/access-log", params={"petition_id": pids[0], "to": started})).json()
    assert before["items"] == []
    elsewhere = (await as_("auditor", "yanzhou").get("/v1/access-log", params={"petition_id": pids[0]})).json()
    assert elsewhere["items"] == []  # another district's auditor: not their petitions

    masked = await auditor.get(f"/v1/petitions/{pids[0]}")  # the auditor reads who saw the data, not the data
    assert masked.status_code == 200 and masked.json()["reporter_phone"] == "138****1234"
    assert await records_of(pool, masked) == []
    refused = await auditor.post("/v1/petitions", {"category": "sanitation", "description": "审计员不上报",
                                                   "grid_code": "rc-yuehe-taibai-g1"})
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_allowed")
    labels = (await auditor.get("/v1/labels")).json()
    assert labels["Role"]["auditor"] == "督查审计员" and labels["ReadKind"]["search"] == "工单查询"

    for bad in ({"cursor": "garbage"}, {"unit": "atlantis"}, {"from": "yesterday"}, {"limit": 0}):
        response = await auditor.get("/v1/access-log", params=bad)
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


async def test_only_auditors_and_admins_read_the_access_log(as_, http):
    for role, unit in (("grid_worker", "rc-yuehe-taibai-g1"), ("community_staff", "rc-yuehe-taibai"),
                       ("street_staff", "rc-yuehe"), ("dispatcher", "rencheng"), ("return_visitor", "rencheng"),
                       ("supervisor", "rencheng"), ("property_staff", "pc-hongfan")):
        response = await as_(role, unit).get("/v1/access-log")
        assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), role
    assert (await as_("department_staff", "rencheng-water").get("/v1/access-log")).status_code == 403
    assert (await http.get("/v1/access-log")).status_code == 401
    assert (await http.get("/v1/access-log", headers=bearer("admin", ""))).status_code == 200
    assert (await http.get("/v1/access-log", headers=bearer("auditor", "rencheng"))).status_code == 200


async def test_the_access_log_cannot_be_updated_deleted_or_truncated(as_, pool):
    grid = as_(*GRID)
    read = await grid.get(f"/v1/petitions/{(await grid.report())['id']}")
    [record] = await records_of(pool, read)
    for statement in ("UPDATE access_log SET reason = 'nothing to see' WHERE id = $1",
                      "DELETE FROM access_log WHERE id = $1"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await pool.execute(statement, record["id"])
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("TRUNCATE access_log")
    assert await records_of(pool, read) == [record]


async def test_the_openapi_documents_the_access_log_and_the_reason_header(http):
    schema = (await http.get("/openapi.json")).json()
    operation = schema["paths"]["/v1/access-log"]["get"]
    assert {"401", "403", "422"} <= set(operation["responses"])
    headers = {p["name"] for p in schema["paths"]["/v1/petitions/{petition_id}"]["get"]["parameters"]}
    assert "x-access-reason" in headers
