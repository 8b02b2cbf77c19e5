"""The closed loop on a real Temporal dev server and a real PostgreSQL, under the default policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain import commands as cmd
from domain.enums import CloseOutcome, Level, Status, VisitOutcome
from stack.workers import department_worker
from tests.integration.helpers import DISPATCHER, VISITOR, event_types, report, staff
from workflows.client import PetitionClient


async def test_happy_path_through_all_five_steps(running: PetitionClient, org, pool):
    r = report(org)
    state = await running.report(r)
    assert state.status is Status.DISPATCHED and state.rung.unit_code == "rc-yuehe-taibai-g1"
    grid = staff(org, "rc-yuehe-taibai-g1")
    await running.send(r.petition_id, cmd.Accept(actor=grid))
    await running.send(r.petition_id, cmd.NoteProgress(actor=grid, note="已联系环卫公司"))
    await running.send(r.petition_id, cmd.Resolve(actor=grid, result="垃圾已清运", evidence_urls=["https://img/1.jpg"]))
    state = await running.send(r.petition_id, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert state.status is Status.CLOSED and state.close_outcome is CloseOutcome.RESOLVED
    types = await event_types(pool, r.petition_id)
    assert types[:6] == ["PetitionReported", "WorkOrderAssigned", "WorkOrderAccepted", "ProgressNoted",
                         "PetitionResolved", "ReturnVisitRecorded"]
    assert types[6] == "PetitionClosed" and types[7:] == ["UnitEvaluated"]
    row = await pool.fetchrow("SELECT status, close_outcome, visit_outcome, version FROM petitions WHERE id = $1",
                              r.petition_id)
    assert dict(row) == {"status": "closed", "close_outcome": "resolved", "visit_outcome": "satisfied",
                         "version": len(types)}


async def test_missed_deadlines_climb_the_whole_ladder(running: PetitionClient, org, pool, temporal_env):
    r = report(org)
    await running.report(r)
    handle = temporal_env.client.get_workflow_handle(r.petition_id)
    # Time only skips while no activity is outstanding, so the department's worker runs here; the
    # wall-clock test with the fast policy shows that deadlines run when no department worker does.
    async with department_worker(temporal_env.client, "rencheng-urban-management", pool=pool):
        # grid 2 + community 3 + street 5 working days, plus weekends: three weeks covers all three rungs
        await temporal_env.fast_forward(handle, timedelta(days=21))
    state = await running.state(r.petition_id)
    assert state.rung.level is Level.DEPARTMENT and state.rung.unit_code == "rencheng-urban-management"
    assert [u.resolve_breaches for u in state.units.values()] == [1, 1, 1, 0]
    types = await event_types(pool, r.petition_id)
    assert types.count("PetitionEscalated") == 3 and types.count("DeadlineWarned") >= 3
    inbox = await pool.fetch("SELECT department FROM department_inbox WHERE petition_id = $1", r.petition_id)
    assert [row["department"] for row in inbox] == ["rencheng-urban-management"]


async def test_a_command_from_the_wrong_unit_is_rejected_before_history(running: PetitionClient, org, pool):
    r = report(org)
    await running.report(r)
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await running.send(r.petition_id, cmd.Accept(actor=staff(org, "rc-jiyang-caoqiao-g1")))
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotPermitted"
    assert await event_types(pool, r.petition_id) == ["PetitionReported", "WorkOrderAssigned"]


async def test_return_then_redispatch(running: PetitionClient, org):
    from org.routing import ladder_from_unit

    r = report(org)
    await running.report(r)
    await running.send(r.petition_id, cmd.Return(actor=staff(org, "rc-yuehe-taibai-g1"), reason="不属本网格"))
    ladder = ladder_from_unit(org, "rc-jiyang-caoqiao-g1", r.grid_code, r.category)
    state = await running.send(r.petition_id, cmd.Dispatch(actor=DISPATCHER, ladder=ladder, note="改派草桥"))
    assert state.status is Status.DISPATCHED and state.rung.unit_code == "rc-jiyang-caoqiao-g1"
    assert state.units["rc-yuehe-taibai-g1"].returns == 1
