"""Duplicates and bursts (issue 14 §5): the duplicate candidates of a new report, the burst a report joins,
and merging one petition into another. The rules are `domain/duplicates.py`'s; the reads are
`eventstore/petition_queries.py`'s; every candidate and burst is one the reporter may see (`Reach.may_see`),
so a report never learns of a petition its reporter may not read.

A merge is two commands on two streams, sent in this order so that a merge cut short never loses a reporter:
the survivor's `AbsorbMerged` (its new linked reporters) first, then the merged petition's `MergeInto` (closed
as a duplicate naming the survivor). Both are decided here first on the petitions folded from the log, so a
refused merge sends nothing; a retry with the same Idempotency-Key finishes a merge cut short (both updates
carry the key's update id, which the server answers once).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from domain import commands as cmd
from domain.catalogue import decide
from domain.decider import merge_cut_short, merged_reporters
from domain.duplicates import BurstMatch, Candidate, DuplicateRule, Sketch, burst_match, duplicate_candidates
from domain.enums import Status
from domain.errors import InvalidCommand, InvalidState
from domain.model import Burst, PetitionState
from domain.workcalendar import CHINA, WorkCalendar
from eventstore.petition_locks import petition_locks
from eventstore.petition_projection import fold_stored
from eventstore.petition_queries import find_petition, open_alike, running_bursts
from eventstore.store import EventStore
from services.idempotency import claim_key, first_answer, keep_answer, update_id
from workflows.client import PetitionClient

METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)


class SurvivorClosed(InvalidState):
    """The petition to merge into is closed (or was itself merged into another): merge into an open one."""

    code = "survivor_closed"


class CrossDistrictMerge(InvalidCommand):
    """A merge stays within one district's dispatch desk."""

    code = "cross_district_merge"


class UnknownSurvivor(InvalidCommand):
    """No petition to merge into that the caller may see (existence does not leak)."""

    code = "invalid_into"


class BurstRunning(InvalidState):
    """The petition to merge away holds a running burst: its joining reports would have nowhere to go (409)."""

    code = "burst_running"


class MergeCutShort(InvalidState):
    """The petition to merge away already holds the reporters of the one it would merge into, from that one's
    merge into it that was cut short: finish that merge instead (409)."""

    code = "merge_cut_short"


class SelfMerge(InvalidCommand):
    """A petition cannot be merged into itself."""

    code = "self_merge"


def sketch_of_row(row: dict[str, Any]) -> Sketch:
    """What the rules read of a row of the petitions read model."""
    return Sketch(id=row["id"], status=row["status"], category=row["category"], description=row["description"],
                  grid_code=row["grid_code"], latitude=row.get("latitude"), longitude=row.get("longitude"),
                  reported_at=row["reported_at"])


def _box(lat: float | None, long: float | None, metres: float) -> tuple[float, float, float, float] | None:
    """A lat/long box holding every point within `metres` of (lat, long); None without a point."""
    if lat is None or long is None:
        return None
    dlat = metres / METRES_PER_DEGREE
    dlong = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, long - dlong, long + dlong


async def candidates_for(pool: asyncpg.Pool, report: Sketch, rule: DuplicateRule, may_see: Any,
                         now: datetime) -> list[Candidate]:
    """The duplicate candidates of `report` at `now` (aware) among open petitions `may_see(row)` admits, by
    `rule` (`domain.duplicates.duplicate_candidates`): ranked, at most `rule.limit`."""
    rows = await open_alike(pool, report.category, now - timedelta(seconds=rule.window_seconds), report.grid_code,
                            _box(report.latitude, report.longitude, rule.distance_m), report.id)
    return duplicate_candidates(report, [sketch_of_row(r) for r in rows if may_see(r)], now, rule)


@dataclass(frozen=True)
class BurstFound:
    """A running burst a report falls in: the burst petition's row and why it matched."""

    row: dict[str, Any]
    match: BurstMatch


async def burst_for(pool: asyncpg.Pool, report: Sketch, may_see: Any, now: datetime) -> BurstFound | None:
    """The running burst `report` joins at `now` (aware): the oldest one of its category that the reporter
    `may_see` and `domain.duplicates.burst_match` admits; None when there is none."""
    for row in await running_bursts(pool, report.category, now):
        if not may_see(row):
            continue
        burst = Burst.model_validate(json.loads(row["burst"]))
        if (match := burst_match(burst, sketch_of_row(row), report, now)) is not None:
            return BurstFound(row, match)
    return None


@dataclass(frozen=True)
class Merged:
    """A merge's answer: the merged petition closed as a duplicate, and the survivor with its new reporters."""

    merged: PetitionState
    survivor: PetitionState | None  # None on a keyed retry: read the survivor's row instead


class MergeService:
    """Merges a petition into another (合并工单): one instance per process."""

    def __init__(self, pool: asyncpg.Pool, petitions: PetitionClient, calendar: WorkCalendar) -> None:
        self._pool, self._petitions, self._calendar = pool, petitions, calendar

    async def merge(self, merged_id: str, command: cmd.MergeInto, may_see: Any, idempotency_key: str | None = None,
                    request: dict[str, Any] | None = None) -> Merged:
        """Merge `merged_id` into `command.into` (both petitions the actor `may_see`; the merged one's own scope
        the caller checked). Raises SelfMerge (422), SurvivorClosed (409), CrossDistrictMerge (422),
        IdempotencyKeyReused, and the decider's refusals of either half (the merged one closed: 409);
        UnknownSurvivor (422) for an `into` the actor may not see, as a close answers for its `duplicate_of`."""
        if command.into == merged_id:
            raise SelfMerge("into: a petition cannot be merged into itself", field="into")
        # one change at a time to either petition: two merges crossing each other, a merge into one being merged,
        # a caller linked to one being merged (each read below happens inside the locks)
        async with petition_locks(self._pool, [merged_id, command.into]):
            return await self._merge(merged_id, command, may_see, idempotency_key, request)

    async def _merge(self, merged_id: str, command: cmd.MergeInto, may_see: Any, idempotency_key: str | None,
                     request: dict[str, Any] | None) -> Merged:
        survivor_row = await find_petition(self._pool, command.into)
        if survivor_row is None or not may_see(survivor_row):
            raise UnknownSurvivor(f"into: no petition {command.into} that you may see", field="into")
        subject, update = command.actor.id, None
        if idempotency_key is not None:
            claimed = await claim_key(self._pool, subject, idempotency_key,
                                      {"merge": merged_id, "body": request or {}}, merged_id)
            if not claimed.first and (answer := await first_answer(self._pool, subject, idempotency_key, claimed,
                                                                   merged_id)):
                return Merged(answer.state, None)
            update = update_id(subject, idempotency_key)
        if survivor_row["status"] == Status.CLOSED.value:
            into = survivor_row.get("duplicate_of") or ""
            hint = f"; it was merged into {into}: merge into that one" if into else ""
            raise SurvivorClosed(f"into: petition {command.into} is closed ({survivor_row['close_outcome']}){hint}",
                                 field="into")
        store = EventStore(self._pool)
        merged = fold_stored(merged_id, await store.read_stream(merged_id))
        if merged.desk_code != survivor_row["desk_code"]:
            raise CrossDistrictMerge(f"into: a merge stays within one district: {merged_id} is desk "
                                     f"{merged.desk_code}'s, {command.into} desk {survivor_row['desk_code']}'s "
                                     "(dispatch it there first)", field="into")
        if merge_cut_short(merged, command.into):
            raise MergeCutShort(f"into: {command.into} was being merged into {merged_id} when that merge was cut "
                                f"short ({merged_id} already holds its reporters): merge {command.into} into "
                                f"{merged_id} to finish it")
        now = datetime.now(CHINA)
        if merged.burst is not None and merged.burst.until > now and merged.status is not Status.CLOSED:
            until = merged.burst.until.astimezone(CHINA)
            raise BurstRunning(f"{merged_id} holds a burst running until {until:%m-%d %H:%M} (Beijing time): merge "
                               "the others into it, or merge it once the burst ended")
        decide(merged, command, now, self._calendar)  # refused here, nothing is sent
        absorb = cmd.AbsorbMerged(actor=command.actor, merged_id=merged_id, merged_desk_code=merged.desk_code,
                                  reporters=merged_reporters(merged), reason=command.reason)
        survivor: PetitionState | None = None
        linked = json.loads(survivor_row.get("linked_callers") or "[]")
        if not any(c.get("merged_from") == merged_id for c in linked):  # (absorbed by a merge cut short)
            survivor = await self._petitions.send(command.into, absorb, update_id=update)
        closed = await self._petitions.send(merged_id, command, update_id=update)
        if idempotency_key is not None:
            await keep_answer(self._pool, subject, idempotency_key, closed, 200)
        return Merged(closed, survivor)
