"""The delivery workflow's activities: send one recorded notification through its channel, record a
delivery that gave up. Each attempt's outcome is written on the notification's row (the petition's
timeline shows it) and counted in `jiehu_notifications_total`."""

from __future__ import annotations

import asyncpg
import structlog
from temporalio import activity

from activities.notification_channels import Channels, Message, RefusedByChannel
from domain.enums import NotifyChannel
from eventstore import notification_log
from observability import metrics
from workflows.notification import DeliveryInput, DeliveryOutcome

log = structlog.get_logger(__name__)


class NotificationActivities:
    """The notification delivery's activities, on the database pool and the channels."""

    def __init__(self, pool: asyncpg.Pool, channels: Channels, console_url: str) -> None:
        self._pool, self._channels, self._console_url = pool, channels, console_url.rstrip("/")

    @activity.defn(name="send_notification")
    async def send_notification(self, delivery: DeliveryInput) -> None:
        """Send the notification unless it was sent already (a retry after the channel took it but the
        row was not updated sends it again with the same delivery id, which the channel de-duplicates)."""
        found = await notification_log.of_delivery(self._pool, delivery.delivery_id)
        if not found:
            raise RefusedByChannel(f"no notification {delivery.delivery_id} is recorded")
        row = found[0]
        if row["status"] != "pending":
            return
        attempt = activity.info().attempt
        channel = NotifyChannel(row["channel"])
        message = Message(
            delivery_id=row["delivery_id"], petition_id=row["petition_id"], kind=row["kind"],
            audience=row["audience"], unit_code=row["unit_code"], role=row["role"], channel=channel,
            address=row["address"], text=row["body"],
            link=f"{self._console_url}/console/petitions/{row['petition_id']}")
        try:
            await self._channels[channel].send(message)
        except Exception as error:
            await notification_log.attempt_failed(self._pool, delivery.delivery_id, attempt, str(error) or
                                                  type(error).__name__)
            metrics.NOTIFICATIONS.labels(channel.value, "refused" if isinstance(error, RefusedByChannel)
                                         else "retried").inc()
            log.warning("notification attempt failed", delivery_id=delivery.delivery_id,
                        petition_id=row["petition_id"], channel=channel.value, attempt=attempt, error=str(error))
            raise
        await notification_log.mark_sent(self._pool, delivery.delivery_id, attempt)
        metrics.NOTIFICATIONS.labels(channel.value, "sent").inc()
        log.info("notification sent", delivery_id=delivery.delivery_id, petition_id=row["petition_id"],
                 channel=channel.value, kind=row["kind"], attempt=attempt)

    @activity.defn(name="record_notification_failed")
    async def record_notification_failed(self, outcome: DeliveryOutcome) -> None:
        """The delivery gave up: its row says failed, with why."""
        channel = await notification_log.channel_of(self._pool, outcome.delivery_id)
        await notification_log.mark_failed(self._pool, outcome.delivery_id, outcome.error)
        metrics.NOTIFICATIONS.labels(channel or "unknown", "failed").inc()
        log.warning("notification failed", delivery_id=outcome.delivery_id, error=outcome.error)
