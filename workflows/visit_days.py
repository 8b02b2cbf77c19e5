"""民意"5"来听 visit days (issue 14 §4): a day's visit rounds, opened at the start of the day and closed at its end.

A Temporal Schedule (`stack.workers.ensure_visit_days`) starts one run every day at 08:30 Asia/Shanghai.
The run asks whether today is a visit day (the 5th, 15th or 25th, or the working day a non-working one
moves to: `domain/visit_days.py`, on the work calendar with loaded arrangements) by opening the day's
rounds for every team (the activity opens none on other days; idempotent per team and date), sleeps
until 17:30 and closes the rounds still open with their tally. `VisitDayInput.day` names another day
(a catch-up after an outage, or a test): the run then waits for that day's 08:30 if it lies ahead.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.workcalendar import CHINA

SCHEDULE_ID = "visit-days"
OPENS, CLOSES = time(8, 30), time(17, 30)  # a visit day's rounds: from the start of office hours to its end


class VisitDayInput(BaseModel):
    """The day whose rounds a run opens and closes (Asia/Shanghai date); None: the day the run starts on."""

    day: date | None = None


class VisitDayRequest(BaseModel):
    """What the visit day's activities act on: the day (Asia/Shanghai) and the instant they act at (UTC, the
    workflow's clock: the events' time)."""

    day: date
    at: datetime


class VisitDayResult(BaseModel):
    """Round ids the activity opened (or found open) or closed."""

    round_ids: list[str]


@workflow.defn
class VisitDayWorkflow:
    """One day of 民意"5"来听: open every team's round if the day is a visit day, close them at the end of it."""

    @workflow.run
    async def run(self, input: VisitDayInput) -> dict:
        """Open the day's rounds at 08:30 (waiting for it when it lies ahead), then close them at 17:30 (at once
        for a day already past). Returns {day, opened, closed}: ISO date and round ids."""
        day = input.day or workflow.now().astimezone(CHINA).date()
        await self._sleep_until(datetime.combine(day, OPENS, CHINA))
        opened = await self._act("open_visit_rounds", day)
        if not opened:
            return {"day": day.isoformat(), "opened": [], "closed": []}
        await self._sleep_until(datetime.combine(day, CLOSES, CHINA))
        closed = await self._act("close_visit_rounds", day)
        return {"day": day.isoformat(), "opened": opened, "closed": closed}

    async def _sleep_until(self, moment: datetime) -> None:
        wait = (moment - workflow.now()).total_seconds()
        if wait > 0:
            await workflow.sleep(wait)

    async def _act(self, activity: str, day: date) -> list[str]:
        result = await workflow.execute_activity(
            activity, VisitDayRequest(day=day, at=workflow.now()), result_type=VisitDayResult,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_interval=timedelta(minutes=5),
                                     non_retryable_error_types=["InvalidCommand"]),
            summary=f"{activity} {day}",
        )
        return result.round_ids
