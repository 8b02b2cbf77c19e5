"""Recorded histories of petitions (many still running) replay against today's workflow code.

Any change to workflows/ must keep these green (use `workflow.patched` for behaviour changes).
To add histories: JIEHU_RECORD_HISTORIES=<tag> pytest tests/integration/test_replay.py -k test_record_histories
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from config.reference_data import base_calendar
from domain import commands as cmd
from domain.enums import VisitOutcome
from domain.model import Actor
from domain.workcalendar import CHINA
from org.routing import ladder_from_unit
from stack.workers import department_worker, sandbox_runner
from tests.integration.helpers import DISPATCHER, SUPERVISOR, VISITOR, closed_satisfied, report, staff
from tests.integration.test_durability import wait_for
from tests.integration.test_scenarios import COMMUNITY
from workflows.calendar_replan import CalendarReplanWorkflow
from workflows.inputs import CalendarReplanInput, MonthlyCloseInput
from workflows.monthly_close import MonthlyCloseWorkflow
from workflows.petition import PetitionWorkflow

HISTORIES = Path(__file__).parent.parent / "histories"


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


def test_histories_are_recorded():
    assert len(recorded()) >= 5, "the replay suite needs its recorded histories"


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path):
    base_calendar()
    replayer = Replayer(workflows=[PetitionWorkflow, MonthlyCloseWorkflow, CalendarReplanWorkflow],
                        data_converter=pydantic_data_converter, workflow_runner=sandbox_runner())
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer.replay_workflow(history)


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_histories(running, org, temporal_env, pool):
    client = temporal_env.client

    tag = os.environ["JIEHU_RECORD_HISTORIES"]  # older recordings stay: they are the running petitions of old code

    async def save(name: str, petition_id: str) -> None:
        name = name if tag == "1" else f"{name}.{tag}"
        history = await client.get_workflow_handle(petition_id).fetch_history()
        (HISTORIES / f"{name}.json").write_text(history.to_json())

    r = report(org)
    await running.report(r)
    grid = staff(org, r.grid_code)
    await running.send(r.petition_id, cmd.Accept(actor=grid))
    await running.send(r.petition_id, cmd.Resolve(actor=grid, result="已清运", evidence_urls=["https://e/1.jpg"]))
    await running.send(r.petition_id, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    await save("closed-happy-path", r.petition_id)

    r = report(org)
    await running.report(r)
    await temporal_env.fast_forward(client.get_workflow_handle(r.petition_id), timedelta(days=6))
    await save("running-escalated-by-deadlines", r.petition_id)

    r = report(org)
    await running.report(r)
    await running.send(r.petition_id, cmd.Accept(actor=grid))
    await running.send(r.petition_id, cmd.RequestExtension(actor=grid, duration={"whole_working_days": 2},
                                                           reason="协调"))
    await running.send(r.petition_id, cmd.DecideExtension(actor=COMMUNITY, approve=True))
    await running.send(r.petition_id, cmd.Pause(actor=grid, reason="等待群众"))
    await save("running-extended-pause-requested", r.petition_id)

    r = report(org)
    await running.report(r)
    await running.send(r.petition_id, cmd.Accept(actor=grid))
    await running.send(r.petition_id, cmd.Resolve(actor=grid, result="已处理"))
    await running.send(r.petition_id, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED))
    await save("running-reopened", r.petition_id)

    r = report(org)
    await running.report(r)
    await running.send(r.petition_id, cmd.Return(actor=grid, reason="不属本网格"))
    ladder = ladder_from_unit(org, "rencheng-urban-management", r.grid_code, r.category)
    async with department_worker(client, "rencheng-urban-management", pool=pool):
        await running.send(r.petition_id, cmd.Dispatch(actor=DISPATCHER, ladder=ladder, note="直派执法局"))

        async def delivered():  # petitions that track deliveries record the receipt (WorkOrderDelivered)
            state = await running.state(r.petition_id)
            return not state.tracks_delivery or state.delivery_pending_since is None

        await wait_for(delivered, timeout=30)
        await running.send(r.petition_id, cmd.Accept(actor=staff(org, "rencheng-urban-management")))
    await save("running-redispatched-to-department", r.petition_id)

    r = report(org)
    await running.report(r)
    await running.send(r.petition_id, cmd.Return(actor=grid, reason="职能不符"))
    await temporal_env.fast_forward(client.get_workflow_handle(r.petition_id), timedelta(days=3))
    await save("running-returned-desk-overdue", r.petition_id)


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_provisional_history(running, org, temporal_env):
    """A petition whose clock restarts on 31 December 2026 runs on 2027's provisional calendar (issue 11)."""
    from tests.integration.test_scenarios import accepted

    pid, grid = await accepted(running, org)
    await running.send(pid, cmd.Pause(actor=COMMUNITY, reason="等待群众返乡后入户查看"))
    handle = temporal_env.client.get_workflow_handle(pid)
    target = datetime(2026, 12, 31, 10, tzinfo=CHINA)
    await temporal_env.fast_forward(handle, target - await temporal_env.get_current_time(handle))
    state = await running.send(pid, cmd.Resume(actor=grid, note="群众已返回"))
    assert state.assignment.provisional
    (HISTORIES / "running-provisional-2027.json").write_text((await handle.fetch_history()).to_json())


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_calendar_replan_histories(running, org, temporal_env, task_queue):
    """Issue 11 (1): a petition told of a loaded arrangement that moves its deadline, and the first run of
    the re-plan that told it."""
    from domain.arrangements import Arrangement
    from domain.enums import Role

    r = report(org)
    state = await running.report(r)
    day = state.assignment.resolve_due.astimezone(CHINA).date()
    rules = base_calendar().years[day.year]
    arrangement = Arrangement(
        year=day.year, holidays={**{d: rules.names.get(d, "节日") for d in rules.holidays}, day: "调休"},
        workdays=sorted(rules.workdays), source="recorded for the replay suite", sequence=1,
        loaded_by=Actor(id="ops", name="运维", unit_code="", role=Role.ADMIN), loaded_at=datetime.now(CHINA))
    client = temporal_env.client
    replan = await client.start_workflow(CalendarReplanWorkflow.run, CalendarReplanInput(arrangement=arrangement),
                                         id=f"calendar-replan-{uuid.uuid4()}", task_queue=task_queue)
    handle = client.get_workflow_handle(r.petition_id)
    await wait_for(lambda: _replanned(handle))
    (HISTORIES / "running-calendar-replanned.json").write_text((await handle.fetch_history()).to_json())
    first = client.get_workflow_handle(replan.id, run_id=replan.result_run_id)
    await wait_for(lambda: _ended(first))
    (HISTORIES / "calendar-replan-first-page.json").write_text((await first.fetch_history()).to_json())


async def _replanned(handle) -> bool:
    return (await handle.query(PetitionWorkflow.state)).version > 2  # reported, assigned, then re-planned


async def _ended(handle) -> bool:
    return (await handle.describe()).status.name != "RUNNING"


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_extension_histories(running, org, temporal_env):
    """Issue 11 (4): a held extension request decided late (the approver's breach), and one that lapsed."""
    from tests.integration.test_scenarios import accepted

    pid, grid = await accepted(running, org)
    await running.send(pid, cmd.RequestExtension(actor=grid, duration={"whole_working_days": 2},
                                                 reason="需协调环卫车辆"))
    handle = temporal_env.client.get_workflow_handle(pid)
    await temporal_env.fast_forward(handle, timedelta(days=4))  # past the community's 1 working day
    await running.send(pid, cmd.DecideExtension(actor=COMMUNITY, approve=True, note="同意延期"))
    (HISTORIES / "running-extension-decided-late.json").write_text((await handle.fetch_history()).to_json())

    pid, grid = await accepted(running, org)
    await running.send(pid, cmd.RequestExtension(actor=grid, duration={"whole_working_days": 2}, reason="等材料"))
    await running.send(pid, cmd.Escalate(actor=grid, reason="需社区协调"))
    handle = temporal_env.client.get_workflow_handle(pid)
    (HISTORIES / "running-extension-lapsed.json").write_text((await handle.fetch_history()).to_json())

    r = report(org)  # 终审: returned, sent back (final, clock kept), a supervisor allows one more return
    await running.report(r)
    grid = staff(org, r.grid_code)
    await running.send(r.petition_id, cmd.Return(actor=grid, reason="职能不符"))
    await running.send(r.petition_id, cmd.Dispatch(actor=DISPATCHER, ladder=ladder_from_unit(
        org, r.grid_code, r.grid_code, r.category)))
    await running.send(r.petition_id, cmd.AllowReturn(actor=SUPERVISOR, reason="确属职能不符"))
    handle = temporal_env.client.get_workflow_handle(r.petition_id)
    (HISTORIES / "running-sent-back-return-allowed.json").write_text((await handle.fetch_history()).to_json())


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_monthly_close_history(running, temporal_env, task_queue):
    handle = await temporal_env.client.start_workflow(
        MonthlyCloseWorkflow.run, MonthlyCloseInput(period="2026-09"), id=f"close-{uuid.uuid4()}",
        task_queue=task_queue)
    await handle.result()
    (HISTORIES / "monthly-close.json").write_text((await handle.fetch_history()).to_json())


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_reopen_after_close_histories(running, org, temporal_env, pool):
    """Issue 11 (6): 结案后重办 — the new run of a closed petition, started from its snapshot with the reopen;
    one still running at the resolving unit, one resolved, visited and closed again."""
    from eventstore.petition_projection import fold_stored
    from eventstore.store import EventStore

    async def closed_then_reopened() -> tuple[str, Actor]:
        pid, grid = await closed_satisfied(running, org)
        await client_of(pid).result()  # the first run ended with the close
        snapshot = fold_stored(pid, await EventStore(pool).read_stream(pid))
        await running.reopen_closed(snapshot, cmd.ReopenClosed(
            actor=DISPATCHER, reason="居民再次来电", contact_name="陈秀英", contact_phone="13805379999"))
        return pid, grid

    def client_of(pid: str):
        return temporal_env.client.get_workflow_handle(pid)

    pid, grid = await closed_then_reopened()
    (HISTORIES / "running-reopened-after-close.json").write_text((await client_of(pid).fetch_history()).to_json())

    pid, grid = await closed_then_reopened()
    await running.send(pid, cmd.Accept(actor=grid))
    await running.send(pid, cmd.Resolve(actor=grid, result="已再次清运"))
    await running.send(pid, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    await client_of(pid).result()
    (HISTORIES / "closed-again-after-reopen.json").write_text((await client_of(pid).fetch_history()).to_json())


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_desk_and_approver_history(running, org, temporal_env):
    """Issue 11 §3, §4: closed after the desk re-dispatched late and the community decided late, so the
    close evaluates the desk and the approver too. `…before-desk-records.json` is the same story recorded
    by the code before (commit 5cf7565): its close evaluated the grid alone, and replays without them."""
    r = report(org)
    await running.report(r)
    grid = staff(org, r.grid_code)
    handle = temporal_env.client.get_workflow_handle(r.petition_id)
    await running.send(r.petition_id, cmd.Return(actor=grid, reason="职能不符"))
    await temporal_env.fast_forward(handle, timedelta(days=4))  # past the desk's 1 working day
    await running.send(r.petition_id, cmd.Dispatch(actor=DISPATCHER, ladder=ladder_from_unit(
        org, r.grid_code, r.grid_code, r.category)))
    await running.send(r.petition_id, cmd.Accept(actor=grid))
    await running.send(r.petition_id, cmd.RequestExtension(actor=grid, duration={"whole_working_days": 2},
                                                           reason="需协调环卫车辆"))
    await temporal_env.fast_forward(handle, timedelta(days=4))  # past the community's 1 working day
    await running.send(r.petition_id, cmd.DecideExtension(actor=COMMUNITY, approve=True, note="同意延期"))
    await running.send(r.petition_id, cmd.Resolve(actor=grid, result="已清运"))
    await running.send(r.petition_id, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    await handle.result()
    (HISTORIES / "closed-after-late-redispatch-and-decision.json").write_text((await handle.fetch_history()).to_json())


@pytest.mark.skipif(not os.environ.get("JIEHU_RECORD_HISTORIES"), reason="records new histories on demand")
async def test_record_duplicate_histories(running, org, temporal_env):
    """Issue 14 §5: a survivor that took in a merged petition's reporter and a burst's reports (running, resolved,
    waiting for its linked reporters' visits), and the petition merged into it (closed as a duplicate)."""
    from domain.decider import merged_reporters

    survivor, duplicate = report(org), report(org)
    await running.report(survivor)
    await running.report(duplicate)
    merged = await running.state(duplicate.petition_id)
    await running.send(survivor.petition_id, cmd.AbsorbMerged(
        actor=DISPATCHER, merged_id=duplicate.petition_id, merged_desk_code=merged.desk_code,
        reporters=merged_reporters(merged), reason="同一垃圾点"))
    await running.send(duplicate.petition_id, cmd.MergeInto(actor=DISPATCHER, into=survivor.petition_id,
                                                            reason="同一垃圾点"))
    await running.send(survivor.petition_id, cmd.DeclareBurst(
        actor=DISPATCHER, until=datetime.now(CHINA) + timedelta(hours=1), reason="垃圾站满溢, 集中来电",
        keywords=["垃圾"]))
    for i in range(3):
        await running.send(survivor.petition_id, cmd.JoinBurst(
            actor=DISPATCHER, category=survivor.category, description=f"垃圾满地{i}", grid_code=survivor.grid_code,
            reporter_name=f"来电人{i}", reporter_phone=f"1390537000{i}"))
    grid = staff(org, survivor.grid_code)
    await running.send(survivor.petition_id, cmd.Accept(actor=grid))
    await running.send(survivor.petition_id, cmd.Resolve(actor=grid, result="已清运"))
    await running.send(survivor.petition_id, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    await running.send(survivor.petition_id, cmd.VisitLinkedCaller(actor=VISITOR, caller=1,
                                                                   outcome=VisitOutcome.SATISFIED))
    for name, pid in (("running-survivor-of-merge-and-burst", survivor.petition_id),
                      ("closed-merged-duplicate", duplicate.petition_id)):
        history = await temporal_env.client.get_workflow_handle(pid).fetch_history()
        (HISTORIES / f"{name}.json").write_text(history.to_json())
