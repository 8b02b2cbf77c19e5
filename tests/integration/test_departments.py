"""A department's work order waits in its own queue while no department worker runs; deadlines still run."""

from __future__ import annotations

from domain import commands as cmd
from org.routing import ladder_from_unit
from stack.workers import department_worker
from tests.integration.helpers import DISPATCHER, report, staff
from tests.integration.test_durability import wait_for


async def test_order_waits_for_the_department_worker_while_deadlines_run(running, org, pool, temporal_env):
    r = report(org, policy="fast")
    await running.report(r)
    await running.send(r.petition_id, cmd.Return(actor=staff(org, r.grid_code), reason="需执法局处理"))
    ladder = ladder_from_unit(org, "rencheng-urban-management", r.grid_code, r.category)
    await running.send(r.petition_id, cmd.Dispatch(actor=DISPATCHER, ladder=ladder))

    async def accept_breached():
        state = await running.state(r.petition_id)
        return state.assignment.accept_breached

    await wait_for(accept_breached, timeout=30)  # fast policy: 6 s to accept, with nobody serving dept-...
    inbox = "SELECT department FROM department_inbox WHERE petition_id = $1"
    assert await pool.fetch(inbox, r.petition_id) == []

    async with department_worker(temporal_env.client, "rencheng-urban-management", pool=pool):
        async def delivered():
            return await pool.fetch(inbox, r.petition_id)

        rows = await wait_for(delivered, timeout=30)
    assert [row["department"] for row in rows] == ["rencheng-urban-management"]
