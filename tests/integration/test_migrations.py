"""Migrations that add read-model columns backfill existing rows so that they equal a rebuild."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from importlib import resources

from config.reference_data import work_calendar
from domain import commands as cmd
from domain.enums import VisitOutcome
from domain.events import event_data
from domain.timeline import Timeline
from domain.workcalendar import CHINA
from eventstore.petition_projection import backfill_search_text, petition_row, verify
from eventstore.store import EventStore, NewEvent
from tests.integration.helpers import VISITOR, report, staff

MONDAY = datetime(2026, 11, 23, 9, tzinfo=CHINA)


def _backfill_statement() -> str:
    sql = resources.files("eventstore.migrations").joinpath("009_worklists.sql").read_text(encoding="utf-8")
    return re.search(r"UPDATE petitions p SET.*?;", sql, re.S).group(0)


def _old_life(org, steps: str) -> Timeline:
    """A petition as code before migration 009 recorded it: no desk, no re-dispatch rule, no delivery receipts."""
    r = report(org)
    r = r.model_copy(update={"petition_id": f"OLD-{uuid.uuid4().hex[:10]}", "desk_code": "", "tracks_delivery": False,
                             "rules": r.rules.model_copy(update={"redispatch": None, "visit_retry_after": None,
                                                                 "extension_decision": None})})
    life = Timeline(r.petition_id, MONDAY, work_calendar())
    life.send(r)
    grid = staff(org, r.grid_code)
    for step in steps.split():
        life.later(timedelta(hours=1))
        if step == "accept":
            life.send(cmd.Accept(actor=grid))
        elif step == "return":
            life.send(cmd.Return(actor=grid, reason="职能不符"))
        elif step == "resolve":
            life.send(cmd.Resolve(actor=grid, result="已处理"))
        elif step == "unreachable":
            life.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
        elif step == "extend":
            life.send(cmd.RequestExtension(actor=grid, duration={"whole_working_days": 1}, reason="协调"))
        elif step == "pause":
            life.send(cmd.Pause(actor=grid, reason="等待群众"))
        elif step == "dissatisfied":
            life.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED))
    return life


async def test_migration_009_backfills_rows_of_petitions_recorded_before_it(pool, org):
    store = EventStore(pool)
    lives = [_old_life(org, steps) for steps in (
        "", "accept", "return", "accept resolve", "accept resolve unreachable",
        "accept resolve unreachable dissatisfied accept resolve", "accept resolve unreachable unreachable unreachable",
        "accept extend", "pause", "accept extend pause", "accept extend return",
    )]
    for life in lives:
        events = [NewEvent(event_id=str(uuid.uuid4()), type=e.type, data=event_data(e), occurred_at=e.at)
                  for e in life.events]
        await store.append(life.state.id, 0, events, petition_row(life.state, life.events[-1].at.isoformat()))
    ids = [life.state.id for life in lives]
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:  # rolled back: the shared database stays as the other tests expect it
            # what ALTER TABLE ... ADD COLUMN left in these rows, then the migration's backfill
            await conn.execute("UPDATE petitions SET reported_by = '', desk_code = '', redispatch_due = NULL, "
                               "next_due = NULL, visit_attempts = 0, delivery_pending_since = NULL, "
                               "pending_decision = NULL, search_text = NULL "
                               "WHERE id = ANY($1::text[])", ids)
            await conn.execute(_backfill_statement().rstrip(";") + " WHERE p.id = ANY($1::text[])", ids)
            assert await backfill_search_text(conn) >= len(ids)  # migration 010's Python backfill
            filled = {r["id"]: r for r in await conn.fetch(
                "SELECT id, reported_by, visit_attempts, next_due, pending_decision FROM petitions "
                "WHERE id = ANY($1::text[])", ids)}
            assert filled[ids[4]]["visit_attempts"] == 1 and filled[ids[6]]["visit_attempts"] == 3
            assert all(r["reported_by"] for r in filled.values()) and filled[ids[0]]["next_due"] is not None
            assert [filled[i]["pending_decision"] for i in ids[7:]] == ["extension", "pause", "extension", None]
            differing = set(await verify(conn)) & set(ids)
            assert not differing, differing
        finally:
            await transaction.rollback()
