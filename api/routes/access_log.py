"""Who read a resident's data (访问留痕): the access records, for auditors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api import cursors
from api.auth import CurrentActor
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.schemas import UtcTime
from api.scope import require_role, scope_units
from domain.enums import ReadKind, Role
from eventstore.access_log import AccessQuery, list_access

router = APIRouter(prefix="/v1", tags=["audit"])


class AccessRecordOut(BaseModel):
    """One read that showed a resident's data unmasked: who (subject, name, role, unit), when (UTC), which petition,
    what kind of read, the reason given and the request id."""

    id: int
    at: UtcTime
    actor_id: str
    actor_name: str
    role: str
    role_label: str
    unit_code: str
    petition_id: str
    what: str
    what_label: str
    reason: str | None
    request_id: str | None


class AccessPage(BaseModel):
    """A page of access records and the cursor of the next (None: the last page)."""

    items: list[AccessRecordOut]
    next_cursor: str | None


@router.get("/access-log", response_model=AccessPage, responses=PROBLEM_RESPONSES(401, 403, 422))
async def list_access_log(
    actor: CurrentActor, services: ServicesDep, org: OrgDep,
    petition_id: str | None = None,
    actor_id: Annotated[str | None, Query(alias="actor", description="The reader's subject (token `sub`)")] = None,
    unit: Annotated[str | None, Query(description="Readers in this unit or any unit below it")] = None,
    at_from: Annotated[datetime | None, Query(alias="from", description="Reads at or after this time")] = None,
    at_to: Annotated[datetime | None, Query(alias="to", description="Reads before this time")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> AccessPage:
    """Who was shown which petition's reporter unmasked, when and why; newest first, one page at a time.
    An auditor sees the reads of petitions handled inside their unit's part of the org tree."""
    require_role(actor, "read-access-log")
    if unit is not None and unit not in org.units:
        raise ApiError(422, "unknown_unit", f"unknown unit {unit!r}")
    query = AccessQuery(
        petition_id=petition_id, actor_id=actor_id, units=sorted(org.subtree(unit)) if unit is not None else None,
        scope=scope_units(actor, org),
        at_from=at_from, at_to=at_to, after=_decode(cursor) if cursor else None, limit=limit,
    )
    rows = await list_access(services.pool, query)
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    return AccessPage(
        items=[AccessRecordOut(**row, role_label=Role(row["role"]).label, what_label=ReadKind(row["what"]).label)
               for row in page],
        next_cursor=cursors.encode("access", last["at"], last["id"]) if last else None,
    )


def _decode(cursor: str) -> tuple[datetime, int]:
    """(at, id) of the last record a cursor of this listing stands after; 422 `invalid_cursor` otherwise."""
    try:
        kind, at, last_id = cursors.decode(cursor)
    except cursors.InvalidCursor as exc:
        raise ApiError(422, "invalid_cursor", str(exc)) from exc
    if kind != "access" or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise ApiError(422, "invalid_cursor", cursors.NOT_OURS)
    return at, last_id
