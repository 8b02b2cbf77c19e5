"""Turning read-model rows and workflow state into API responses, masked for the caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from api.errors import ApiError
from api.schemas import PetitionOut
from api.scope import in_scope, mask_personal_data, scope_units
from domain.enums import CloseOutcome, DeadlineState, Level, Status
from domain.model import Actor, PetitionState
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from org.model import OrgTree


def to_out(row: dict[str, Any], actor: Actor) -> PetitionOut:
    """A read-model row with the Chinese labels of its enums, personal data masked for `actor`."""
    row = mask_personal_data(row, actor)
    return PetitionOut(
        **{k: v for k, v in row.items() if k in PetitionOut.model_fields},
        status_label=Status(row["status"]).label,
        level_label=Level(row["level"]).label if row["level"] else None,
        deadline_state_label=DeadlineState(row["deadline_state"]).label,
        close_outcome_label=CloseOutcome(row["close_outcome"]).label if row["close_outcome"] else None,
    )


def state_out(state: PetitionState, actor: Actor) -> PetitionOut:
    return to_out(petition_row(state, updated_at=datetime.now(CHINA).isoformat()), actor)


async def visible_row(pool: asyncpg.Pool, petition_id: str, actor: Actor, org: OrgTree,
                      *, for_command: bool = False) -> dict[str, Any]:
    """The petition's row if the caller may see it: 404 if not (403 for a command on someone else's)."""
    row = await pool.fetchrow("SELECT * FROM petitions WHERE id = $1", petition_id)
    if row is None:
        raise ApiError(404, "petition_not_found", f"no petition {petition_id}")
    found = dict(row)
    if not in_scope(found, scope_units(actor, org), actor):
        if for_command:
            raise ApiError(403, "out_of_scope", "this petition is outside your unit's part of the org tree")
        raise ApiError(404, "petition_not_found", f"no petition {petition_id}")
    return found
