"""Finding petitions: filtered, cursor-paginated lists and each unit's own queue."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.access import ReadAccessDep
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.petition_views import petitions_out
from api.schemas import PetitionOut
from api.scope import SEES_PERSONAL_DATA, scope_units
from domain.enums import Channel, Level, ReadKind, Status, Urgency
from eventstore.petition_search import search_condition

router = APIRouter(prefix="/v1", tags=["petitions"])
NARROW_SCOPE = 4  # a grid, a department, a property company, a small community: list via their own rows


class SortOrder(StrEnum):
    NEWEST = "newest"
    DEADLINE = "deadline"


class PetitionPage(BaseModel):
    items: list[PetitionOut]
    next_cursor: str | None


class QueueItem(BaseModel):
    petition: PetitionOut
    seconds_to_accept: float | None
    seconds_to_resolve: float | None


class Queue(BaseModel):
    unit_code: str
    open_count: int
    items: list[QueueItem]
    next_cursor: str | None


Q_HELP = ("Text in the description or address, or a petition id; for the roles that see personal data also "
          "the reporter's name, or their phone's digits (spaces and dashes ignored; the last 4 or more)")


@router.get("/petitions", response_model=PetitionPage, responses=PROBLEM_RESPONSES(401, 422))
async def list_petitions(
    access: ReadAccessDep, services: ServicesDep, org: OrgDep,
    status: Status | None = None, level: Level | None = None,
    unit: Annotated[str | None, Query(description="Held now by this unit or any unit below it")] = None,
    category: str | None = None, channel: Channel | None = None, urgency: Urgency | None = None,
    overdue: bool | None = None,
    created_from: datetime | None = None, created_to: datetime | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description=Q_HELP)] = None,
    sort: SortOrder = SortOrder.NEWEST,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> PetitionPage:
    """Petitions the caller may see, newest first or nearest deadline first, one page at a time."""
    actor = access.actor
    where, args = ["TRUE"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    scope = scope_units(actor, org)
    if scope is not None:
        where.append(f"handled_units && {arg(scope)}::text[]")
    for column, value in (("status", status), ("level", level), ("category", category), ("channel", channel),
                          ("urgency", urgency)):
        if value is not None:
            where.append(f"{column} = {arg(str(value))}")
    if unit is not None:
        if unit not in org.units:
            raise ApiError(422, "unknown_unit", f"unknown unit {unit!r}")
        where.append(f"unit_code = ANY({arg(sorted(org.subtree(unit)))}::text[])")
    if overdue is not None:
        where.append("deadline_state = 'overdue'" if overdue else "deadline_state <> 'overdue'")
    if created_from is not None:
        where.append(f"reported_at >= {arg(created_from)}")
    if created_to is not None:
        where.append(f"reported_at < {arg(created_to)}")
    if q is not None:
        where.append(search_condition(q, arg, by_reporter=actor.role in SEES_PERSONAL_DATA))
    if sort is SortOrder.NEWEST:
        order = "reported_at DESC, id DESC"
        if cursor:
            at, last_id = _decode(cursor, "newest")
            where.append(f"(reported_at, id) < ({arg(datetime.fromisoformat(at))}, {arg(last_id)})")
    else:
        order = "resolve_due ASC, id ASC"
        where.append("resolve_due IS NOT NULL")
        if cursor:
            due, last_id = _decode(cursor, "deadline")
            where.append(f"(resolve_due, id) > ({arg(datetime.fromisoformat(due))}, {arg(last_id)})")
    matching = f"SELECT * FROM petitions WHERE {' AND '.join(where)}"
    if scope is not None and len(scope) <= NARROW_SCOPE:
        # A grid's or a department's petitions are few: fetch them through the GIN index and sort,
        # rather than let the planner walk the whole date index looking for a rare filter's rows.
        matching = f"WITH candidates AS MATERIALIZED ({matching}) SELECT * FROM candidates"
    rows = await services.pool.fetch(f"{matching} ORDER BY {order} LIMIT {arg(limit + 1)}", *args)
    page = [dict(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        key = last["reported_at"] if sort is SortOrder.NEWEST else last["resolve_due"]
        next_cursor = _encode(sort.value, key.isoformat(), last["id"])
    what = ReadKind.LIST if q is None else ReadKind.SEARCH
    return PetitionPage(items=await petitions_out(page, access, what), next_cursor=next_cursor)


@router.get("/queue", response_model=Queue, responses=PROBLEM_RESPONSES(401, 422))
async def my_queue(access: ReadAccessDep, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   cursor: str | None = None) -> Queue:
    """The caller's unit's open work orders, nearest deadline first, with their card and time left;
    `open_count` counts them all, `next_cursor` pages through the rest."""
    actor = access.actor
    open_orders = "unit_code = $1 AND status IN ('dispatched', 'accepted', 'paused')"
    args: list[Any] = [actor.unit_code, limit + 1]
    after = ""
    if cursor:
        key, last_id = _decode(cursor, "queue")
        args += [datetime.fromisoformat(key), last_id]
        after = "AND (coalesce(resolve_due, 'infinity'), id) > ($3, $4) "
    rows = await services.pool.fetch(
        f"SELECT * FROM petitions WHERE {open_orders} {after}"
        "ORDER BY coalesce(resolve_due, 'infinity'), id LIMIT $2", *args)
    open_count = await services.pool.fetchval(f"SELECT count(*) FROM petitions WHERE {open_orders}", actor.unit_code)
    page, more = rows[:limit], len(rows) > limit
    now = datetime.now(UTC)
    petitions = await petitions_out([dict(r) for r in page], access, ReadKind.QUEUE)
    items = [
        QueueItem(
            petition=petition,
            seconds_to_accept=(r["accept_due"] - now).total_seconds() if r["accept_due"] else None,
            seconds_to_resolve=(r["resolve_due"] - now).total_seconds() if r["resolve_due"] else None,
        )
        for r, petition in zip(page, petitions, strict=True)
    ]
    last = page[-1] if more else None
    next_cursor = _encode("queue", (last["resolve_due"] or datetime.max.replace(tzinfo=UTC)).isoformat(),
                          last["id"]) if last else None
    return Queue(unit_code=actor.unit_code, open_count=open_count, items=items, next_cursor=next_cursor)


def _encode(sort: str, key: str, last_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort, key, last_id])).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[str, str]:
    try:
        kind, key, last_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        datetime.fromisoformat(key)
    except (ValueError, TypeError) as exc:
        raise ApiError(422, "invalid_cursor", "the cursor is not one this API handed out") from exc
    if kind != sort:
        raise ApiError(422, "invalid_cursor", f"this cursor belongs to sort={kind}")
    return key, last_id
