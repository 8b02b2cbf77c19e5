"""Issue 11 §7, from a user trial, through the API: a grid that returns misrouted petitions within the
window (职能不符), re-dispatched by the desk to another grid that resolves them, is not charged with
failing to resolve them; an order sent back to it (终审) keeps it rated."""

from __future__ import annotations

from datetime import datetime

from domain.workcalendar import CHINA

GRID, OTHER = "rc-yuehe-taibai-g1", "rc-yuehe-taibai-g2"
FIGURES = ("petitions", "rated", "excluded", "returned_away", "resolved", "returns", "received")


async def _card(caller, period: str, unit: str) -> dict:
    response = await caller.get("/v1/scorecards", params={"period": period, "unit": unit, "live": "true"})
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    return cards[0] if cards else {}


async def test_returned_away_petitions_leave_the_returning_grids_rates(as_):
    grid, other = as_("grid_worker", GRID), as_("grid_worker", OTHER)
    dispatcher, visitor, supervisor = (as_("dispatcher", "rencheng"), as_("return_visitor", "rencheng"),
                                       as_("supervisor", "rencheng"))
    period = f"{datetime.now(CHINA):%Y-%m}"
    before = await _card(supervisor, period, GRID)

    for _ in range(2):  # returned within the window, re-dispatched to another grid, resolved there
        pid = (await grid.report())["id"]
        await grid.act(pid, "return", {"reason": "职能不符"})
        await dispatcher.act(pid, "dispatch", {"unit_code": OTHER})
        await other.act(pid, "accept")
        await other.act(pid, "resolve", {"result": "已处理"})
        assert (await visitor.act(pid, "return-visit", {"outcome": "satisfied"}))["status"] == "closed"
    # returned, sent back to the grid (终审), and left unresolved by it: the grid stays rated on it
    pid = (await grid.report())["id"]
    await grid.act(pid, "return", {"reason": "职能不符"})
    await dispatcher.act(pid, "dispatch", {"unit_code": GRID})
    await dispatcher.act(pid, "dispatch", {"unit_code": OTHER})  # then moved on (改派): received twice, returned once
    await other.act(pid, "accept")
    await other.act(pid, "resolve", {"result": "已处理"})
    assert (await visitor.act(pid, "return-visit", {"outcome": "satisfied"}))["status"] == "closed"

    after = await _card(supervisor, period, GRID)
    delta = {name: after[name] - before.get(name, 0) for name in FIGURES}
    assert delta == {"petitions": 3, "rated": 1, "excluded": 2, "returned_away": 2, "resolved": 0, "returns": 3,
                     "received": 4}
    behind = (await supervisor.get(f"/v1/scorecards/{GRID}/petitions", params={"period": period})).json()
    flags = {f["petition_id"]: f["returned_away"] for f in behind}
    assert flags[pid] is False and sum(flags.values()) >= 2
