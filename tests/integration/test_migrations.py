"""Migrations that add read-model columns backfill existing rows so that they equal a rebuild."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import asyncpg
import pytest

from config.reference_data import load_scoring, work_calendar
from domain import commands as cmd
from domain.enums import Status, VisitOutcome
from domain.evaluation import Scorecard, scorecard
from domain.events import PETITION_EVENT_TYPES, event_data, event_from
from domain.timeline import Timeline
from domain.workcalendar import CHINA
from eventstore import evaluation_projection
from eventstore.audit import verify as audit_verify
from eventstore.migrate import migrate
from eventstore.petition_projection import backfill_search_text, fold_stored, petition_row, rebuild, verify
from eventstore.pool import create_pool
from eventstore.store import EventStore, NewEvent
from org.repository import save_org
from tests.integration.helpers import VISITOR, report, staff

HISTORIES = Path(__file__).parent.parent / "histories"
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


# issue 16 §6: the event store's schema migrated with data in it. The oldest recorded histories were written by
# the code of the first integration tests, when migrations 001–003 were all there was.
FIRST_MIGRATIONS = ("001_event_log.sql", "002_petition_read_model.sql", "003_org_and_inbox.sql")
OLDEST = ("closed-happy-path.json", "running-escalated-by-deadlines.json")


def _appended(history: Path) -> list[dict]:
    """The events a recorded history's workflow appended, as its code wrote them (the append activity's input)."""
    found = []
    for event in json.loads(history.read_text())["events"]:
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if scheduled and scheduled["activityType"]["name"] == "append_events":
            found += json.loads(base64.b64decode(scheduled["input"]["payloads"][0]["data"]))["events"]
    return found


def _stream_of(events: list[dict]) -> str:
    return events[0]["data"]["petition_id"]


@pytest.fixture
async def first_schema(postgres):
    """A database at the schema of the first migrations only, and a pool on it."""
    name = f"old_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres.url("postgres"))
    await admin.execute(f"CREATE DATABASE {name}")
    pool = await create_pool(postgres.url(name), max_size=4)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE schema_migrations "
                               "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            for file in FIRST_MIGRATIONS:
                await conn.execute(resources.files("eventstore.migrations").joinpath(file).read_text("utf-8"))
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", file)
        yield pool
    finally:
        await pool.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def test_events_written_under_the_first_schema_read_after_every_migration(first_schema, demo_org):
    """Events as the first code wrote them, in the table as migration 001 made it; then every later migration
    runs over them: they still read and fold, the read models rebuild from them, the hash chain of migration
    030 covers them, and the evaluation projection takes the closed one's records."""
    pool = first_schema
    lives = [_appended(HISTORIES / name) for name in OLDEST]
    async with pool.acquire() as conn:
        for events in lives:  # the INSERT of the first store: columns of 001, no hash, no read-model extras
            for version, event in enumerate(events, 1):
                await conn.execute(
                    "INSERT INTO events (stream_id, version, event_id, type, data, metadata, occurred_at) "
                    "VALUES ($1, $2, $3, $4, $5, '{}', $6)", _stream_of(events), version, event["event_id"],
                    event["type"], event["data"], datetime.fromisoformat(event["occurred_at"]))
        applied = await migrate(conn)
        assert applied[0] == "004_idempotency_and_search.sql" and "030_tamper_evident_log.sql" in applied
        await save_org(conn, demo_org)
        closed, running = [fold_stored(_stream_of(e), await EventStore(pool).read_stream(_stream_of(e)))
                           for e in lives]
        assert closed.status is Status.CLOSED and running.open and running.version == len(lives[1])
        assert [e.type for e in await EventStore(pool).read_stream(closed.id)] == [e["type"] for e in lives[0]]
        await rebuild(conn)
        assert await verify(conn) == []
        report_ = await audit_verify(conn)
        assert report_.intact, report_.findings
        await evaluation_projection.catch_up(conn)
        facts = await conn.fetch("SELECT unit_code FROM evaluation_facts WHERE petition_id = $1", closed.id)
        assert [f["unit_code"] for f in facts] == ["rc-yuehe-taibai-g1"]


def test_every_petition_event_reads_its_oldest_recorded_shape():
    """Petition events only ever grew optional fields (docs/upgrades.md): every event any recorded history
    appended decodes with today's models and loses none of its fields; the types no history holds yet are
    named, so that recording one is a conscious step."""
    oldest: dict[str, dict] = {}
    for history in sorted(HISTORIES.glob("*.json"), key=lambda p: p.stat().st_size):
        for event in _appended(history):
            oldest.setdefault(event["type"], event["data"])
    for event_type, data in oldest.items():
        read = event_data(event_from(event_type, data))
        assert _lost(data, read) == [], event_type
    assert set(PETITION_EVENT_TYPES) - set(oldest) == NOT_RECORDED_YET


NOT_RECORDED_YET = {"ClockPaused", "ClockResumed", "CompanyCallbackRecorded", "ExtensionRequestLapsed",
                    "FollowUpReported", "IntakeTriaged", "PauseDenied", "ProgressNoted", "ReturnAllowed"}


def _lost(old: object, new: object, path: str = "") -> list[str]:
    """The keys of `old` (nested) that `new` does not have."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return []
    return [lost for key in old
            for lost in ([path + key] if key not in new else _lost(old[key], new[key], f"{path}{key}."))]


def test_a_scorecard_frozen_before_exclusions_reads_in_todays_shape():
    """The one shape that changed (issue 11): cards published before exclusions counted `petitions` where
    today's count `rated`, `response_due` and `excluded`; the model upcasts them as they are read."""
    card = scorecard({"unit_code": "rc-yuehe-taibai-g1", "level": "grid"}, [], load_scoring()).model_dump(mode="json")
    for field in ("rated", "response_due", "excluded"):
        del card[field]
    read = Scorecard.model_validate({**card, "petitions": 4, "received": 5})
    assert (read.rated, read.response_due, read.excluded) == (4, 5, 0)
