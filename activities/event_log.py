"""append_events: the workflow's one way to write its petition's stream (and read-model row)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.errors import StreamConflict
from eventstore.store import EventStore, NewEvent
from observability.metrics import APPEND_SECONDS, APPENDS, EVENTS_APPENDED, observe_appended
from workflows.inputs import AppendEventsInput, AppendEventsResult

log = structlog.get_logger(__name__)


class EventLogActivities:
    """The petition workflow's append activity, on the event store."""

    def __init__(self, store: EventStore, level_of: Callable[[str], str] = lambda _: "unknown") -> None:
        self._store, self._level_of = store, level_of

    @activity.defn(name="append_events")
    async def append_events(self, input: AppendEventsInput) -> AppendEventsResult:
        """Append `input.events` to the petition's stream at the expected version with the read-model row, in one
        statement; a retry finds them there and writes nothing. Counts appends and their latency. Non-retryable
        ApplicationError `StreamConflict` when another writer got there first, `UnstorableEvent` when the database
        refuses the events; other errors retry."""
        # the update that made the events (an Idempotency-Key's, or the API request's id) is kept with
        # them: a keyed retry finds its first answer in the log even after the run ended
        # (`EventStore.version_of_update`)
        metadata = {"workflow_id": input.workflow_id} | ({"update_id": input.request_id} if input.request_id else {})
        events = [
            NewEvent(event_id=e.event_id, type=e.type, data=e.data, occurred_at=datetime.fromisoformat(e.occurred_at),
                     metadata=metadata)
            for e in input.events
        ]
        actor = next((e.data["actor"].get("id") for e in input.events if isinstance(e.data.get("actor"), dict)), None)
        structlog.contextvars.bind_contextvars(petition_id=input.stream_id, workflow_id=input.workflow_id,
                                               request_id=input.request_id or None, actor=actor)
        started = time.perf_counter()
        try:
            result = await self._store.append(input.stream_id, input.expected_version, events, input.read_model_row)
        except StreamConflict as conflict:
            APPENDS.labels("conflict").inc()
            log.error("stream conflict", error=str(conflict))
            raise ApplicationError(str(conflict), type="StreamConflict", non_retryable=True) from conflict
        except asyncpg.DataError as bad:  # retrying cannot help: the events themselves are unstorable
            APPENDS.labels("refused").inc()
            log.error("events refused by the database", error=str(bad))
            raise ApplicationError(str(bad), type="UnstorableEvent", non_retryable=True) from bad
        except Exception:
            APPENDS.labels("error").inc()  # the database is away: the activity retries
            raise
        finally:
            APPEND_SECONDS.observe(time.perf_counter() - started)
        if result.already_appended:
            APPENDS.labels("already_appended").inc()
        else:
            APPENDS.labels("appended").inc()
            EVENTS_APPENDED.inc(len(events))
            observe_appended(((e.type, e.data) for e in input.events), self._level_of)
        log.info("events appended", types=[e.type for e in input.events], version=result.version,
                 replay=result.already_appended)
        return AppendEventsResult(version=result.version, position=result.position,
                                  already_appended=result.already_appended)
