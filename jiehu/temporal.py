"""Worker construction (a composition root): the petition worker, department workers and the Schedules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import asyncpg
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
)
from temporalio.worker import PollerBehaviorAutoscaling, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.calendar import CalendarActivities
from activities.department import DepartmentActivities, DepartmentAdapter, InboxAdapter
from activities.event_log import EventLogActivities
from activities.scorecards import ScorecardActivities
from config.reference_data import base_calendar, load_scoring
from domain.evaluation import ScoringWeights
from eventstore.store import EventStore
from workflows.calendar_replan import CalendarReplanWorkflow
from workflows.inputs import MonthlyCloseInput
from workflows.monthly_close import SCHEDULE_ID, MonthlyCloseWorkflow
from workflows.petition import PetitionWorkflow

PASSTHROUGH = ("domain", "eventstore", "config", "observability", "workflows", "org", "pydantic", "pydantic_core",
               "yaml", "chinese_calendar", "asyncpg", "structlog", "orjson")


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def petition_worker(client: Client, pool: asyncpg.Pool, task_queue: str,
                    weights: ScoringWeights | None = None, level_of: Callable[[str], str] | None = None) -> Worker:
    """The worker that runs petition workflows, the monthly close, the calendar re-plan and their activities.
    `level_of` (unit code → ladder level) labels the domain metrics; see services.gauges.OrgLevels."""
    base_calendar()  # load the calendar files here, outside the workflow sandbox
    calendar = CalendarActivities(pool)
    log_activities = EventLogActivities(EventStore(pool), *([level_of] if level_of else []))
    scorecards = ScorecardActivities(pool, weights or load_scoring())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PetitionWorkflow, MonthlyCloseWorkflow, CalendarReplanWorkflow],
        activities=[log_activities.append_events, scorecards.publish_scorecards, calendar.open_petitions,
                    calendar.record_replan_finished],
        workflow_runner=sandbox_runner(),
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(),
        activity_task_poller_behavior=PollerBehaviorAutoscaling(),
    )


async def ensure_monthly_close(client: Client, task_queue: str) -> None:
    """The Schedule that publishes last month's scorecards at 00:30 on the 1st, China time (idempotent)."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(MonthlyCloseWorkflow.run, MonthlyCloseInput(), id="monthly-close-run",
                                           task_queue=task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(day_of_month=[ScheduleRange(1)], hour=[ScheduleRange(0)],
                                                          minute=[ScheduleRange(30)], comment="月度考评发布")],
                          time_zone_name="Asia/Shanghai"),
        # a missed close (server down on the 1st) still runs when the server is back, within a week
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=7)),
    )
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(SCHEDULE_ID).update(lambda _: ScheduleUpdate(schedule=schedule))


def department_worker(client: Client, department: str, adapter: DepartmentAdapter | None = None,
                      pool: asyncpg.Pool | None = None) -> Worker:
    """A worker serving one department's task queue (`dept-<code>`)."""
    if adapter is None:
        if pool is None:
            raise ValueError("the inbox adapter needs a database pool")
        adapter = InboxAdapter(pool)
    activities = DepartmentActivities(department, adapter)
    return Worker(client, task_queue=f"dept-{department}", activities=[activities.deliver_work_order])
