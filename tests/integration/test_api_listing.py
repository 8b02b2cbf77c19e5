"""Idempotent intake under parallel retries, filters, and cursor pages that stay stable under inserts."""

from __future__ import annotations

import asyncio
import uuid

from tests.integration.api_client import REPORT, search_tag


async def test_parallel_retries_with_one_key_make_one_petition(as_, pool):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    key = str(uuid.uuid4())
    responses = await asyncio.gather(*(grid.post("/v1/petitions", REPORT, headers={"idempotency-key": key})
                                       for _ in range(8)))
    # every retry, racing the first or after it, gets the first answer: 201 and the petition as reported
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["version"] for r in responses}) == 1
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    assert await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", ids.pop()) == 2
    again = await grid.post("/v1/petitions", REPORT, headers={"idempotency-key": key})
    assert again.status_code == 201 and again.json() == responses[0].json()
    other_body = await grid.post("/v1/petitions", REPORT | {"description": "别的事"}, headers={"idempotency-key": key})
    assert other_body.status_code == 409 and other_body.json()["code"] == "idempotency_key_reused"
    someone_else = await as_("dispatcher", "rencheng").post("/v1/petitions", REPORT, headers={"idempotency-key": key})
    assert someone_else.status_code == 201 and someone_else.json()["id"] != again.json()["id"]


async def test_a_retry_after_the_petition_closed_gets_the_first_answer(as_):
    grid, dispatcher = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("dispatcher", "rencheng")
    key = str(uuid.uuid4())
    first = (await grid.post("/v1/petitions", REPORT, headers={"idempotency-key": key})).json()
    await dispatcher.act(first["id"], "close", {"outcome": "withdrawn", "explanation": "群众撤回"})
    retry = await grid.post("/v1/petitions", REPORT, headers={"idempotency-key": key})
    assert (retry.status_code, retry.json()) == (201, first)  # as reported, not as it is now (closed)


async def test_pages_are_stable_while_new_petitions_arrive(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    tag = search_tag()
    original = [(await grid.report(description=f"分页 {tag} #{i}"))["id"] for i in range(12)]
    seen, cursor = [], None
    while True:
        params = {"q": tag, "limit": 5} | ({"cursor": cursor} if cursor else {})
        page = (await grid.get("/v1/petitions", params=params)).json()
        seen += [p["id"] for p in page["items"]]
        await grid.report(description=f"分页 {tag} late")  # newer than every cursor: never shows up
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(original))


async def test_filters_sorting_and_the_queue(as_):
    grid, street = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("street_staff", "rc-yuehe")
    tag = search_tag()
    a = await grid.report(description=f"筛选 {tag} a", urgency="urgent")
    b = await grid.report(description=f"筛选 {tag} b", category="noise")
    await grid.act(b["id"], "accept")

    async def ids(**params) -> list[str]:
        response = await street.get("/v1/petitions", params={"q": tag} | params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert await ids(status="accepted") == [b["id"]]
    assert await ids(urgency="urgent") == [a["id"]]
    assert await ids(category="noise") == [b["id"]]
    assert await ids(level="grid", unit="rc-yuehe-taibai") == [b["id"], a["id"]]
    assert await ids(unit="rc-jiyang") == []
    assert await ids(overdue=True) == []
    assert await ids(created_from=a["reported_at"]) == [b["id"], a["id"]]
    assert await ids(created_to=a["reported_at"]) == []
    assert await ids(sort="deadline") == [a["id"], b["id"]]  # urgent: due in a day
    bad = await street.get("/v1/petitions", params={"cursor": "garbage"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"
    assert (await street.get("/v1/petitions", params={"status": "lost"})).status_code == 422
    assert (await street.get("/v1/petitions", params={"limit": 0})).status_code == 422
    assert (await street.get("/v1/petitions", params={"unit": "atlantis"})).status_code == 422

    queue = (await grid.get("/v1/queue", params={"limit": 200})).json()
    items, cursor = queue["items"], queue["next_cursor"]
    while cursor:  # the grid holds other tests' petitions too
        page = (await grid.get("/v1/queue", params={"limit": 200, "cursor": cursor})).json()
        items, cursor = items + page["items"], page["next_cursor"]
    mine = {item["petition"]["id"]: item for item in items}
    assert queue["unit_code"] == "rc-yuehe-taibai-g1" and {a["id"], b["id"]} <= set(mine)
    assert mine[a["id"]]["seconds_to_accept"] > 0 and mine[b["id"]]["seconds_to_accept"] is None
    assert mine[a["id"]]["petition"]["deadline_state"] == "ok"


async def test_the_queue_pages_nearest_deadline_first(as_):
    worker = as_("grid_worker", "rc-anju-anju-g1")
    reported = [await worker.report(grid_code="rc-anju-anju-g1", description=f"队列 {n}") for n in range(5)]
    first = (await worker.get("/v1/queue", params={"limit": 2})).json()
    assert first["open_count"] >= 5 and len(first["items"]) == 2 and first["next_cursor"]
    seen, cursor = [i["petition"]["id"] for i in first["items"]], first["next_cursor"]
    while cursor:
        page = (await worker.get("/v1/queue", params={"limit": 2, "cursor": cursor})).json()
        seen += [i["petition"]["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == first["open_count"]
    assert {p["id"] for p in reported} <= set(seen)
    bad = await worker.get("/v1/queue", params={"cursor": first["next_cursor"][:-3] + "xyz"})
    assert bad.status_code == 422
    assert (await worker.get("/v1/queue", params={"limit": 500})).status_code == 422


async def test_q_finds_by_id_and_for_those_who_call_residents_by_phone_or_name(as_, pool):
    grid, street = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("street_staff", "rc-yuehe")
    dispatcher, visitor = as_("dispatcher", "rencheng"), as_("return_visitor", "rencheng")
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    name = f"来电人{uuid.uuid4().hex[:6]}"
    pid = (await grid.report(reporter_phone=f"{phone[:3]}-{phone[3:7]} {phone[7:]}", reporter_name=name))["id"]

    async def found(caller, q: str) -> list[str]:
        response = await caller.get("/v1/petitions", params={"q": q, "limit": 200})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    for caller in (grid, street, dispatcher, visitor):  # the id: anyone who may see the petition
        assert await found(caller, pid) == [pid]
        assert await found(caller, pid.lower()) == [pid]
    assert await found(as_("street_staff", "rc-jiyang"), pid) == []  # out of scope
    for caller in (dispatcher, visitor):  # "has this caller called before?"
        assert await found(caller, phone) == [pid]
        assert await found(caller, f"{phone[:3]} {phone[3:7]}-{phone[7:]}") == [pid]
        assert pid in await found(caller, phone[-4:])
        assert pid in await found(caller, phone[-6:])
        assert await found(caller, name) == [pid]
        assert await found(caller, phone[:7]) == []  # a head is not a tail
    for caller in (grid, street):  # roles that do not call residents never find them through it
        assert await found(caller, phone) == [] and await found(caller, name) == []
    search = await dispatcher.get("/v1/petitions", params={"q": phone})
    records = await pool.fetch("SELECT petition_id, what, actor_id FROM access_log WHERE request_id = $1",
                               search.headers["x-request-id"])
    assert [tuple(r) for r in records] == [(pid, "search", "dispatcher@rencheng")]
