"""The monthly close (月度考评发布): on the 1st, publish last month's scorecards as edition 1.

Started by a Temporal Schedule (see `stack.workers.ensure_monthly_close`). Publishing is
idempotent: a second run for the same month returns the edition already published.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.evaluation import Period
    from domain.workcalendar import CHINA
    from workflows.inputs import MonthlyCloseInput, PublishScorecardsInput

SCHEDULE_ID = "monthly-close"


@workflow.defn
class MonthlyCloseWorkflow:
    """月度考评发布: publishes a month's scorecards as edition 1 (run by a Schedule on the 1st of each month, Beijing
    time; a month already published is left as it is)."""

    @workflow.run
    async def run(self, input: MonthlyCloseInput) -> dict:
        """Publish `input.period` (default: last month, Beijing time) through `publish_scorecards`, retried for up to
        10 minutes an attempt; InvalidCommand and InvalidState are not retried. Returns what the publication
        answered."""
        period = input.period or Period.month_of(workflow.now().astimezone(CHINA)).previous_month().text
        return await workflow.execute_activity(
            "publish_scorecards", PublishScorecardsInput(period=period), result_type=dict,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_interval=timedelta(minutes=10),
                                     non_retryable_error_types=["InvalidCommand", "InvalidState"]),
            summary=f"publish {period}",
        )
