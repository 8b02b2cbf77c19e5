"""Issue 11 (4), on the wall clock with the fast policy through the API: a timely extension request
holds the grid's deadline; a late approval is the community's breach; a lapsed request answers 409."""

from __future__ import annotations

import asyncio


async def test_asked_in_time_decided_late_is_the_approvers_breach(fast, pool):
    grid, community = fast("grid_worker", "rc-yuehe-taibai-g1"), fast("community_staff", "rc-yuehe-taibai")
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    await asyncio.sleep(2)  # 6 s before the grid's 8 s deadline
    asked = await grid.act(pid, "extension-request", {"duration": {"seconds": 10}, "reason": "等配件"})
    assert asked["pending_decision"] == "extension"
    await asyncio.sleep(10)  # the grid's deadline and the community's 5 s pass
    approved = await community.act(pid, "extension-decision", {"approve": True})
    assert approved["unit_code"] == "rc-yuehe-taibai-g1" and approved["escalations"] == 0
    breaches = await pool.fetch("SELECT data FROM events WHERE stream_id = $1 AND type = 'DeadlineBreached'", pid)
    assert [(b["data"]["deadline"], b["data"]["unit_code"]) for b in breaches] == [("decision", "rc-yuehe-taibai")]


async def test_a_decision_on_a_lapsed_request_is_a_409_that_says_why(fast):
    grid, community = fast("grid_worker", "rc-yuehe-taibai-g1"), fast("community_staff", "rc-yuehe-taibai")
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "extension-request", {"duration": {"seconds": 10}, "reason": "等配件"})
    await grid.act(pid, "escalate", {"reason": "需社区协调"})
    late = await community.post(f"/v1/petitions/{pid}/extension-decision", {"approve": True})
    assert late.status_code == 409, late.text
    assert "lapsed" in late.json()["detail"] and "escalated" in late.json()["detail"]
