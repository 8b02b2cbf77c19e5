"""Finding petitions: filtered, cursor-paginated lists and each unit's own queue."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api import cursors
from api.access import ReadAccessDep
from api.deps import OrgDep, ServicesDep
from api.downloads import EXPORTS, Format, download
from api.errors import PROBLEM_RESPONSES, ApiError
from api.petition_views import petitions_out
from api.schemas import PetitionOut, UtcTime
from api.scope import SEES_PERSONAL_DATA, scope_units
from api.unit_scope import dispatch_targets
from domain.enums import (
    Channel,
    CloseOutcome,
    Level,
    ReadKind,
    RequestType,
    Role,
    Status,
    SurveyState,
    TriageOutcome,
    Urgency,
)
from domain.model import Actor
from domain.workcalendar import CHINA
from evaluation.exports import PETITION_COLUMNS
from eventstore import petition_queries
from eventstore.petition_queries import PetitionQuery, WorklistQuery
from org.model import OrgTree

router = APIRouter(prefix="/v1", tags=["petitions"])


WorklistKind = Literal["work_order", "redispatch", "return_visit"]
ItemKind = Literal["work_order", "decision", "redispatch", "return_visit"]


class SortOrder(StrEnum):
    """How a petition list is ordered: newest report first, or nearest deadline first."""

    NEWEST = "newest"
    DEADLINE = "deadline"


class PetitionPage(BaseModel):
    """A page of petitions and the cursor of the next (None: the last page)."""

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
    seconds_waiting_for_delivery: float | None = Field(
        description="A department's work order no one of the department has picked up yet (no system took it, "
                    "no staff opened it): seconds it has waited; null once delivered")
    survey_state: SurveyState | None = Field(None, description=(
        "A return visit's SMS survey (短信回访): why the visit is the return visitors' — unanswered (its window "
        "passed), unclear (see survey_reply), not_sent (refused by the gateway, given up, or the resident opted "
        "out), none (no survey under the petition's rules); null for other kinds"))
    survey_state_label: str | None = None
    survey_due: UtcTime | None = None
    survey_reply: str | None = Field(None, description="the resident's unclear reply, as sent")
    survey_replied_at: UtcTime | None = None


class Queue(BaseModel):
    """A worklist page: whose it is (`unit_code`), which kind, how many items are open in all, this page's items and
    the next cursor."""

    unit_code: str
    kind: WorklistKind = Field(description="work_order (handling units), redispatch (dispatchers), "
                                           "return_visit (return visitors)")
    open_count: int
    surveys_waiting: int | None = Field(None, description=(
        "return_visit: resolved petitions of the caller's part of the tree not on the worklist because their SMS "
        "survey still waits for the resident's answer inside its window (短信回访中); null for other kinds"))
    items: list[QueueItem]
    next_cursor: str | None


Q_HELP = ("Text in the description or address, or a petition id; for the roles that see personal data also "
          "the reporter's name, or their phone's digits (spaces and dashes ignored; the last 4 or more)")


EXPORT_LIMIT = 5000  # petitions in one CSV/XLSX export


@router.get("/petitions", response_model=PetitionPage, responses={**PROBLEM_RESPONSES(401, 422), **EXPORTS})
async def list_petitions(
    access: ReadAccessDep, services: ServicesDep, org: OrgDep,
    status: Status | None = None, level: Level | None = None,
    unit: Annotated[str | None, Query(description="Held now by this unit or any unit below it")] = None,
    category: str | None = None, channel: Channel | None = None, urgency: Urgency | None = None,
    overdue: bool | None = None,
    on_the_spot: Annotated[bool | None, Query(description="Resolved on the spot (就地解决) by the reporting grid "
                                                           "worker, or not")] = None,
    close_outcome: Annotated[CloseOutcome | None, Query(description="How it closed, e.g. closed_not_resolved "
                                                                    "(未解决办结: still dissatisfied at the reopen "
                                                                    "limit)")] = None,
    mine: Annotated[bool, Query(description="Only petitions the caller reported (我的上报)")] = False,
    request_type: Annotated[RequestType | None, Query(description="咨询/求助/投诉/举报/建议")] = None,
    triage: Annotated[TriageOutcome | None, Query(description="Triaged at intake (answered, emergency_handover, "
                                                               "legal_channel, outside_duties)")] = None,
    visit_team: Annotated[str | None, Query(max_length=64, description="Collected by this visit team on a visit "
                                                                        "day (民意\"5\"来听)")] = None,
    compound: Annotated[str | None, Query(max_length=64, description="物业110: about this compound (小区)")] = None,
    created_from: datetime | None = None, created_to: datetime | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description=Q_HELP)] = None,
    sort: SortOrder = SortOrder.NEWEST,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    format: Annotated[Format, Query(description=f"csv or xlsx: the whole list (up to {EXPORT_LIMIT:,} petitions, "
                                                "from `cursor`), masked as the JSON is, for an office's report")
                      ] = Format.JSON,
) -> Any:
    """Petitions the caller may see, newest first or nearest deadline first, one page at a time; or the whole list
    as CSV/XLSX (`format`; each petition shown unmasked leaves an access record of kind `export`)."""
    actor = access.actor
    if unit is not None and unit not in org.units:
        raise ApiError(422, "unknown_unit", f"unknown unit {unit!r}")
    equal = {column: str(value) for column, value in (
        ("status", status), ("level", level), ("category", category), ("channel", channel), ("urgency", urgency),
        ("close_outcome", close_outcome), ("request_type", request_type), ("triage", triage),
        ("visit_team", visit_team), ("compound", compound)) if value is not None}
    query = PetitionQuery(
        reader=actor.id, scope=scope_units(actor, org), mine=mine, equal=equal,
        held_by=sorted(org.subtree(unit)) if unit is not None else None, overdue=overdue, on_the_spot=on_the_spot,
        reported_from=created_from, reported_before=created_to,
        q=q, search_reporter=actor.role in SEES_PERSONAL_DATA,
        sort=sort.value, after=_after(cursor, sort.value), limit=limit if format is Format.JSON else EXPORT_LIMIT,
    )
    rows = await petition_queries.list_petitions(services.pool, query)
    if format is not Format.JSON:
        exported = await petitions_out(rows[:EXPORT_LIMIT], access, ReadKind.EXPORT)
        own, now = org.units.get(actor.unit_code), datetime.now(CHINA)
        heading = f"{own.name if own else '全市'} · 诉求清单 · 导出于 {now:%Y-%m-%d %H:%M} · {len(exported)} 件"
        return download(exported, format, f"诉求清单-{now:%Y%m%d}", "诉求清单", PETITION_COLUMNS, heading=heading)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        key = last["reported_at"] if sort is SortOrder.NEWEST else (last["next_due"] or cursors.NEVER)
        next_cursor = cursors.encode(sort.value, key, last["id"])
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
      by visit deadline, with the attempts so far; a petition whose SMS survey still waits for the resident's
      answer inside its window is not on it (`surveys_waiting` counts them), and each item says why it is
      (`survey_state`)."""
    actor = access.actor
    query = worklist_of(actor, org, _after(cursor, "queue"), limit)
    rows, open_count = await petition_queries.worklist(services.pool, query)
    page, more = rows[:limit], len(rows) > limit
    now = datetime.now(UTC)
    petitions = await petitions_out(page, access, ReadKind.QUEUE)

    def left(at: datetime | None) -> float | None:
        return (at - now).total_seconds() if at else None

    items = [
        QueueItem(
            kind="decision" if query.kind == "work_order" and r["unit_code"] != actor.unit_code else query.kind,
            petition=petition,
            seconds_to_accept=left(r["accept_due"]), seconds_to_resolve=left(r["resolve_due"]),
            seconds_to_redispatch=left(r["redispatch_due"]), seconds_to_visit=left(r["visit_due"]),
            seconds_to_next=left(r["next_due"]), visit_attempts=r["visit_attempts"],
            delivery_pending_since=r["delivery_pending_since"],
            seconds_waiting_for_delivery=(now - r["delivery_pending_since"]).total_seconds()
            if r["delivery_pending_since"] else None,
            **_survey(r),
        )
        for r, petition in zip(page, petitions, strict=True)
    ]
    last = page[-1] if more else None
    next_cursor = cursors.encode("queue", last["next_due"] or cursors.NEVER, last["id"]) if last else None
    waiting = await petition_queries.surveys_waiting(services.pool, query.scope) \
        if query.kind == "return_visit" else None
    return Queue(unit_code=actor.unit_code, kind=query.kind, open_count=open_count, surveys_waiting=waiting,
                 items=items, next_cursor=next_cursor)


def _survey(row: dict) -> dict:
    """The SMS survey's part of a return-visit item (nothing for other kinds)."""
    if row.get("survey_state") is None:
        return {}
    state = SurveyState(row["survey_state"])
    return {"survey_state": state, "survey_state_label": state.label, "survey_due": row["survey_due"],
            "survey_reply": row["survey_reply"] if state is SurveyState.UNCLEAR else None,
            "survey_replied_at": row["survey_replied_at"]}


def worklist_of(actor: Actor, org: OrgTree, after: tuple[datetime, str] | None, limit: int) -> WorklistQuery:
    """The caller's worklist: a dispatcher's returned orders, a return visitor's visits, a unit's work orders."""
    if actor.role is Role.DISPATCHER:  # what it may re-route: returned by a unit inside its reach
        reach, scope = dispatch_targets(actor, org), scope_units(actor, org)
        if reach is None or scope is None:
            return WorklistQuery("redispatch", after=after, limit=limit)
        # and inside what it may see: a property company serves communities of several streets
        return WorklistQuery("redispatch", reach=sorted(reach), scope=scope, after=after, limit=limit)
    if actor.role is Role.RETURN_VISITOR:
        return WorklistQuery("return_visit", scope=scope_units(actor, org), after=after, limit=limit)
    # the unit's own work orders, and requests of the unit below that wait for its decision
    return WorklistQuery("work_order", unit_code=actor.unit_code, after=after, limit=limit)


def _after(cursor: str | None, sort: str) -> tuple[datetime, str] | None:
    """The (key, id) a cursor of `sort` stands after; 422 `invalid_cursor` for any other."""
    if not cursor:
        return None
    try:
        return cursors.decode_sorted(cursor, sort)
    except cursors.InvalidCursor as exc:
        raise ApiError(422, "invalid_cursor", str(exc)) from exc
