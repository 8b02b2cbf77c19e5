"""NotificationDeliveryWorkflow: one notification, sent through its channel with retries for a bounded
time, then its outcome recorded. Its workflow id is `notify-<delivery id>`, so a hand-off the notifier
repeats starts nothing twice; it carries only the delivery id (the text and the phone stay in PostgreSQL,
out of Temporal's history). A channel that is down delays the message; no petition waits for it.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

SEND_ATTEMPT_TIMEOUT = timedelta(seconds=30)  # one POST to a gateway; a hung one is retried


class DeliveryInput(BaseModel):
    """Deliver the recorded notification `delivery_id`: retry for at most `give_up_seconds` in all
    (schedule-to-close), waiting at most `max_backoff_seconds` between attempts."""

    delivery_id: str
    give_up_seconds: float = 2 * 86400.0
    max_backoff_seconds: float = 300.0


class DeliveryOutcome(BaseModel):
    """How a notification's delivery ended: sent, or not with the last error."""

    delivery_id: str
    sent: bool
    error: str = ""


def workflow_id(delivery_id: str) -> str:
    """The id of the workflow delivering `delivery_id` (`notify-<id>`): one delivery per notification."""
    return f"notify-{delivery_id}"


@workflow.defn(name="NotificationDelivery")
class NotificationDeliveryWorkflow:
    """Delivers one notification: `send_notification` retried with backoff (1 s doubling, at most
    `max_backoff_seconds`) for at most `give_up_seconds`; a channel's refusal is not retried; a failure is recorded."""

    @workflow.run
    async def run(self, delivery: DeliveryInput) -> DeliveryOutcome:
        """Deliver `delivery` and return how it ended; on failure record it (`record_notification_failed`, retried
        until the database answers)."""
        retry = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                            maximum_interval=timedelta(seconds=delivery.max_backoff_seconds),
                            non_retryable_error_types=["RefusedByChannel"])
        try:
            await workflow.execute_activity(
                "send_notification", delivery, start_to_close_timeout=SEND_ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=timedelta(seconds=delivery.give_up_seconds), retry_policy=retry,
                summary=delivery.delivery_id)
            return DeliveryOutcome(delivery_id=delivery.delivery_id, sent=True)
        except ActivityError as error:
            cause = error.cause
            reason = str(cause) if cause is not None else str(error)
            outcome = DeliveryOutcome(delivery_id=delivery.delivery_id, sent=False, error=reason or "timed out")
        # the database may be away too: recording the failure retries until it is back
        await workflow.execute_activity("record_notification_failed", outcome,
                                        start_to_close_timeout=SEND_ATTEMPT_TIMEOUT,
                                        retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)))
        return outcome
