"""The `calendar` stream: official holiday arrangements loaded while jiehu runs, and their re-plans.

One event per load (`CalendarArrangementLoaded`: the year's days, who loaded it, when, from which
notice) and one when every open petition has been told of it (`CalendarReplanFinished`). Every
process rebuilds the calendar it uses from this stream (`read_arrangements`), so a load needs no
release and no restart.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from domain.arrangements import CALENDAR_STREAM, Arrangement, ArrangementLoaded, ReplanFinished
from domain.errors import StreamConflict
from eventstore.store import EventStore, NewEvent


@dataclass(frozen=True)
class CalendarLog:
    """What the `calendar` stream says: the arrangements in load order, and the loads re-planned."""

    arrangements: list[Arrangement]
    replanned: set[int]  # sequences whose re-plan finished
    version: int  # the stream's last version: the expected version of the next append

    @property
    def unfinished(self) -> list[Arrangement]:
        """The arrangements whose re-plan of running petitions has not finished, in load order."""
        return [a for a in self.arrangements if a.sequence not in self.replanned]


async def read_calendar_log(store: EventStore) -> CalendarLog:
    """What the `calendar` stream holds: every loaded arrangement (with its stream version as `sequence`), the
    sequences re-planned, and the stream's version."""
    arrangements, replanned = [], set()
    stream = await store.read_stream(CALENDAR_STREAM)
    for stored in stream:
        if stored.type == "CalendarArrangementLoaded":
            loaded = ArrangementLoaded.model_validate(stored.data).arrangement
            arrangements.append(loaded.model_copy(update={"sequence": stored.version, "event_id": stored.event_id}))
        elif stored.type == "CalendarReplanFinished":
            replanned.add(ReplanFinished.model_validate(stored.data).sequence)
    return CalendarLog(arrangements, replanned, stream[-1].version if stream else 0)


async def record_arrangement(store: EventStore, arrangement: Arrangement) -> Arrangement | None:
    """Append the load of `arrangement` and return it with its `sequence` and `event_id`; None when the
    arrangement in force for its year already has the same days (a repeated load records nothing).
    Two loads at once: one appends, the other reads the stream again and compares with it."""
    event_id = str(uuid.uuid4())
    loaded = ArrangementLoaded(arrangement=arrangement)
    event = NewEvent(event_id=event_id, type=loaded.type, data=loaded.model_dump(mode="json", exclude={"type"}),
                     occurred_at=arrangement.loaded_at, metadata={"actor": arrangement.loaded_by.id})

    def unless_in_force(log: CalendarLog) -> NewEvent | None:
        current = [a for a in log.arrangements if a.year == arrangement.year]
        return None if current and current[-1].same_days(arrangement) else event

    version = await _append_unless(store, unless_in_force, "the calendar stream kept moving; try the load again")
    return None if version is None else arrangement.model_copy(update={"sequence": version, "event_id": event_id})


async def record_replan_finished(store: EventStore, finished: ReplanFinished) -> None:
    """Append that the re-plan of arrangement `finished.sequence` is done (once: a retry records nothing)."""
    event = NewEvent(event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"jiehu:calendar-replan:{finished.sequence}")),
                     type=finished.type, data=finished.model_dump(mode="json", exclude={"type"}),
                     occurred_at=finished.at)
    await _append_unless(store, lambda log: None if finished.sequence in log.replanned else event,
                         "the calendar stream kept moving; the re-plan will record its end on retry")


async def _append_unless(store: EventStore, event_for: Callable[[CalendarLog], NewEvent | None],
                         gave_up: str) -> int | None:
    """Read the stream, append what `event_for` says at the version read (None: nothing to append) and
    return the stream's new version; read and decide again when another writer moved the stream first.
    Raises StreamConflict(`gave_up`) after five tries."""
    for _ in range(5):
        log = await read_calendar_log(store)
        event = event_for(log)
        if event is None:
            return None
        try:
            return (await store.append(CALENDAR_STREAM, log.version, [event])).version
        except StreamConflict:
            continue
    raise StreamConflict(gave_up)
