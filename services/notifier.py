"""The notifier: follows the event log in commit order, records the notifications each event causes
(`domain.notifications.notifications_for`) with its checkpoint in one transaction, then hands each to
Temporal as a `NotificationDeliveryWorkflow` (workflow id `notify-<delivery id>`: a repeated hand-off
starts nothing twice). Petitions never wait for it: it reads what their workflows already appended.

Runs in the worker process (and in `jiehu dev`) beside the evaluation projection.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.enums import NotifyChannel
from domain.events import event_from
from domain.evolve import evolve
from domain.model import PetitionState
from domain.notifications import (
    EVENT_TYPES,
    Notification,
    NotificationRules,
    PetitionFacts,
    UnitInfo,
    notifications_for,
)
from domain.survey import phone_key
from eventstore import notification_log, surveys
from eventstore.store import LogCursor, read_typed, stream_until
from observability import metrics
from org.model import OrgTree
from org.repository import load_org
from workflows.notification import DeliveryInput, NotificationDeliveryWorkflow, workflow_id

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeliveryTiming:
    """How long a delivery retries in all (seconds, schedule-to-close) and the longest wait between tries."""

    give_up_seconds: float = 2 * 86400.0
    max_backoff_seconds: float = 300.0
    # an event recorded this long after it happened is history written after the fact (a simulated month,
    # an import), not news: nobody is told of it
    max_event_lag_seconds: float = 86400.0


class Notifier:
    """One follower of the log (`name` is its checkpoint) handing deliveries to `task_queue`."""

    def __init__(self, pool: asyncpg.Pool, client: Client, rules: NotificationRules, *, task_queue: str,
                 console_url: str, timing: DeliveryTiming = DeliveryTiming(), name: str = notification_log.NAME,
                 batch: int = 500) -> None:
        self._pool, self._client, self._rules = pool, client, rules
        self._task_queue, self._console_url = task_queue, console_url.rstrip("/")
        self._timing, self._name, self._batch = timing, name, batch

    async def start(self) -> LogCursor:
        """Set the checkpoint to the end of the log if this notifier never ran: it tells people what happens
        from now on. Returns where it stands."""
        async with self._pool.acquire() as conn:
            return await notification_log.start_at_head(conn, self._name)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Record and hand off every `interval` seconds until `stop` is set; a database or Temporal that
        is away pauses it (the checkpoint keeps its place)."""
        while not stop.is_set():
            try:
                await self.start()
                await self.catch_up()
                await self.hand_off()
                await self.refresh_gauges()
            except (asyncpg.PostgresError, OSError, RPCError) as error:
                log.warning("notifier paused", error=str(error))
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass

    async def catch_up(self) -> int:
        """Record the notifications of every committed event past the checkpoint; returns how many were new."""
        total = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                await notification_log.lock(conn, self._name)
                cursor = await notification_log.checkpoint(conn, self._name) or LogCursor()
                rows = await read_typed(conn, cursor, self._batch, EVENT_TYPES)
                wanted = [r for r in rows if r["data"] is not None and self._news(r)]
                if wanted:
                    found, sent = await self._decide(conn, wanted)
                    total += await notification_log.record(conn, found)
                    await surveys.record(conn, sent)  # a survey with its notification, in one transaction
                if rows:
                    await notification_log.save_checkpoint(conn, LogCursor(rows[-1]["tx_id"], rows[-1]["position"]),
                                                           self._name)
            if len(rows) < self._batch:
                return total

    def _news(self, row: asyncpg.Record) -> bool:
        lag = (row["recorded_at"] - row["occurred_at"]).total_seconds()
        return lag <= self._timing.max_event_lag_seconds

    async def _decide(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]
                      ) -> tuple[list[tuple[Notification, int]], list[surveys.SurveySent]]:
        """The notifications of `rows` with their events' positions, and the SMS surveys among them."""
        units = _units(await load_org(conn))
        opted_out = await notification_log.opted_out(conn, sorted({r["stream_id"] for r in rows}))
        by_stream: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            by_stream[row["stream_id"]].append(row)
        found: list[tuple[Notification, int]] = []
        sent: list[surveys.SurveySent] = []
        for stream_id, wanted in by_stream.items():
            at = {r["position"]: r for r in wanted}
            state = PetitionState(id=stream_id)
            # the petition as it stood after each wanted event: one read of its stream, folded once
            for stored in await stream_until(conn, stream_id, max(at)):
                event = event_from(stored["type"], stored["data"])
                state = evolve(state, event)
                if stored["position"] in at:
                    facts = PetitionFacts(state, stream_id in opted_out, units, self._console_url)
                    notes = notifications_for(event, stored["event_id"], facts, self._rules)
                    found += [(n, stored["position"]) for n in notes]
                    sent += [surveys.SurveySent(n.delivery_id, stream_id, state.reopens, phone_key(n.address),
                                                state.survey_due)
                             for n in notes if n.kind == "survey" and state.survey_due is not None]
        found.sort(key=lambda pair: pair[1])
        return found, sent

    async def hand_off(self) -> int:
        """Start a delivery workflow for each recorded notification not handed off yet; returns how many."""
        total = 0
        while rows := await notification_log.not_handed_off(self._pool, 200):
            await asyncio.gather(*(self._start(row["delivery_id"]) for row in rows))
            await notification_log.mark_handed_off(self._pool, [row["delivery_id"] for row in rows])
            total += len(rows)
        return total

    async def _start(self, delivery_id: str) -> None:
        delivery = DeliveryInput(delivery_id=delivery_id, give_up_seconds=self._timing.give_up_seconds,
                                 max_backoff_seconds=self._timing.max_backoff_seconds)
        try:
            await self._client.start_workflow(
                NotificationDeliveryWorkflow.run, delivery, id=workflow_id(delivery_id), task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            pass  # handed off before (a crash between starting it and marking it): it runs or ran once

    async def refresh_gauges(self) -> None:
        """Unsent notifications by channel, and how long the oldest has waited."""
        backlog = await notification_log.backlog(self._pool)
        for channel in NotifyChannel:
            count, age = backlog.get(channel.value, (0, 0.0))
            metrics.NOTIFICATIONS_PENDING.labels(channel.value).set(count)
            metrics.NOTIFICATIONS_OLDEST_PENDING.labels(channel.value).set(age)


def _units(org: OrgTree) -> dict[str, UnitInfo]:
    return {u.code: UnitInfo(code=u.code, name=u.name, kind=u.kind, parent_code=u.parent_code,
                             district_code=u.district_code) for u in org.units.values()}
