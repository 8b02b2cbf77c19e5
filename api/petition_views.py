"""Turning read-model rows, events and workflow state into API responses, masked for the caller.

Every response that shows a petition or its events passes `api.scope.sees_personal_data` and, when it
answers no, `domain.masking.masked`: one decision and one masking for the row and its events alike.
It may not hold SQL (reads go through `eventstore/petition_queries.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from api.access import ReadAccess
from api.errors import ApiError
from api.schemas import DuplicateCandidateOut, EventOut, JoinedBurstOut, PetitionOut, ReportedOut
from api.scope import grid_in_scope, in_scope, scope_units, sees_personal_data
from domain.enums import (
    Channel,
    CloseOutcome,
    DeadlineState,
    Level,
    ReadKind,
    RequestType,
    Resolution,
    Status,
    TriageOutcome,
    Urgency,
    VisitChannel,
    VisitOutcome,
)
from domain.masking import masked, masked_confidential_callers
from domain.model import Actor, PetitionState
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from eventstore.petition_queries import find_petition
from eventstore.store import StoredEvent
from org.model import OrgTree
from services.intake import Reported


async def petitions_out(rows: list[dict[str, Any]], access: ReadAccess, what: ReadKind) -> list[PetitionOut]:
    """Rows as the reader may see them; each one shown unmasked leaves an access record."""
    unmasked = await access.shown_unmasked(rows, what)
    decoded = [_decoded(row) for row in rows]
    return [_labelled(_for_reader(row, shown, access.actor), access.org)
            for row, shown in zip(decoded, unmasked, strict=True)]


async def events_out(row: dict[str, Any], events: list[StoredEvent], access: ReadAccess) -> list[EventOut]:
    """A petition's events, its reporter masked and free text redacted exactly when they would be in
    the petition."""
    [shown] = await access.shown_unmasked([row], ReadKind.EVENTS)
    guarded = shown and not sees_confidential(row, access.actor)
    return [EventOut(position=e.position, version=e.version, event_id=e.event_id, type=e.type,
                     occurred_at=e.occurred_at, recorded_at=e.recorded_at,
                     data=(masked_confidential_callers(e.data) if guarded else e.data) if shown else masked(e.data))
            for e in events]


def command_out(row: dict[str, Any], actor: Actor, org: OrgTree) -> PetitionOut:
    """What a command answers: masked for `actor`, not access-recorded (its event names the actor); the category's
    name from `org`."""
    return _labelled(_for_reader(_decoded(row), sees_personal_data(row, actor), actor), org)


def sees_confidential(row: dict[str, Any], actor: Actor) -> bool:
    """Whether `actor` sees a caller of `row` who asked for 工单保密: as a confidential petition's reporter, the
    roles that call residents, not the unit holding it — nor the cadre who reported the petition, who did not
    type this caller in."""
    return sees_personal_data({**row, "confidential": True, "reported_by": None}, actor)


def _for_reader(row: dict[str, Any], shown: bool, actor: Actor) -> dict[str, Any]:
    """The decoded row as `actor` may see it: masked, or as stored but for the linked callers who asked for
    工单保密 when the reader would not see a confidential reporter (found in the issue 14 trial)."""
    if not shown:
        return masked(row)
    return row if sees_confidential(row, actor) else masked_confidential_callers(row)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its JSON text columns (`linked_callers`; `burst`, issue 14 §5) read."""
    callers, burst = row.get("linked_callers"), row.get("burst")
    row = {**row, "linked_callers": orjson.loads(callers)} if isinstance(callers, str) else row
    return {**row, "burst": orjson.loads(burst)} if isinstance(burst, str) else row


def _labelled(row: dict[str, Any], org: OrgTree) -> PetitionOut:
    """A read-model row, already masked, with the Chinese labels of its enums and its category's name (issue 15 §8:
    the console shows no code to a cadre; a category the org no longer has keeps its code)."""
    category = org.categories.get(row["category"])
    resolution = row.get("resolution")
    return PetitionOut(
        **{k: v for k, v in row.items() if k in PetitionOut.model_fields},
        category_label=category.name if category is not None else row["category"],
        channel_label=Channel(row["channel"]).label,
        urgency_label=Urgency(row["urgency"]).label,
        visit_outcome_label=VisitOutcome(row["visit_outcome"]).label if row.get("visit_outcome") else None,
        resolution_label=Resolution(resolution).label if resolution else None,
        status_label=Status(row["status"]).label,
        level_label=Level(row["level"]).label if row["level"] else None,
        deadline_state_label=DeadlineState(row["deadline_state"]).label,
        close_outcome_label=CloseOutcome(row["close_outcome"]).label if row["close_outcome"] else None,
        request_type_label=RequestType(row["request_type"]).label if row.get("request_type") else None,
        triage_label=TriageOutcome(row["triage"]).label if row.get("triage") else None,
        visit_channel_label=VisitChannel(row["visit_channel"]).label if row.get("visit_channel") else None,
    )


def state_out(state: PetitionState, actor: Actor, org: OrgTree) -> PetitionOut:
    """A command's resulting state, as `command_out`; `updated_at` is its last event's time, as the
    read model's row of the same version says."""
    updated_at = state.updated_at or state.reported_at or datetime.now(UTC)
    return command_out(petition_row(state, updated_at=updated_at.isoformat()), actor, org)


async def visible_row(pool: asyncpg.Pool, petition_id: str, actor: Actor, org: OrgTree,
                      *, for_command: bool = False, closed_ok: bool = False) -> dict[str, Any]:
    """The petition's row if the caller may see it: 404 if not (403 for a command on someone else's);
    for a command, 409 `petition_closed` (with when and how) once it has closed, unless `closed_ok`
    (the caller answers a keyed retry of the command that closed it)."""
    found = await find_petition(pool, petition_id)
    if found is None:
        raise ApiError(404, "petition_not_found", f"no petition {petition_id}")
    if not in_scope(found, scope_units(actor, org), actor):
        if for_command:
            raise ApiError(403, "out_of_scope", "this petition is outside your unit's part of the org tree")
        raise ApiError(404, "petition_not_found", f"no petition {petition_id}")
    if for_command and not closed_ok and found["status"] == Status.CLOSED.value:
        raise closed_petition(found)
    return found


def closed_petition(row: dict[str, Any]) -> ApiError:
    """409 `petition_closed`, saying when (Beijing time) and how the petition closed."""
    closed_at = row["closed_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    outcome = CloseOutcome(row["close_outcome"]).label if row["close_outcome"] else ""
    return ApiError(409, "petition_closed",
                    f"the petition closed at {closed_at} (Beijing time) as {outcome} ({row['close_outcome']}); "
                    "no command changes it any more. If the resident called again: reopen it (POST .../reopen, "
                    "a supervisor or dispatcher, within the policy's window) or report a new petition that follows it")


@dataclass(frozen=True)
class ActorReach:
    """What a caller with a token may reach when reporting (`services.intake.Reach`): grids inside their
    subtree (a district's dispatcher: its district), and the petitions they may see."""

    actor: Actor
    org: OrgTree

    def may_report_in(self, grid_code: str) -> bool:
        """Whether the caller may report in `grid_code` (a grid inside its reach)."""
        return grid_in_scope(self.actor, self.org, grid_code)

    def may_see(self, row: dict[str, Any]) -> bool:
        """Whether the caller may see the petition `row` (a row of the petitions read model)."""
        return in_scope(row, scope_units(self.actor, self.org), self.actor)


def reported_out(reported: Reported, actor: Actor, org: OrgTree) -> ReportedOut:
    """An intake answer (issue 14 §5): the petition made, or the burst's petition the report joined, masked for
    `actor` like any command's answer (the category's name from `org`), with its duplicate candidates (ones `actor`
    may see: intake checked)."""
    if reported.state is None:  # a retry of a report whose key kept no answer: the petition as it is now
        assert reported.row is not None
        petition = command_out(reported.row, actor, org)
    else:
        petition = state_out(reported.state, actor, org)
    candidates = [DuplicateCandidateOut(**c.model_dump(), status_label=Status(c.status).label)
                  for c in reported.candidates]
    joined = reported.joined
    return ReportedOut(**petition.model_dump(), duplicate_candidates=candidates,
                       joined_burst=JoinedBurstOut(petition_id=joined.petition_id, caller=joined.caller,
                                                   reason=joined.reason) if joined else None)
