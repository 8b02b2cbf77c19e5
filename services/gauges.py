"""The worker's view of the whole system, refreshed for Prometheus every few seconds: open
petitions, today's reports, this month's three rates, projection lag, department queues and whether
next year's holiday arrangement is official."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from config.reference_data import work_calendar
from domain.enums import DeadlineState, Level, UnitKind
from domain.evaluation import RateCounts
from domain.workcalendar import CHINA, WorkCalendar
from eventstore import evaluation_projection, evaluation_queries
from eventstore.petition_queries import open_by_level_and_card, reported_today, undelivered_by_unit
from observability import metrics
from org.model import OrgTree
from org.repository import load_org
from org.routing import LEVEL_OF_KIND

log = structlog.get_logger(__name__)
POLLED_WITHIN = 120.0  # a poller seen in the last two minutes counts as polling



def month_rates(groups: list[dict[str, Any]]) -> dict[str, float | None]:
    """The rates of every unit's facts of the month together, as one card would have them; `groups` are
    facts (the keys `RateCounts.READS`) each with `n`, how many facts are alike."""
    counts = sum((RateCounts.of(g) * g["n"] for g in groups), RateCounts())
    return counts.rates()


class OrgLevels:
    """unit code → ladder level, for metric labels; reloaded with the org."""

    def __init__(self, org: OrgTree | None = None) -> None:
        self.org = org

    def __call__(self, unit_code: str) -> str:
        unit = self.org.units.get(unit_code) if self.org else None
        return LEVEL_OF_KIND[unit.kind].value if unit and unit.kind in LEVEL_OF_KIND else "unknown"


async def refresh_gauges(pool: asyncpg.Pool, client: Client, levels: OrgLevels, stop: asyncio.Event,
                         interval: float = 15.0) -> None:
    """Refresh the gauges every `interval` seconds until `stop` is set; a database or Temporal that is away keeps the
    last values (and logs a warning)."""
    while not stop.is_set():
        try:
            await refresh_once(pool, client, levels)
        except (asyncpg.PostgresError, OSError, RPCError) as error:  # a dependency is away: keep the last values
            log.warning("gauges not refreshed", error=str(error))
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def refresh_once(pool: asyncpg.Pool, client: Client, levels: OrgLevels) -> None:
    """Refresh every gauge once: open petitions by level and card, today's reports, this month's rates (Beijing
    time), projection lag, each department's undelivered orders, delivery mode, queue backlog and pollers, and next
    year's calendar. Raises asyncpg, OS or Temporal RPC errors."""
    async with pool.acquire() as conn:
        levels.org = await load_org(conn)
        counts = await open_by_level_and_card(conn)
        today = await reported_today(conn)
        rates = month_rates(await evaluation_queries.rate_groups_this_month(conn))
        lag = await evaluation_projection.lag(conn)
        undelivered = await undelivered_by_unit(conn)
    for level in [*(lv.value for lv in Level), "none"]:  # every series exists, zero included
        for state in DeadlineState:
            metrics.OPEN.labels(level, state.value).set(counts.get((level, state.value), 0))
    metrics.REPORTED_TODAY.set(today)
    for name in ("response", "resolution", "satisfaction"):
        rate = rates[f"{name}_rate"]
        if rate is not None:
            metrics.RATES.labels(name).set(rate)
    metrics.PROJECTION_LAG_EVENTS.labels("evaluation").set(lag["events"])
    metrics.PROJECTION_LAG_SECONDS.labels("evaluation").set(lag["seconds"])
    metrics.PROJECTION_LAG_EVENTS.labels("petitions").set(0)  # written in the append statement itself
    metrics.PROJECTION_LAG_SECONDS.labels("petitions").set(0)
    departments = sorted(u.code for u in levels.org.units.values() if u.kind is UnitKind.DEPARTMENT)
    for code in departments:
        count, waited = undelivered.get(code, (0, 0.0))
        metrics.UNDELIVERED.labels(code).set(count)
        metrics.UNDELIVERED_OLDEST.labels(code).set(waited)
        # the queue's pollers matter only where a system serves it: an `api` department's orders wait there
        # by design (its staff open them in the API); the alert reads this to tell them apart
        delivery = levels.org.system_of(code).delivery
        for mode in ("api", "worker", "webhook"):
            metrics.DEPT_DELIVERY.labels(code, mode).set(1 if mode == delivery else 0)
    await asyncio.gather(*(_department_queue(client, code) for code in departments))
    refresh_calendar(work_calendar(), datetime.now(UTC))
    metrics.GAUGES_REFRESHED.set(time.time())


def refresh_calendar(calendar: WorkCalendar, now: datetime) -> None:
    """Whether next year (China time) is official, and when it starts."""
    new_year = datetime(now.astimezone(CHINA).year + 1, 1, 1, tzinfo=CHINA)
    metrics.CALENDAR_NEXT_YEAR_OFFICIAL.set(0 if calendar.is_provisional(new_year.date()) else 1)
    metrics.CALENDAR_NEXT_YEAR_START.set(new_year.timestamp())


async def _department_queue(client: Client, department: str) -> None:
    response = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=f"dept-{department}"),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY, report_stats=True))
    now = time.time()
    recent = [p for p in response.pollers if now - p.last_access_time.ToSeconds() < POLLED_WITHIN]
    metrics.DEPT_BACKLOG.labels(department).set(response.stats.approximate_backlog_count)
    metrics.DEPT_POLLERS.labels(department).set(len(recent))
