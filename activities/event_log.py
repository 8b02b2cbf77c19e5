"""append_events: the workflow's one way to write its petition's stream (and read-model row)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.errors import StreamConflict
from eventstore.store import EventStore, NewEvent
from workflows.inputs import AppendEventsInput, AppendEventsResult

log = structlog.get_logger(__name__)


class EventLogActivities:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    @activity.defn(name="append_events")
    async def append_events(self, input: AppendEventsInput) -> AppendEventsResult:
        events = [
            NewEvent(event_id=e.event_id, type=e.type, data=e.data, occurred_at=datetime.fromisoformat(e.occurred_at),
                     metadata={"workflow_id": input.workflow_id})
            for e in input.events
        ]
        try:
            result = await self._store.append(input.stream_id, input.expected_version, events, input.read_model_row)
        except StreamConflict as conflict:
            log.error("stream conflict", petition_id=input.stream_id, error=str(conflict))
            raise ApplicationError(str(conflict), type="StreamConflict", non_retryable=True) from conflict
        except asyncpg.DataError as bad:  # retrying cannot help: the events themselves are unstorable
            log.error("events refused by the database", petition_id=input.stream_id, error=str(bad))
            raise ApplicationError(str(bad), type="UnstorableEvent", non_retryable=True) from bad
        log.info("events appended", petition_id=input.stream_id, workflow_id=input.workflow_id,
                 types=[e.type for e in input.events], version=result.version, replay=result.already_appended)
        return AppendEventsResult(version=result.version, position=result.position,
                                  already_appended=result.already_appended)
