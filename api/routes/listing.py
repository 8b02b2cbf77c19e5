"""Finding petitions: filtered, cursor-paginated lists and each unit's own queue."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.access import ReadAccessDep
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.petition_views import petitions_out
from api.schemas import PetitionOut, UtcTime
from api.scope import SEES_PERSONAL_DATA, scope_units
from api.unit_scope import dispatch_targets
from domain.enums import Channel, CloseOutcome, Level, ReadKind, Role, Status, Urgency
from domain.model import Actor
from eventstore.petition_search import search_condition
from org.model import OrgTree

router = APIRouter(prefix="/v1", tags=["petitions"])
NARROW_SCOPE = 4  # a grid, a department, a property company, a small community: list via their own rows
NEXT_DUE = "coalesce(next_due, 'infinity'::timestamptz)"  # as indexed (migration 009)
NEVER = datetime.max.replace(tzinfo=UTC)  # the cursor key of 'infinity': no running clock


WorklistKind = Literal["work_order", "redispatch", "return_visit"]
ItemKind = Literal["work_order", "decision", "redispatch", "return_visit"]


class SortOrder(StrEnum):
    NEWEST = "newest"
    DEADLINE = "deadline"


class PetitionPage(BaseModel):
    items: list[PetitionOut]
    next_cursor: str | None


class QueueItem(BaseModel):
    """One item of a worklist; every `seconds_to_*` is seconds from now (negative: overdue), null when
    that deadline does not run."""

    kind: ItemKind
    petition: PetitionOut
    seconds_to_accept: float | None
    seconds_to_resolve: float | None
    seconds_to_redispatch: float | None
    seconds_to_visit: float | None
    seconds_to_next: float | None
    visit_attempts: int
    delivery_pending_since: UtcTime | None


class Queue(BaseModel):
    unit_code: str
    kind: WorklistKind = Field(description="work_order (handling units), redispatch (dispatchers), "
                                           "return_visit (return visitors)")
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
    close_outcome: Annotated[CloseOutcome | None, Query(description="How it closed, e.g. closed_not_resolved "
                                                                    "(未解决办结: still dissatisfied at the reopen "
                                                                    "limit)")] = None,
    mine: Annotated[bool, Query(description="Only petitions the caller reported (我的上报)")] = False,
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
    if mine:
        where.append(f"reported_by = {arg(actor.id)}")
    elif scope is not None:  # handled inside the caller's subtree, or reported by the caller
        where.append(f"(handled_units && {arg(scope)}::text[] OR reported_by = {arg(actor.id)})")
    for column, value in (("status", status), ("level", level), ("category", category), ("channel", channel),
                          ("urgency", urgency), ("close_outcome", close_outcome)):
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
    else:  # the next deadline of any kind; petitions with no running clock come last, never dropped
        order = f"{NEXT_DUE} ASC, id ASC"
        if cursor:
            due, last_id = _decode(cursor, "deadline")
            where.append(f"({NEXT_DUE}, id) > ({arg(datetime.fromisoformat(due))}, {arg(last_id)})")
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
        key = last["reported_at"] if sort is SortOrder.NEWEST else (last["next_due"] or NEVER)
        next_cursor = _encode(sort.value, key.isoformat(), last["id"])
    what = ReadKind.LIST if q is None else ReadKind.SEARCH
    return PetitionPage(items=await petitions_out(page, access, what), next_cursor=next_cursor)


@router.get("/queue", response_model=Queue, responses=PROBLEM_RESPONSES(401, 422))
async def my_queue(access: ReadAccessDep, services: ServicesDep, org: OrgDep,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> Queue:
    """The caller's worklist (待办), nearest deadline first, with card and time left; `open_count`
    counts it all, `next_cursor` pages through the rest. What is on it depends on the role:

    - handling units: their unit's open work orders (dispatched, accepted, paused), and the extension
      and pause requests of the units below that wait for their decision (kind `decision`);
    - dispatchers: returned orders (退单待重新分办) of grids in their part of the tree, by re-dispatch deadline;
    - return visitors: resolved petitions of grids in their part of the tree waiting for a visit (待回访),
      by visit deadline, with the attempts so far."""
    actor = access.actor
    kind, where, args = _worklist(actor, org)
    count_args = list(args)
    if cursor:
        key, last_id = _decode(cursor, "queue")
        args += [datetime.fromisoformat(key), last_id]
        page_where = f"{where} AND ({NEXT_DUE}, id) > (${len(args) - 1}, ${len(args)})"
    else:
        page_where = where
    rows = await services.pool.fetch(
        f"SELECT * FROM petitions WHERE {page_where} ORDER BY {NEXT_DUE}, id LIMIT {limit + 1}", *args)
    open_count = await services.pool.fetchval(f"SELECT count(*) FROM petitions WHERE {where}", *count_args)
    page, more = rows[:limit], len(rows) > limit
    now = datetime.now(UTC)
    petitions = await petitions_out([dict(r) for r in page], access, ReadKind.QUEUE)

    def left(at: datetime | None) -> float | None:
        return (at - now).total_seconds() if at else None

    items = [
        QueueItem(
            kind="decision" if kind == "work_order" and r["unit_code"] != actor.unit_code else kind,
            petition=petition,
            seconds_to_accept=left(r["accept_due"]), seconds_to_resolve=left(r["resolve_due"]),
            seconds_to_redispatch=left(r["redispatch_due"]), seconds_to_visit=left(r["visit_due"]),
            seconds_to_next=left(r["next_due"]), visit_attempts=r["visit_attempts"],
            delivery_pending_since=r["delivery_pending_since"],
        )
        for r, petition in zip(page, petitions, strict=True)
    ]
    last = page[-1] if more else None
    next_cursor = _encode("queue", (last["next_due"] or NEVER).isoformat(), last["id"]) if last else None
    return Queue(unit_code=actor.unit_code, kind=kind, open_count=open_count, items=items, next_cursor=next_cursor)


def _worklist(actor: Actor, org: OrgTree) -> tuple[str, str, list[Any]]:
    """(kind of worklist, SQL condition, its arguments) for the caller."""
    if actor.role is Role.DISPATCHER:  # what it may re-route: returned by a unit inside its reach
        reach, scope = dispatch_targets(actor, org), scope_units(actor, org)
        if reach is None or scope is None:
            return "redispatch", "status = 'returned'", []
        # and inside what it may see: a property company serves communities of several streets
        return "redispatch", ("status = 'returned' AND unit_code = ANY($1::text[]) "
                              "AND handled_units && $2::text[]"), [sorted(reach), scope]
    if actor.role is Role.RETURN_VISITOR:
        scope = scope_units(actor, org)
        if scope is None:
            return "return_visit", "status = 'resolved'", []
        return "return_visit", "status = 'resolved' AND grid_code = ANY($1::text[])", [scope]
    # the unit's own work orders, and requests of the unit below that wait for its decision
    return "work_order", ("(unit_code = $1 AND status IN ('dispatched', 'accepted', 'paused') "
                          "OR overseer_code = $1 AND pending_decision IS NOT NULL)"), [actor.unit_code]


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
