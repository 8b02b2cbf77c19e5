"""民意"5"来听 visit days (issue 14 §4) on the real stack: the Schedule's daily run opens every team's round on the
5th (time skipping to the day and to its end), a holiday's round moves to the next working day, the team records
matters as visit petitions, the round closes with its tally, and the figures per team come out as JSON, CSV, XLSX."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from config.reference_data import work_calendar
from domain.visit_days import scheduled_dates_held_on
from domain.workcalendar import CHINA
from eventstore.visit_rounds import rebuild_visit_rounds
from stack.workers import ensure_visit_days
from tests.integration.api_client import REPORT, Caller
from workflows.visit_days import SCHEDULE_ID, VisitDayInput, VisitDayWorkflow

CADRE = ("department_staff", "rencheng-housing", "rc-zjj-liuhong")  # 刘红 of team vt-rc-yuehe
OTHER_TEAM = ("department_staff", "rencheng-finance", "rc-czj-sunli")  # 孙丽 of team vt-rc-jiyang
SPOT = {"on_the_spot": True, "result": "当场协调物业清理", "evidence_urls": ["https://img.example.cn/visit.jpg"]}


def cadre(http, who=CADRE) -> Caller:
    role, unit, subject = who
    return Caller(http, role, unit, subject)


async def _round(pool, rid: str, timeout: float = 30) -> dict:
    for _ in range(int(timeout / 0.1)):
        row = await pool.fetchrow("SELECT * FROM visit_rounds WHERE round_id = $1", rid)
        if row is not None:
            return dict(row)
        await asyncio.sleep(0.1)
    raise AssertionError(f"round {rid} was not opened")


async def _start(temporal_env, task_queue: str, day: date):
    return await temporal_env.client.start_workflow(VisitDayWorkflow.run, VisitDayInput(day=day),
                                                    id=f"visit-day-{day}-{uuid.uuid4()}", task_queue=task_queue)


async def test_the_schedule_runs_every_morning_in_china_time_and_opens_rounds_only_on_visit_days(
        temporal_env, running, task_queue, pool, org):
    client = temporal_env.client
    await ensure_visit_days(client, task_queue)
    await ensure_visit_days(client, task_queue)  # idempotent: a restarted worker updates it
    description = await client.get_schedule_handle(SCHEDULE_ID).describe()
    spec = description.schedule.spec
    assert spec.time_zone_name == "Asia/Shanghai"
    assert (spec.calendars[0].hour[0].start, spec.calendars[0].minute[0].start) == (8, 30)
    await client.get_schedule_handle(SCHEDULE_ID).trigger()  # what every morning does, with the server's clock
    for _ in range(100):
        recent = (await client.get_schedule_handle(SCHEDULE_ID).describe()).info.recent_actions
        if recent:
            break
        await asyncio.sleep(0.2)
    assert recent, "the schedule started no run"
    run = client.get_workflow_handle(recent[-1].action.workflow_id)
    today = datetime.now(CHINA).date()
    if scheduled_dates_held_on(today, work_calendar().is_working_day):
        await temporal_env.fast_forward(run, timedelta(hours=10))  # a visit day: on to the evening's close
    result = await run.result()
    assert result["day"] == today.isoformat()
    assert bool(result["opened"]) == bool(scheduled_dates_held_on(today, work_calendar().is_working_day))


async def test_a_round_opened_by_the_schedule_on_the_5th_collects_matters_and_closes_at_the_days_end(
        temporal_env, http, task_queue, pool, org):
    """The run of 2027-01-05 (a Tuesday) waits for 08:30 that day, opens every team's round, and closes what is
    still open at 17:30 with its tally; the clock skips to each."""
    handle = await _start(temporal_env, task_queue, date(2027, 1, 5))
    opens = datetime(2027, 1, 5, 8, 30, tzinfo=CHINA)
    await temporal_env.fast_forward(handle, opens - await temporal_env.get_current_time(handle) + timedelta(minutes=1))
    rid = "visit-round-vt-rc-yuehe-20270105"
    opened = await _round(pool, rid)
    assert opens <= opened["opened_at"] < opens + timedelta(minutes=2) and opened["closed_at"] is None
    assert opened["units"] == ["rc-yuehe-taibai", "rc-yuehe-yuehe"] and opened["visit_date"] == date(2027, 1, 5)
    assert await pool.fetchval("SELECT count(*) FROM visit_rounds WHERE scheduled_for = '2027-01-05'") == len(
        org.visit_teams)

    me = cadre(http)
    spot = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | SPOT)
    assert spot.status_code == 201, spot.text
    petition = spot.json()["petition"]
    assert (petition["channel"], petition["visit_team"], petition["status"], petition["on_the_spot"]) == (
        "visit", "vt-rc-yuehe", "resolved", True)
    handed = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | {"grid_code": "rc-yuehe-yuehe-g1",
                                                                        "description": "路灯不亮已两周"})
    assert handed.status_code == 201, handed.text
    assert handed.json()["petition"]["status"] == "dispatched"
    assert handed.json()["round"]["collected"] == 2

    # only the team's cadres, only in the communities it visits, only as a visit report
    refused = await cadre(http, OTHER_TEAM).post(f"/v1/visit-rounds/{rid}/matters", REPORT)
    assert (refused.status_code, refused.json()["code"]) == (403, "out_of_scope")
    # the cadre's own subject with a token of another unit (another district's street): not them at work
    stranger = await cadre(http, ("street_staff", "yz-gulou", CADRE[2])).post(f"/v1/visit-rounds/{rid}/matters",
                                                                               REPORT)
    assert (stranger.status_code, stranger.json()["code"]) == (403, "out_of_scope")
    outside = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | {"grid_code": "rc-jiyang-caoqiao-g1"})
    assert (outside.status_code, outside.json()["code"]) == (403, "out_of_scope")
    claimed = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | {"channel": "hotline"})
    assert claimed.status_code == 422
    no_evidence = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | {"on_the_spot": True, "result": "x"})
    assert no_evidence.status_code == 422
    assert (await me.post("/v1/visit-rounds/visit-round-nope-20270105/matters", REPORT)).status_code == 404
    plain = await me.post("/v1/petitions", REPORT | {"channel": "visit"})  # no visit report outside a round
    assert (plain.status_code, plain.json()["code"]) == (422, "channel_not_allowed")

    await temporal_env.fast_forward(handle, timedelta(hours=9, minutes=30))
    result = await handle.result()
    assert rid in result["closed"] and result["day"] == "2027-01-05"
    supervisor = Caller(http, "supervisor", "rencheng")
    closed = (await supervisor.get(f"/v1/visit-rounds/{rid}")).json()
    assert closed["closed_at"] is not None and closed["by_schedule"] is True
    assert (closed["collected"], closed["on_the_spot"], closed["handed_on"]) == (2, 1, 1)
    assert [m["petition_id"] for m in closed["matters"]] == [petition["id"], handed.json()["petition"]["id"]]
    late = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT)
    assert (late.status_code, late.json()["code"]) == (409, "invalid_state")

    # the lists: rounds by team, date and unit (the caller's district only), petitions by team
    listed = (await supervisor.get("/v1/visit-rounds", params={"date": "2027-01-05", "unit": "rc-yuehe-taibai"})).json()
    assert [r["round_id"] for r in listed["items"]] == [rid]
    yanzhou = (await Caller(http, "supervisor", "yanzhou").get("/v1/visit-rounds", params={"date": "2027-01-05"}))
    assert {r["district_code"] for r in yanzhou.json()["items"]} == {"yanzhou"}
    assert (await Caller(http, "supervisor", "yanzhou").get(f"/v1/visit-rounds/{rid}")).status_code == 404
    mine = (await supervisor.get("/v1/petitions", params={"visit_team": "vt-rc-yuehe", "channel": "visit"})).json()
    assert {petition["id"], handed.json()["petition"]["id"]} <= {p["id"] for p in mine["items"]}

    # the figures per team, as JSON, CSV and XLSX
    figures = (await supervisor.get("/v1/visit-teams/figures", params={"period": "2027-01"})).json()["teams"]
    yuehe = next(t for t in figures if t["team_code"] == "vt-rc-yuehe")
    assert (yuehe["rounds_held"], yuehe["collected"], yuehe["resolved_on_the_spot"], yuehe["handed_on"]) == (1, 2, 1, 1)
    assert (yuehe["still_open"], yuehe["closed"], yuehe["on_the_spot_share"]) == (2, 0, 0.5)
    assert {t["district_code"] for t in figures} == {"rencheng"}
    exported = await supervisor.get("/v1/visit-teams/figures", params={"period": "2027-01", "format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["帮办团编码", "帮办团", "区县"] and len(rows) == len(figures) + 1
    assert next(r for r in rows if r[0] == "vt-rc-yuehe")[6:10] == ["1", "2", "1", "1"]
    book = await supervisor.get("/v1/visit-teams/figures", params={"period": "2027-01", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet.max_row == len(figures) + 1 and sheet["A1"].value == "帮办团编码"

    # the read model is the log's: a rebuild gives the same rows
    before = await pool.fetch("SELECT * FROM visit_rounds ORDER BY round_id")
    async with pool.acquire() as conn:
        await rebuild_visit_rounds(conn)
    assert await pool.fetch("SELECT * FROM visit_rounds ORDER BY round_id") == before


async def test_a_round_due_on_a_holiday_is_held_on_the_next_working_day(temporal_env, running, task_queue, pool):
    """2026-10-05 is in the National Day holiday: that day's run opens nothing; the run of Thursday 2026-10-08 opens
    the rounds of the 5th (and, the day being past, closes them at once); a second run opens nothing twice."""
    holiday = await temporal_env.client.execute_workflow(
        VisitDayWorkflow.run, VisitDayInput(day=date(2026, 10, 5)), id=f"visit-day-{uuid.uuid4()}",
        task_queue=task_queue)
    assert holiday == {"day": "2026-10-05", "opened": [], "closed": []}
    moved = await temporal_env.client.execute_workflow(
        VisitDayWorkflow.run, VisitDayInput(day=date(2026, 10, 8)), id=f"visit-day-{uuid.uuid4()}",
        task_queue=task_queue)
    assert "visit-round-vt-yz-gulou-20261005" in moved["opened"]
    row = await _round(pool, "visit-round-vt-yz-gulou-20261005")
    assert (row["scheduled_for"], row["visit_date"]) == (date(2026, 10, 5), date(2026, 10, 8))
    assert row["closed_at"] is not None and row["collected"] == 0
    version = row["version"]
    again = await temporal_env.client.execute_workflow(
        VisitDayWorkflow.run, VisitDayInput(day=date(2026, 10, 8)), id=f"visit-day-{uuid.uuid4()}",
        task_queue=task_queue)
    assert sorted(again["opened"]) == sorted(moved["opened"]) and again["closed"] == []
    assert (await _round(pool, "visit-round-vt-yz-gulou-20261005"))["version"] == version


async def test_a_team_closes_its_round_early_and_the_teams_are_served(http, pool, org):
    from services.visit_days import VisitDesk

    desk = VisitDesk(pool, work_calendar)
    [rid] = [r for r in await desk.open_rounds(org, date(2026, 10, 15), datetime(2026, 10, 15, 0, 30, tzinfo=UTC))
             if r.startswith("visit-round-vt-rc-guhuai-")]
    me = Caller(http, "department_staff", "rencheng-health", "rc-wjj-lichao")  # 李超 of vt-rc-guhuai
    made = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | SPOT | {"grid_code": "rc-fuqiao-zhuzi-g1"})
    assert made.status_code == 201, made.text
    assert (await cadre(http).post(f"/v1/visit-rounds/{rid}/close")).status_code == 403
    closed = await me.post(f"/v1/visit-rounds/{rid}/close")
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    assert (closed.json()["collected"], closed.json()["on_the_spot"], closed.json()["handed_on"]) == (1, 1, 0)
    assert (await me.post(f"/v1/visit-rounds/{rid}/close")).json()["closed_at"] == closed.json()["closed_at"]
    row = await pool.fetchrow("SELECT by_schedule FROM visit_rounds WHERE round_id = $1", rid)
    assert row["by_schedule"] is False

    teams = (await Caller(http, "grid_worker", "rc-yuehe-taibai-g1").get("/v1/visit-teams")).json()
    assert teams["count"] == len(org.visit_teams) and teams["cadres"] == sum(
        len(t.cadres) for t in org.visit_teams.values())
    by_unit = (await me.get("/v1/visit-teams", params={"unit": "rc-fuqiao-zhuzi"})).json()["items"]
    assert [t["code"] for t in by_unit] == ["vt-rc-guhuai"]
    one = (await me.get("/v1/visit-teams/vt-yz-jiuxianqiao")).json()
    assert one["enterprises"][0]["community"] == "yz-jiuxianqiao-kuangjian" and one["cadres"][0]["body"]
    assert (await me.get("/v1/visit-teams/nope")).status_code == 404


pytestmark = pytest.mark.timeout(300)


class _Crash(Exception):
    """The API process dying between a matter's petition and its record in the round."""


async def test_a_matter_whose_record_a_crash_lost_is_counted_when_the_round_closes(http, pool, org, monkeypatch):
    """Before: the petition existed (a visit petition naming the team) but its round never counted it. Now the
    close records every petition that names the round before it tallies."""
    from services.visit_days import VisitDesk

    desk = VisitDesk(pool, work_calendar)
    [rid] = [r for r in await desk.open_rounds(org, date(2025, 6, 25), datetime(2025, 6, 25, 0, 30, tzinfo=UTC))
             if r.startswith("visit-round-vt-rc-guhuai-")]
    me = Caller(http, "department_staff", "rencheng-health", "rc-wjj-lichao")  # 李超 of vt-rc-guhuai
    kept = await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | {"grid_code": "rc-fuqiao-zhuzi-g1"})
    assert kept.status_code == 201, kept.text
    import services.visit_days as visit_days

    def dies_before_the_record(*args, **kwargs):
        raise _Crash("the process died after the petition, before its record in the round")

    monkeypatch.setattr(visit_days, "decide_matter", dies_before_the_record)
    with pytest.raises(_Crash):
        await me.post(f"/v1/visit-rounds/{rid}/matters", REPORT | SPOT | {"grid_code": "rc-fuqiao-zhuzi-g1",
                                                                          "description": "走访中断用例: 路灯不亮"})
    monkeypatch.undo()
    [lost] = [r["id"] for r in await pool.fetch("SELECT id FROM petitions WHERE visit_team = 'vt-rc-guhuai' "
                                                "AND description = '走访中断用例: 路灯不亮'")]
    counted = "SELECT count(*) FROM visit_matters WHERE round_id = $1 AND petition_id = $2"
    assert await pool.fetchval(counted, rid, lost) == 0
    closed = await me.post(f"/v1/visit-rounds/{rid}/close")
    assert closed.status_code == 200, closed.text
    assert (closed.json()["collected"], closed.json()["on_the_spot"], closed.json()["handed_on"]) == (2, 1, 1)
    assert await pool.fetchval(counted, rid, lost) == 1
