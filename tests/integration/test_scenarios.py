"""Extensions, reopening, unreachable residents and a deadline across New Year 2027, end to end."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta

from config.reference_data import work_calendar
from domain import commands as cmd
from domain.enums import Clock, CloseOutcome, Role, Status, VisitOutcome
from domain.model import Actor
from domain.workcalendar import CHINA
from tests.integration.helpers import VISITOR, event_types, report, staff
from workflows.client import PetitionClient

COMMUNITY = Actor(id="c1", name="太白社区书记", unit_code="rc-yuehe-taibai", role=Role.COMMUNITY_STAFF)


async def accepted(running: PetitionClient, org) -> tuple[str, Actor]:
    r = report(org)
    await running.report(r)
    grid = staff(org, r.grid_code)
    await running.send(r.petition_id, cmd.Accept(actor=grid))
    return r.petition_id, grid


async def test_extension_granted_then_denied(running: PetitionClient, org, pool):
    pid, grid = await accepted(running, org)
    before = (await running.state(pid)).assignment.resolve_due
    await running.send(pid, cmd.RequestExtension(actor=grid, duration={"whole_working_days": 2},
                                                 reason="需协调环卫车辆"))
    state = await running.send(pid, cmd.DecideExtension(actor=COMMUNITY, approve=True, note="同意延期"))
    assert state.assignment.resolve_due > before + timedelta(days=1)
    row = await pool.fetchrow("SELECT resolve_due FROM petitions WHERE id = $1", pid)
    assert row["resolve_due"] == state.assignment.resolve_due

    other, grid2 = await accepted(running, org)
    due = (await running.state(other)).assignment.resolve_due
    await running.send(other, cmd.RequestExtension(actor=grid2, duration={"whole_working_days": 1}, reason="等材料"))
    state = await running.send(other, cmd.DecideExtension(actor=COMMUNITY, approve=False, note="今日可办结"))
    # denied: the clock the request held restarts with the time that was left (moments later here)
    assert due <= state.assignment.resolve_due < due + timedelta(seconds=30) and state.pending_extension is None


async def test_dissatisfied_reopens_then_satisfied(running: PetitionClient, org, pool):
    pid, grid = await accepted(running, org)
    await running.send(pid, cmd.Resolve(actor=grid, result="已清运"))
    state = await running.send(pid, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED,
                                                          note="又堆上了"))
    assert state.status is Status.DISPATCHED and state.reopens == 1 and state.rung.unit_code == grid.unit_code
    await running.send(pid, cmd.Accept(actor=grid))
    await running.send(pid, cmd.Resolve(actor=grid, result="已清运并增设垃圾桶"))
    state = await running.send(pid, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.BASICALLY_SATISFIED))
    assert state.status is Status.CLOSED and state.close_outcome is CloseOutcome.RESOLVED
    types = await event_types(pool, pid)
    assert types.count("PetitionReopened") == 1 and types.count("PetitionResolved") == 2


async def test_unreachable_after_the_last_attempt(running: PetitionClient, org, temporal_env):
    pid, grid = await accepted(running, org)
    await running.send(pid, cmd.Resolve(actor=grid, result="已修复"))
    for attempt in (1, 2, 3):
        state = await running.send(pid, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
        assert state.visit_attempts == attempt
        if attempt < 3:  # the default policy's least time between two tries: 2 hours
            await temporal_env.fast_forward(temporal_env.client.get_workflow_handle(pid), timedelta(hours=2, minutes=1))
    assert state.status is Status.CLOSED and state.last_visit is VisitOutcome.UNREACHABLE


async def test_deadline_across_new_year_2027(running: PetitionClient, org, temporal_env, pool):
    pid, grid = await accepted(running, org)
    paused = await running.send(pid, cmd.Pause(actor=COMMUNITY, reason="等待群众返乡后入户查看"))
    handle = temporal_env.client.get_workflow_handle(pid)
    now = await temporal_env.get_current_time(handle)
    target = datetime(2026, 12, 31, 10, tzinfo=CHINA)
    await temporal_env.fast_forward(handle, target - now)  # the paused clock has no timer to fire
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 2027's statutory holidays are known: no Mon-Fri fallback warns
        state = await running.send(pid, cmd.Resume(actor=grid, note="群众已返回"))
    resumed_at = await temporal_env.get_current_time(handle)
    assert resumed_at.astimezone(CHINA).date() == target.date()
    # the whole working days left at the pause (those not begun on the day it stopped) count again from the day
    # after 31 Dec, skipping 1 Jan (holiday) and 2-3 Jan (weekend)
    left = paused.paused.resolve_left
    clock = paused.rules.resolve[paused.rung.level].clock
    assert clock is Clock.WHOLE_WORKING_DAYS and abs(left / 86_400 - round(left / 86_400)) < 1e-6
    expected = work_calendar().add(resumed_at, left, clock)
    assert abs((state.assignment.resolve_due - expected).total_seconds()) < 5
    assert state.assignment.resolve_due.astimezone(CHINA).date() >= datetime(2027, 1, 4).date()
    # 2027 has no official arrangement yet: the new deadline is provisional, in the state and on the row
    assert state.assignment.provisional and not paused.assignment.provisional
    row = await pool.fetchrow("SELECT deadlines_provisional FROM petitions WHERE id = $1", pid)
    assert row["deadlines_provisional"] is True


async def test_an_unstorable_command_fails_fast_and_changes_nothing(running: PetitionClient, org, pool):
    import asyncio

    import pytest
    from temporalio.client import WorkflowUpdateFailedError

    pid, grid = await accepted(running, org)
    forged = cmd.NoteProgress(actor=grid, note="进展\u0000")  # a client that skips the API's checks
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await asyncio.wait_for(running.send(pid, forged), timeout=30)
    assert refused.value.cause.type == "InvalidCommand" and "NUL" in refused.value.cause.message
    assert await event_types(pool, pid) == ["PetitionReported", "WorkOrderAssigned", "WorkOrderAccepted"]
    state = await running.send(pid, cmd.NoteProgress(actor=grid, note="正常进展"))
    assert state.version == 4
