"""The calendar re-plan's activities: list the open petitions, record that the re-plan finished."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from temporalio import activity

from domain.arrangements import ReplanFinished
from eventstore.calendar_log import record_replan_finished
from eventstore.petition_queries import open_petition_ids
from eventstore.store import EventStore
from workflows.inputs import OpenPetitionsInput, OpenPetitionsPage, ReplanFinishedInput


class CalendarActivities:
    """The calendar re-plan's activities, on the database pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="open_petitions")
    async def open_petitions(self, input: OpenPetitionsInput) -> OpenPetitionsPage:
        """One page of open petition ids (`OpenPetitionsInput`), in id order."""
        return OpenPetitionsPage(ids=await open_petition_ids(self._pool, input.after, input.limit,
                                                             input.reported_since))

    @activity.defn(name="record_replan_finished")
    async def record_replan_finished(self, input: ReplanFinishedInput) -> None:
        """Append `CalendarReplanFinished` to the `calendar` stream (now, UTC)."""
        await record_replan_finished(EventStore(self._pool), ReplanFinished(
            sequence=input.sequence, signalled=input.signalled, gone=input.gone, at=datetime.now(UTC)))
