"""Issue 11 §3, §4 through the API, on the wall clock with the fast policy (re-dispatch within 8 s,
decisions within 5 s): the dispatch desk's late re-dispatch and its time holding the returned order
show on the desk's card, a late extension decision on the approver's card, neither on the grid's."""

from __future__ import annotations

import asyncio
from datetime import datetime

from domain.workcalendar import CHINA
from tests.integration.api_client import Caller

GRID, COMMUNITY, DESK = "rc-yuehe-taibai-g1", "rc-yuehe-taibai", "rencheng"
FIGURES = ("petitions", "received", "breaches", "redispatch_breaches", "decision_breaches", "returns_held", "returns")



async def _events(pool, pid: str, kind: str) -> list[dict]:
    rows = await pool.fetch("SELECT data FROM events WHERE stream_id = $1 AND type = $2 ORDER BY version", pid, kind)
    return [r["data"] for r in rows]


async def _until(pool, pid: str, deadline: str, timeout: float = 30.0) -> None:
    for _ in range(int(timeout * 4)):
        if any(b["deadline"] == deadline for b in await _events(pool, pid, "DeadlineBreached")):
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"no {deadline} breach on {pid}")


async def _cards(caller: Caller, period: str) -> dict[str, dict]:
    response = await caller.get("/v1/scorecards", params={"period": period, "live": "true"})
    assert response.status_code == 200, response.text
    return {c["unit_code"]: c for c in response.json()["cards"]}


def _delta(before: dict[str, dict], after: dict[str, dict], unit: str) -> dict[str, int]:
    old = before.get(unit, {})
    return {name: after[unit][name] - old.get(name, 0) for name in FIGURES}


async def test_a_desks_and_an_approvers_card_show_their_own_breaches(fast, pool):
    grid, community = fast("grid_worker", GRID), fast("community_staff", COMMUNITY)
    dispatcher, visitor, supervisor = (fast("dispatcher", DESK), fast("return_visitor", DESK),
                                       fast("supervisor", DESK))
    period = f"{datetime.now(CHINA):%Y-%m}"
    before = await _cards(supervisor, period)

    pid = (await grid.report())["id"]
    await grid.act(pid, "return", {"reason": "职能不符"})
    await _until(pool, pid, "redispatch")  # the desk let its 8 s pass
    await dispatcher.act(pid, "dispatch", {"unit_code": GRID})
    await grid.act(pid, "accept")
    await grid.act(pid, "extension-request", {"duration": {"seconds": 10}, "reason": "等配件"})
    await _until(pool, pid, "decision")  # the community let its 5 s pass; the grid's clock is held
    await community.act(pid, "extension-decision", {"approve": True})
    await grid.act(pid, "resolve", {"result": "已清运"})
    closed = await visitor.act(pid, "return-visit", {"outcome": "satisfied"})
    assert closed["status"] == "closed" and closed["handled_units"] == [GRID]  # the desk held nothing

    after = await _cards(supervisor, period)
    assert _delta(before, after, DESK) == {"petitions": 0, "received": 0, "breaches": 1, "redispatch_breaches": 1,
                                           "decision_breaches": 0, "returns_held": 1, "returns": 0}
    assert after[DESK]["kind"] == "district" and after[DESK]["kind_label"]
    assert _delta(before, after, COMMUNITY) == {"petitions": 0, "received": 0, "breaches": 1,
                                                "redispatch_breaches": 0, "decision_breaches": 1, "returns_held": 0,
                                                "returns": 0}
    assert _delta(before, after, GRID) == {"petitions": 1, "received": 2, "breaches": 0, "redispatch_breaches": 0,
                                           "decision_breaches": 0, "returns_held": 0, "returns": 1}

    # the facts behind the desk's card: this petition, with the seconds the order waited for it
    behind = (await supervisor.get(f"/v1/scorecards/{DESK}/petitions", params={"period": period})).json()
    fact = next(f for f in behind if f["petition_id"] == pid)
    assert fact["received"] == 0 and fact["redispatch_breaches"] == 1 and fact["seconds_holding_returns"] >= 8
    approver = (await supervisor.get(f"/v1/scorecards/{COMMUNITY}/petitions", params={"period": period})).json()
    assert next(f for f in approver if f["petition_id"] == pid)["decision_breaches"] == 1

    # the community sees its own card; the grid's staff cannot read the desk's
    own = (await community.get("/v1/scorecards", params={"period": period, "unit": COMMUNITY, "live": "true"})).json()
    assert own["cards"][0]["decision_breaches"] >= 1
    assert (await grid.get("/v1/scorecards", params={"period": period, "unit": DESK})).status_code == 404
