"""Reads of the petitions read model (table `petitions`): one petition, filtered listings, worklists,
duplicates, and what Open311 publishes. Every SQL statement on the read model's rows for a reader lives
here (the `q` search condition in `petition_search.py`); routes and services call these functions.

It may not decide who may see what: callers pass the scope (unit codes, None: all) their rules computed,
and mask what they show. Rows come back as dicts of the table's columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from eventstore.petition_search import search_condition

NARROW_SCOPE = 4  # a grid, a department, a property company, a small community: list via their own rows
NEXT_DUE = "coalesce(next_due, 'infinity'::timestamptz)"  # as indexed (migration 009)


class _Args:
    """Positional parameters of one statement: `arg(value)` binds `value` and returns its `$n`."""

    def __init__(self, *values: Any) -> None:
        self.values: list[Any] = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


async def find_petition(pool: asyncpg.Pool, petition_id: str) -> dict[str, Any] | None:
    """The row of `petition_id`, or None if there is none (nobody's scope is checked)."""
    row = await pool.fetchrow("SELECT * FROM petitions WHERE id = $1", petition_id)
    return dict(row) if row is not None else None


async def undelivered_by_unit(conn: asyncpg.Connection) -> dict[str, tuple[int, float]]:
    """Per holding unit, its open work orders waiting for their hand-over: (how many, seconds the oldest
    has waited by the database's clock)."""
    rows = await conn.fetch(
        "SELECT unit_code, count(*) AS n, extract(epoch FROM now() - min(delivery_pending_since)) AS waited "
        "FROM petitions WHERE delivery_pending_since IS NOT NULL AND status <> 'closed' GROUP BY unit_code")
    return {r["unit_code"]: (r["n"], float(r["waited"])) for r in rows}


async def is_confidential(pool: asyncpg.Pool, petition_id: str) -> bool:
    """Whether the petition is confidential (工单保密); False for an id the read model does not hold."""
    return bool(await pool.fetchval("SELECT confidential FROM petitions WHERE id = $1", petition_id))


async def work_order_waits(pool: asyncpg.Pool, petition_id: str, unit_code: str) -> bool:
    """Whether `unit_code` still holds the petition's work order and has neither taken it up nor let it go:
    it is dispatched (or paused) there, not accepted, returned, re-dispatched elsewhere or closed. True for
    an id the read model does not hold yet (the delivery goes ahead)."""
    row = await pool.fetchrow("SELECT unit_code, status FROM petitions WHERE id = $1", petition_id)
    return row is None or (row["unit_code"] == unit_code and row["status"] in ("dispatched", "paused"))


async def duplicates_of(pool: asyncpg.Pool, petition_id: str, scope: list[str] | None, reader: str) -> list[str]:
    """Ids of the petitions closed as duplicates of `petition_id` (migration 013) that the reader may see:
    handled inside `scope` (None: everywhere) or reported by `reader` (the actor's subject)."""
    rows = await pool.fetch(
        "SELECT id FROM petitions WHERE duplicate_of = $1 "
        "AND ($2::text[] IS NULL OR handled_units && $2::text[] OR reported_by = $3) ORDER BY closed_at, id",
        petition_id, scope, reader)
    return [r["id"] for r in rows]


@dataclass(frozen=True)
class PetitionQuery:
    """A listing: the filters are ANDed, each None (or False) leaves its column free.

    `scope`/`reader`: petitions handled inside these units or reported by `reader` (scope None: all);
    `mine`: only those `reader` reported. `held_by`: held now by one of these units. `q`: text, an id,
    and with `search_reporter` the reporter's name or phone digits. `sort`: newest first, or nearest
    next deadline first (none running: last). `after`: the sort key and id of the last row already seen.
    """

    reader: str
    scope: list[str] | None = None
    mine: bool = False
    # status, level, category, channel, urgency, close_outcome, request_type, triage, visit_team, compound
    equal: dict[str, str] = field(default_factory=dict)
    held_by: list[str] | None = None
    overdue: bool | None = None
    on_the_spot: bool | None = None  # resolved on the spot (就地解决) now, or not
    reported_from: datetime | None = None
    reported_before: datetime | None = None
    q: str | None = None
    search_reporter: bool = False
    sort: Literal["newest", "deadline"] = "newest"
    after: tuple[datetime, str] | None = None
    limit: int = 50


_LISTED_COLUMNS = {"status", "level", "category", "channel", "urgency", "close_outcome", "request_type", "triage",
                   "visit_team", "compound"}  # issue 14 §4 visit days, §3 物业110


async def list_petitions(pool: asyncpg.Pool, query: PetitionQuery) -> list[dict[str, Any]]:
    """Rows matching `query` in its order, at most `limit + 1` (the extra one says a next page exists)."""
    where, arg = ["TRUE"], _Args()
    if query.mine:
        where.append(f"reported_by = {arg(query.reader)}")
    elif query.scope is not None:  # handled inside the caller's subtree, or reported by the caller
        where.append(f"(handled_units && {arg(query.scope)}::text[] OR reported_by = {arg(query.reader)})")
    for column, value in query.equal.items():
        if column not in _LISTED_COLUMNS:
            raise ValueError(f"{column} is not a listing filter")
        where.append(f"{column} = {arg(value)}")
    if query.held_by is not None:
        where.append(f"unit_code = ANY({arg(query.held_by)}::text[])")
    if query.overdue is not None:
        where.append("deadline_state = 'overdue'" if query.overdue else "deadline_state <> 'overdue'")
    if query.on_the_spot is not None:
        where.append("on_the_spot" if query.on_the_spot else "NOT on_the_spot")
    if query.reported_from is not None:
        where.append(f"reported_at >= {arg(query.reported_from)}")
    if query.reported_before is not None:
        where.append(f"reported_at < {arg(query.reported_before)}")
    if query.q is not None:
        where.append(search_condition(query.q, arg, by_reporter=query.search_reporter))
    if query.sort == "newest":
        order = "reported_at DESC, id DESC"
        if query.after is not None:
            where.append(f"(reported_at, id) < ({arg(query.after[0])}, {arg(query.after[1])})")
    else:  # the next deadline of any kind; petitions with no running clock come last, never dropped
        order = f"{NEXT_DUE} ASC, id ASC"
        if query.after is not None:
            where.append(f"({NEXT_DUE}, id) > ({arg(query.after[0])}, {arg(query.after[1])})")
    matching = f"SELECT * FROM petitions WHERE {' AND '.join(where)}"
    if query.scope is not None and len(query.scope) <= NARROW_SCOPE:
        # A grid's or a department's petitions are few: fetch them through the GIN index and sort,
        # rather than let the planner walk the whole date index looking for a rare filter's rows.
        matching = f"WITH candidates AS MATERIALIZED ({matching}) SELECT * FROM candidates"
    rows = await pool.fetch(f"{matching} ORDER BY {order} LIMIT {arg(query.limit + 1)}", *arg.values)
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class WorklistQuery:
    """A worklist (待办), nearest next deadline first; `after` is the (next deadline, id) of the last item
    already seen (`datetime.max` for none running).

    - `work_order`: `unit_code`'s open work orders (dispatched, accepted, paused), and the requests of the
      unit below that wait for `unit_code`'s decision;
    - `redispatch`: returned orders held by a unit of `reach` and handled inside `scope` (both None: all);
    - `return_visit`: resolved petitions of the grids of `scope` (None: all) waiting for a visit by a person:
      not while the SMS survey of the current resolution is waiting for its answer inside its window
      (`SURVEY_STATE` says why each is there: `survey_state`, with the reply in `survey_reply`)."""

    kind: Literal["work_order", "redispatch", "return_visit"]
    unit_code: str = ""
    reach: list[str] | None = None
    scope: list[str] | None = None
    after: tuple[datetime, str] | None = None
    limit: int = 50


# The SMS survey of a petition's current resolution (`surveys.round` = the petition's reopens) and where it
# stands (domain.enums.SurveyState), computed when read: a window that passed needs no timer.
_SURVEY_JOIN = """LEFT JOIN LATERAL (
    SELECT s.reply_state, s.reply_text AS survey_reply, s.replied_at AS survey_replied_at,
           n.status AS survey_sent_status, n.sent_at AS survey_sent_at
    FROM surveys s JOIN notifications n USING (delivery_id)
    WHERE s.petition_id = petitions.id AND s.round = petitions.reopens
    ORDER BY s.created_at DESC LIMIT 1) survey ON true"""
SURVEY_STATE = """CASE WHEN petitions.survey_due IS NULL THEN 'none'
    WHEN survey.survey_sent_status IS NULL THEN 'not_sent'
    WHEN survey.reply_state IS NOT NULL THEN survey.reply_state
    WHEN survey.survey_sent_status = 'failed' THEN 'not_sent'
    WHEN petitions.survey_due > now() THEN 'pending'
    ELSE 'unanswered' END"""


async def worklist(pool: asyncpg.Pool, query: WorklistQuery) -> tuple[list[dict[str, Any]], int]:
    """(at most `limit + 1` rows after `after`, the number of items on the whole worklist)."""
    arg = _Args()
    source, columns = "petitions", "petitions.*"
    if query.kind == "redispatch":
        where = "status = 'returned'"
        if query.reach is not None and query.scope is not None:
            # and inside what it may see: a property company serves communities of several streets
            where += f" AND unit_code = ANY({arg(query.reach)}::text[]) AND handled_units && {arg(query.scope)}::text[]"
    elif query.kind == "return_visit":
        source = f"petitions {_SURVEY_JOIN}"
        columns = (f"petitions.*, ({SURVEY_STATE}) AS survey_state, survey.survey_reply, survey.survey_replied_at, "
                   "survey.survey_sent_at")
        where = f"status = 'resolved' AND ({SURVEY_STATE}) <> 'pending'"
        if query.scope is not None:
            where += f" AND grid_code = ANY({arg(query.scope)}::text[])"
    else:
        unit = arg(query.unit_code)
        where = (f"(unit_code = {unit} AND status IN ('dispatched', 'accepted', 'paused') "
                 f"OR overseer_code = {unit} AND pending_decision IS NOT NULL)")
    count = await pool.fetchval(f"SELECT count(*) FROM {source} WHERE {where}", *arg.values)
    page_where = where
    if query.after is not None:
        page_where += f" AND ({NEXT_DUE}, id) > ({arg(query.after[0])}, {arg(query.after[1])})"
    rows = await pool.fetch(
        f"SELECT {columns} FROM {source} WHERE {page_where} ORDER BY {NEXT_DUE}, id LIMIT {arg(query.limit + 1)}",
        *arg.values)
    return [dict(r) for r in rows], count


async def surveys_waiting(pool: asyncpg.Pool, scope: list[str] | None) -> int:
    """How many resolved petitions of grids in `scope` (None: all) are off the return visitors' worklist because
    their SMS survey still waits for the resident's answer inside its window (`SURVEY_STATE` 'pending';
    docs/notifications.md)."""
    arg = _Args()
    where = f"status = 'resolved' AND ({SURVEY_STATE}) = 'pending'"
    if scope is not None:
        where += f" AND grid_code = ANY({arg(scope)}::text[])"
    return int(await pool.fetchval(f"SELECT count(*) FROM petitions {_SURVEY_JOIN} WHERE {where}", *arg.values))


@dataclass(frozen=True)
class PublishedQuery:
    """What an Open311 reader asks for, among the petitions it may read: never a confidential one, and only
    those of `categories` (None: every category). `ids` (if any) replaces the time window."""

    categories: list[str] | None
    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    open: bool | None = None  # True: not closed; False: closed; None: both
    limit: int = 1000


def _published(categories: list[str] | None, arg: _Args) -> list[str]:
    where = ["NOT confidential"]  # 工单保密: never leaves through Open311
    if categories is not None:
        where.append(f"category = ANY({arg(categories)}::text[])")
    return where


async def published_requests(pool: asyncpg.Pool, query: PublishedQuery) -> list[dict[str, Any]]:
    """Rows matching `query`, newest first, at most `limit` (counted after the publication filter)."""
    arg = _Args()
    where = _published(query.categories, arg)
    if query.ids:
        where.append(f"id = ANY({arg(query.ids)}::text[])")
    else:
        if query.reported_from is not None:
            where.append(f"reported_at >= {arg(query.reported_from)}")
        if query.reported_to is not None:
            where.append(f"reported_at <= {arg(query.reported_to)}")
    if query.service_codes:
        where.append(f"category = ANY({arg(query.service_codes)}::text[])")
    if query.open is not None:
        where.append("status <> 'closed'" if query.open else "status = 'closed'")
    rows = await pool.fetch(
        f"SELECT * FROM petitions WHERE {' AND '.join(where)} ORDER BY reported_at DESC LIMIT {arg(query.limit)}",
        *arg.values)
    return [dict(r) for r in rows]


async def published_request(pool: asyncpg.Pool, petition_id: str, categories: list[str] | None
                            ) -> dict[str, Any] | None:
    """The row of `petition_id` if it is published to a reader of `categories` (None: all), else None."""
    arg = _Args(petition_id)
    where = " AND ".join(["id = $1", *_published(categories, arg)])
    row = await pool.fetchrow(f"SELECT * FROM petitions WHERE {where}", *arg.values)
    return dict(row) if row is not None else None


_OPEN_IDS = """
SELECT id FROM petitions
WHERE status <> 'closed' AND id > $1 AND ($3::timestamptz IS NULL OR reported_at >= $3)
ORDER BY id LIMIT $2
"""


async def open_petition_ids(pool: asyncpg.Pool, after: str, limit: int,
                            reported_since: datetime | None = None) -> list[str]:
    """Up to `limit` ids of petitions not closed, after `after` in id order (a calendar re-plan's page);
    with `reported_since`, only those reported at or after it."""
    async with pool.acquire() as conn:
        return [r["id"] for r in await conn.fetch(_OPEN_IDS, after, limit, reported_since)]


async def open_by_level_and_card(conn: asyncpg.Connection) -> dict[tuple[str, str], int]:
    """Open petitions counted by (ladder level of the holder, or "none"; yellow/red card state)."""
    rows = await conn.fetch("SELECT level, deadline_state, count(*) AS n FROM petitions "
                            "WHERE status <> 'closed' GROUP BY 1, 2")
    return {(r["level"] or "none", r["deadline_state"]): r["n"] for r in rows}


async def reported_by_channel(conn: asyncpg.Connection, months: Sequence[date], scope: list[str] | None
                              ) -> dict[str, int]:
    """Petitions reported in `months` (their first days; Beijing time) per channel code: those handled inside
    `scope` or reported in one of its grids (None: every petition), whatever their state now."""
    rows = await conn.fetch(
        "SELECT channel, count(*) AS n FROM petitions "
        "WHERE date_trunc('month', reported_at AT TIME ZONE 'Asia/Shanghai')::date = ANY($1::date[]) "
        "AND ($2::text[] IS NULL OR handled_units && $2::text[] OR grid_code = ANY($2::text[])) GROUP BY channel",
        list(months), scope)
    return {r["channel"]: r["n"] for r in rows}


async def reported_today(conn: asyncpg.Connection) -> int:
    """Petitions reported since 00:00 today, Beijing time."""
    return await conn.fetchval(
        "SELECT count(*) FROM petitions WHERE reported_at >= "
        "(date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai')")


async def open_overview(pool: asyncpg.Pool, scope: list[str] | None) -> list[dict[str, Any]]:
    """Open petitions handled inside `scope` (None: all) counted by (holder's level or None, grid, card state),
    for the supervisor's dashboard (issue 15 §7)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT level, grid_code, deadline_state, count(*) AS n FROM petitions WHERE status <> 'closed' "
            "AND ($1::text[] IS NULL OR handled_units && $1::text[]) GROUP BY 1, 2, 3", scope)
    return [dict(r) for r in rows]


async def reported_and_closed_since(pool: asyncpg.Pool, scope: list[str] | None) -> dict[str, int]:
    """Petitions handled inside `scope` (None: all) reported today and this month, and closed this month (Beijing
    time): keys reported_today, reported_this_month, closed_this_month."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "WITH t AS (SELECT date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AS d, "
            "date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') AS m) "
            "SELECT count(*) FILTER (WHERE reported_at AT TIME ZONE 'Asia/Shanghai' >= t.d) AS reported_today, "
            "count(*) FILTER (WHERE reported_at AT TIME ZONE 'Asia/Shanghai' >= t.m) AS reported_this_month, "
            "count(*) FILTER (WHERE closed_at AT TIME ZONE 'Asia/Shanghai' >= t.m) AS closed_this_month "
            "FROM petitions, t WHERE ($1::text[] IS NULL OR handled_units && $1::text[])", scope)
    return dict(row)


# --- issue 14 §3: 物业110 --------------------------------------------------------------------------------------


async def property_hotline_orders(conn: asyncpg.Connection, start: datetime, end: datetime,
                                  companies: list[str] | None) -> list[dict[str, Any]]:
    """物业110 petitions (channel `property_hotline`) reported in [`start`, `end`) and handled by one of
    `companies` (None: any): id, compound, handled_units, status, close_outcome, company_callback (the last
    callback's outcome, None: none), reported_at, oldest first."""
    rows = await conn.fetch(
        "SELECT id, compound, handled_units, status, close_outcome, company_callback, reported_at FROM petitions "
        "WHERE channel = 'property_hotline' AND reported_at >= $1 AND reported_at < $2 "
        "AND ($3::text[] IS NULL OR handled_units && $3::text[]) ORDER BY reported_at, id", start, end, companies)
    return [dict(r) for r in rows]


async def visit_petitions(pool: asyncpg.Pool, team_code: str, since: datetime) -> list[dict[str, Any]]:
    """Petitions visit team `team_code` collected (民意"5"来听), reported at or after `since` (aware): their `id`,
    `grid_code`, `category`, `on_the_spot` and `reported_at`, oldest first. Nobody's scope is checked."""
    rows = await pool.fetch(
        "SELECT id, grid_code, category, on_the_spot, reported_at FROM petitions WHERE visit_team = $1 "
        "AND reported_at >= $2 ORDER BY reported_at, id", team_code, since)
    return [dict(r) for r in rows]


# --- issue 14 §5: duplicates and bursts ---------------------------------------------------------------------

ALIKE_ROWS = 200  # open petitions of one category and place the duplicate rule reads at most (newest first)


async def open_alike(pool: asyncpg.Pool, category: str, since: datetime, grid_code: str,
                     box: tuple[float, float, float, float] | None, exclude_id: str) -> list[dict[str, Any]]:
    """Open petitions of `category` reported at or after `since` (aware), in `grid_code` or with a point inside
    `box` (lat_min, lat_max, lon_min, lon_max; None: the grid only), other than `exclude_id`: the rows the
    duplicate rule (`domain/duplicates.py`) ranks, newest first, at most `ALIKE_ROWS`. Nobody's scope is checked."""
    args = _Args(category, since, grid_code, exclude_id)
    near = ""
    if box is not None:
        near = (f" OR (latitude BETWEEN {args(box[0])} AND {args(box[1])} "
                f"AND longitude BETWEEN {args(box[2])} AND {args(box[3])})")
    rows = await pool.fetch(
        "SELECT * FROM petitions WHERE status <> 'closed' AND category = $1 AND reported_at >= $2 AND id <> $4 "
        f"AND (grid_code = $3{near}) ORDER BY reported_at DESC LIMIT {ALIKE_ROWS}", *args.values)
    return [dict(r) for r in rows]


async def running_bursts(pool: asyncpg.Pool, category: str, now: datetime) -> list[dict[str, Any]]:
    """Open petitions of `category` with a burst declared that has not ended at `now` (aware), oldest burst
    first (their `burst` column: the rule's JSON). Nobody's scope is checked."""
    rows = await pool.fetch(
        "SELECT * FROM petitions WHERE category = $1 AND burst_ends_at >= $2 AND status <> 'closed' "
        "ORDER BY reported_at, id", category, now)
    return [dict(r) for r in rows]
