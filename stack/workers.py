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
from activities.notification_channels import Channels
from activities.notifications import NotificationActivities
from activities.scorecards import ScorecardActivities
from activities.visit_days import VisitDayActivities
from config.notifications import load_notification_rules
from config.reference_data import base_calendar, load_scoring
from config.settings import Settings
from domain.evaluation import ScoringWeights
from eventstore.store import EventStore
from services.notifier import DeliveryTiming, Notifier
from workflows.calendar_replan import CalendarReplanWorkflow
from workflows.inputs import MonthlyCloseInput
from workflows.monthly_close import SCHEDULE_ID, MonthlyCloseWorkflow
from workflows.notification import NotificationDeliveryWorkflow
from workflows.petition import PetitionWorkflow
from workflows.visit_days import SCHEDULE_ID as VISIT_DAYS_SCHEDULE_ID
from workflows.visit_days import VisitDayInput, VisitDayWorkflow

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
    visit_days = VisitDayActivities(pool)  # issue 14 §4
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PetitionWorkflow, MonthlyCloseWorkflow, CalendarReplanWorkflow, VisitDayWorkflow],
        activities=[log_activities.append_events, scorecards.publish_scorecards, calendar.open_petitions,
                    calendar.record_replan_finished, visit_days.open_visit_rounds, visit_days.close_visit_rounds],
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


# --- issue 14 §4: 民意"5"来听 visit days ---------------------------------------------------------


async def ensure_visit_days(client: Client, task_queue: str) -> None:
    """The Schedule of the visit days: every day at 08:30 China time a `VisitDayWorkflow` run opens the day's
    rounds for every team if the day is a visit day (the 5th, 15th, 25th, moved to the next working day when
    the date is not one; the run decides, on the work calendar) and closes them at 17:30 (idempotent)."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(VisitDayWorkflow.run, VisitDayInput(), id="visit-day-run",
                                           task_queue=task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(8)], minute=[ScheduleRange(30)],
                                                          comment="民意\"5\"来听")],
                          time_zone_name="Asia/Shanghai"),
        # a day missed (server down at 08:30) still runs when the server is back the same day
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=timedelta(hours=8)),
    )
    try:
        await client.create_schedule(VISIT_DAYS_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(VISIT_DAYS_SCHEDULE_ID).update(lambda _: ScheduleUpdate(schedule=schedule))


def department_worker(client: Client, department: str, adapter: DepartmentAdapter | None = None,
                      pool: asyncpg.Pool | None = None) -> Worker:
    """A worker serving one department's task queue (`dept-<code>`)."""
    if adapter is None:
        if pool is None:
            raise ValueError("the inbox adapter needs a database pool")
        adapter = InboxAdapter(pool)
    activities = DepartmentActivities(department, adapter)
    return Worker(client, task_queue=f"dept-{department}", activities=[activities.deliver_work_order])


def notification_worker(client: Client, pool: asyncpg.Pool, task_queue: str, channels: Channels,
                        console_url: str) -> Worker:
    """The worker of the notification deliveries (`JIEHU_NOTIFY_TASK_QUEUE`), apart from the petitions'
    queue so that a storm of retries to a gateway that is down never delays a petition's activities."""
    activities = NotificationActivities(pool, channels, console_url)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[NotificationDeliveryWorkflow],
        activities=[activities.send_notification, activities.record_notification_failed],
        workflow_runner=sandbox_runner(),
        workflow_task_poller_behavior=PollerBehaviorAutoscaling(),
        activity_task_poller_behavior=PollerBehaviorAutoscaling(),
    )


def notifications(client: Client, pool: asyncpg.Pool, settings: Settings) -> tuple[Notifier, Worker, Channels]:
    """The notifier (run it with `Notifier.run`), the delivery worker and the channels it sends through
    (close them with `Channels.aclose` after the worker stopped), all from `settings`."""
    channels = Channels(settings.notify_webhook_url, settings.notify_webhook_secret, settings.notify_sms_url,
                        settings.notify_sms_api_key)
    notifier = Notifier(pool, client, load_notification_rules(settings.notify_rules),
                        task_queue=settings.notify_task_queue, console_url=settings.console_url,
                        timing=DeliveryTiming(settings.notify_give_up_seconds, settings.notify_max_backoff_seconds,
                                              settings.notify_max_event_lag_seconds))
    worker = notification_worker(client, pool, settings.notify_task_queue, channels, settings.console_url)
    return notifier, worker, channels
