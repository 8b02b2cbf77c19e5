"""CalendarReplanWorkflow: tell every open petition of a newly loaded holiday arrangement.

Started by `services.calendar.load_arrangement` once the load is in the log, with the workflow id
`calendar-replan-<sequence>` (so a load is re-planned once, and an interrupted one is resumed by the
next start of the API or `jiehu calendar resume`). It signals each open petition's workflow
(`PetitionWorkflow.calendar_changed`), a page at a time, continuing as new after each page so that
its history stays short however many petitions are open; then it records `CalendarReplanFinished`.
A second pass a little later catches petitions reported while the first ran by a process that had
not yet adopted the arrangement (each petition ignores an arrangement it already has).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from workflows.inputs import CalendarReplanInput, OpenPetitionsInput, OpenPetitionsPage, ReplanFinishedInput

REPLAN_PREFIX = "calendar-replan-"
SETTLE = timedelta(seconds=90)  # other API processes adopt an arrangement within 30 s (`CALENDAR_FOLLOW_SECONDS`)
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


def replan_workflow_id(sequence: int) -> str:
    """The workflow id of the re-plan of the arrangement loaded as `sequence` (one re-plan per load)."""
    return f"{REPLAN_PREFIX}{sequence}"


@workflow.defn
class CalendarReplanWorkflow:
    """Tells every open petition of a newly loaded holiday arrangement (signal `calendar_changed`), a page at a time
    with continue-as-new; a second pass after `SETTLE` (90 s) catches petitions reported meanwhile; then records
    `CalendarReplanFinished`."""

    @workflow.run
    async def run(self, input: CalendarReplanInput) -> dict:
        """Tell one page of open petitions and continue as new; when none are left, the second pass or the finish.
        Returns the `ReplanFinishedInput` recorded, as a dict."""
        since = input.arrangement.loaded_at - SETTLE if input.second_pass else None
        page = await workflow.execute_activity(
            "open_petitions", OpenPetitionsInput(after=input.after, limit=input.page_size, reported_since=since),
            result_type=OpenPetitionsPage, start_to_close_timeout=timedelta(seconds=60), retry_policy=_RETRY,
        )
        told = await asyncio.gather(*(self._tell(petition_id, input) for petition_id in page.ids))
        signalled, gone = input.signalled + sum(told), input.gone + len(told) - sum(told)
        if page.ids:
            workflow.continue_as_new(input.model_copy(update={
                "after": page.ids[-1], "signalled": signalled, "gone": gone}))
        if not input.second_pass:
            await workflow.sleep(SETTLE)
            workflow.continue_as_new(input.model_copy(update={
                "after": "", "signalled": signalled, "gone": gone, "second_pass": True}))
        finished = ReplanFinishedInput(sequence=input.arrangement.sequence, signalled=signalled, gone=gone)
        await workflow.execute_activity("record_replan_finished", finished,
                                        start_to_close_timeout=timedelta(seconds=60), retry_policy=_RETRY)
        return finished.model_dump()

    @staticmethod
    async def _tell(petition_id: str, input: CalendarReplanInput) -> bool:
        try:
            await workflow.get_external_workflow_handle(petition_id).signal("calendar_changed", input.arrangement)
            return True
        except FailureError:  # it closed (its workflow ended) after it was listed: nothing runs to re-plan
            return False
