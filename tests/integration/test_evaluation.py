"""Evaluation end to end: a simulated month, scorecards traced to events, frozen editions and
corrections, rebuild, the what-if, property rounds and the monthly close on Temporal."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import datetime, timedelta

import openpyxl
import pytest

from config.reference_data import work_calendar
from domain.enums import Role, Waiver
from domain.errors import InvalidState
from domain.evaluation import Period, ScoringWeights
from domain.model import Actor
from domain.workcalendar import CHINA
from evaluation.desk import EvaluationDesk
from evaluation.simulate import simulate_month
from eventstore import evaluation_projection
from stack.workers import ensure_monthly_close
from workflows.inputs import MonthlyCloseInput
from workflows.monthly_close import SCHEDULE_ID, MonthlyCloseWorkflow

ADMIN, SUPERVISOR = ("admin", ""), ("supervisor", "rencheng")


async def simulated(pool, org, month: str, petitions: int, seed: int = 1, first: int = 0) -> None:
    await simulate_month(pool, org, Period.parse(month), petitions, seed, first)


async def test_a_simulated_month_ranks_streets_and_every_figure_traces_to_events(pool, org, as_):
    await simulated(pool, org, "2026-03", 160)
    admin = as_(*ADMIN)
    ranking = (await admin.get("/v1/rankings", params={"period": "2026-03", "level": "street"})).json()
    assert ranking["provisional"] is True and ranking["edition"] is None
    cards = ranking["cards"]
    assert len(cards) >= 3 and [c["rank"] for c in cards] == sorted(c["rank"] for c in cards)
    assert all(c["kind"] == "street" for c in cards) and cards[0]["score"] >= cards[-1]["score"]

    card = cards[0]
    facts = (await admin.get(f"/v1/scorecards/{card['unit_code']}/petitions", params={"period": "2026-03"})).json()
    assert len(facts) == card["petitions"]
    assert sum(f["received"] for f in facts) == card["received"]
    assert sum(f["accept_breaches"] + f["resolve_breaches"] for f in facts) == card["breaches"]
    one = facts[0]
    events = (await admin.get(f"/v1/petitions/{one['petition_id']}/events")).json()
    source = [e for e in events if e["position"] == one["source_position"]]
    assert source and source[0]["type"] == "UnitEvaluated"
    assert source[0]["data"]["record"]["unit_code"] == card["unit_code"]

    # a street whose communities held petitions of their own (some only show their grids' on-the-spot share)
    for street in cards:
        communities = (await admin.get("/v1/rankings", params={"period": "2026-03", "level": "community",
                                                               "within": street["unit_code"]})).json()["cards"]
        if communities:
            break
    assert communities and all(c["parent_code"] == street["unit_code"] for c in communities)


async def test_exports_have_chinese_headers_in_csv_and_xlsx(pool, org, as_):
    await simulated(pool, org, "2026-02", 40, seed=2)
    admin = as_(*ADMIN)
    params = {"period": "2026-02", "level": "street"}
    json_cards = (await admin.get("/v1/rankings", params=params)).json()["cards"]
    response = await admin.get("/v1/rankings", params=params | {"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["排名", "单位", "单位编码", "类别", "综合得分"]
    assert len(rows) == len(json_cards) + 1 and rows[1][2] == json_cards[0]["unit_code"]
    response = await admin.get("/v1/rankings", params=params | {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    # an office's report (issue 15 §9): a title row (whose, what, period, edition), bold frozen headers, a filter
    assert values[0][0].startswith("全市 · 排名-") and "2026-02" in values[0][0]
    assert values[0][0].endswith(("第1版", "实时数据（未发布）"))
    assert values[1][5] == "响应率(%)" and len(values) == len(json_cards) + 2
    last = sheet.cell(2, sheet.max_column).column_letter
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == f"A2:{last}{sheet.max_row}"
    assert sheet["A2"].font.bold and sheet.column_dimensions["B"].width >= 2 * len(json_cards[0]["unit_name"])
    assert "filename*=UTF-8''" in response.headers["content-disposition"]


async def test_a_published_edition_stays_frozen_and_a_correction_publishes_a_new_one(pool, org, as_):
    await simulated(pool, org, "2026-04", 80, seed=3)
    supervisor, admin = as_(*SUPERVISOR), as_(*ADMIN)
    street = as_("street_staff", "rc-yuehe")
    assert (await street.post("/v1/scorecards/publish", {"period": "2026-04"})).status_code == 403
    assert (await supervisor.post("/v1/scorecards/publish", {"period": "2026-04"})).status_code == 403  # city-wide
    assert (await admin.post("/v1/scorecards/publish", {"period": "2099-01"})).status_code == 409
    published = (await admin.post("/v1/scorecards/publish", {"period": "2026-04"})).json()
    assert published["edition"] == 1 and published["appeal_due"] > published["published_at"]
    frozen = (await admin.get("/v1/scorecards", params={"period": "2026-04"})).json()
    assert frozen["edition"] == 1 and frozen["provisional"] is False

    await simulated(pool, org, "2026-04", 30, seed=4, first=1000)  # late petitions of the same month
    again = (await admin.get("/v1/scorecards", params={"period": "2026-04"})).json()
    assert again["cards"] == frozen["cards"]
    live = (await admin.get("/v1/scorecards", params={"period": "2026-04", "live": "true"})).json()
    assert sum(c["petitions"] for c in live["cards"]) > sum(c["petitions"] for c in frozen["cards"])

    breached = await pool.fetchrow("SELECT petition_id, unit_code FROM evaluation_facts WHERE month = '2026-04-01' "
                                   "AND accept_breaches > 0 AND petition_id NOT LIKE 'SIM202604-01%' LIMIT 1")
    before = next(c for c in frozen["cards"] if c["unit_code"] == breached["unit_code"])
    district_supervisor = as_("supervisor", org.units[breached["unit_code"]].district_code)  # appeals: its district's
    corrected = await district_supervisor.post("/v1/scorecards/corrections", {
        "petition_id": breached["petition_id"], "unit_code": breached["unit_code"], "waive": ["accept_breach"],
        "reason": "停电导致系统无法签收, 经督办员核实"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["edition"]["edition"] == 2
    latest = (await admin.get("/v1/scorecards", params={"period": "2026-04", "unit": breached["unit_code"]})).json()
    assert latest["edition"] == 2 and [e["edition"] for e in latest["editions"]] == [1, 2]
    assert latest["cards"][0]["accepted_in_time"] >= before["accepted_in_time"] + 1
    first = (await admin.get("/v1/scorecards", params={"period": "2026-04", "edition": 1})).json()
    assert first["cards"] == frozen["cards"]
    second = (await admin.get("/v1/scorecards", params={"period": "2026-04", "edition": 2})).json()["cards"]

    def others(cards: list[dict]) -> dict:
        return {c["unit_code"]: {k: v for k, v in c.items() if k != "rank"} for c in cards
                if c["unit_code"] != breached["unit_code"]}
    assert others(second) == others(frozen["cards"])  # a correction of one unit leaves the others' figures

    desk = EvaluationDesk(pool, org, ScoringWeights(), work_calendar())
    too_late = datetime.fromisoformat(published["appeal_due"]) + timedelta(minutes=1)
    with pytest.raises(InvalidState, match="appeals against 2026-04 closed"):
        await desk.correct(breached["petition_id"], breached["unit_code"], [Waiver.RETURN], "迟到的申诉",
                           Actor(id="s", name="督办员", unit_code="rencheng", role=Role.SUPERVISOR), too_late)

    missing = await supervisor.post("/v1/scorecards/corrections", {
        "petition_id": "no-such", "unit_code": "x", "waive": ["return"], "reason": "r"})
    assert missing.status_code == 404


async def test_rebuild_equals_the_live_projection(pool, org, as_):
    await simulated(pool, org, "2026-05", 30, seed=5)
    await as_(*ADMIN).post("/v1/scorecards/publish", {"period": "2026-05"})
    desk = EvaluationDesk(pool, org, ScoringWeights(), work_calendar())
    fact = await pool.fetchrow("SELECT petition_id, unit_code FROM evaluation_facts WHERE month = '2026-05-01' "
                               "ORDER BY 1, 2 LIMIT 1")
    supervisor = Actor(id="s", name="督办员", unit_code="", role=Role.ADMIN)
    for upheld in (False, True):  # an appeal rejected, another upheld: both projected, and rebuilt alike
        appeal = await desk.file_appeal(fact["petition_id"], fact["unit_code"], [Waiver.RETURN], "申诉",
                                        Actor(id="u", name="工作人员", unit_code=fact["unit_code"],
                                              role=Role.GRID_WORKER), datetime.now(CHINA))
        await desk.decide_appeal(appeal["appeal_id"], upheld, "决定", supervisor, datetime.now(CHINA))

    async def snapshot() -> list:
        async with pool.acquire() as conn:
            await evaluation_projection.catch_up(conn)
            return [await conn.fetch(f"SELECT * FROM {table} ORDER BY 1, 2, 3") for table in
                    ("evaluation_facts", "published_scorecards", "scorecard_editions", "property_scores",
                     "evaluation_appeals")]

    live = await snapshot()
    async with pool.acquire() as conn:
        report = await evaluation_projection.rebuild(conn)
    assert report.events > 0
    assert await snapshot() == live


async def test_the_what_if_replays_without_touching_anything_live(pool, org, as_):
    await simulated(pool, org, "2026-06", 60, seed=6)

    async def fingerprint() -> tuple:
        return (await pool.fetchval("SELECT max(position) FROM events"),
                await pool.fetchval("SELECT md5(string_agg(f::text, '' ORDER BY petition_id, unit_code)) "
                                    "FROM evaluation_facts f"),
                await pool.fetchval("SELECT md5(string_agg(p::text, '' ORDER BY id)) FROM petitions p"))

    before = await fingerprint()
    assert (await as_("grid_worker", "rc-yuehe-taibai-g1").post(
        "/v1/insight/what-if", {"period": "2026-06", "policy": "fast"})).status_code == 403
    response = await as_(*ADMIN).post("/v1/insight/what-if", {"period": "2026-06", "policy": "fast"})
    assert response.status_code == 200, response.text
    result = response.json()
    recorded = await pool.fetchval("SELECT sum(accept_breaches + resolve_breaches) FROM evaluation_facts "
                                   "WHERE petition_id LIKE 'SIM202606-%'")
    simulated_petitions = await pool.fetchval("SELECT count(*) FROM petitions WHERE id LIKE 'SIM202606-%'")
    assert simulated_petitions > 60  # the 60 reported petitions and the visit days' matters (issue 14 §4)
    assert result["sampled"] == simulated_petitions and result["as_recorded"]["breaches"] == recorded
    assert result["under_candidate"]["breaches"] > result["as_recorded"]["breaches"]  # seconds, not days
    assert await fingerprint() == before
    bad = await as_(*SUPERVISOR).post("/v1/insight/what-if", {"period": "2026-06", "policy": {"name": "x"}})
    assert bad.status_code == 422


async def test_insight_names_the_categories_grids_return_and_where_they_land(pool, org, as_):
    await simulated(pool, org, "2026-07", 400, seed=7)
    insight = (await as_(*ADMIN).get("/v1/insight", params={"period": "2026-07"})).json()
    suspects = {s["category"]: s for s in insight["routing_suspects"]}
    assert "public_order" in suspects and suspects["public_order"]["routed_to_level"] == "grid"
    assert suspects["public_order"]["landed"][0]["level"] == "department"
    returning = [u for u in insight["units"] if u["most_returned"]]
    assert returning and returning[0]["most_returned"][0]["returns"] > 0


async def test_a_property_round_joins_the_companys_quarterly_scorecard(org, as_):
    supervisor, admin = as_(*SUPERVISOR), as_(*ADMIN)  # the city opens and closes; the district scores
    company = next(u.code for u in org.units.values()
                   if u.kind.value == "property_company" and u.district_code == "rencheng")
    before_opening = await supervisor.post("/v1/property-rounds/2026-Q1/scores", {
        "company_code": company, "compound": "太白小区", "representative": "业主代表甲", "score": 80})
    assert before_opening.status_code == 409
    assert (await admin.post("/v1/property-rounds", {"quarter": "2026-Q1"})).status_code == 201
    assert (await admin.post("/v1/property-rounds", {"quarter": "2026-Q1"})).status_code == 409
    for who, score in (("业主代表甲", 80), ("业主代表乙", 90), ("业主代表甲", 70)):  # 甲 changes their mind
        response = await supervisor.post("/v1/property-rounds/2026-Q1/scores", {
            "company_code": company, "compound": "太白小区", "representative": who, "score": score})
        assert response.status_code == 201, response.text
    assert (await supervisor.post("/v1/property-rounds/2026-Q1/scores", {
        "company_code": "rc-yuehe", "compound": "x", "representative": "y", "score": 50})).status_code == 422
    open_card = (await supervisor.get("/v1/scorecards", params={"period": "2026-Q1", "unit": company})).json()
    assert not open_card["cards"] or open_card["cards"][0]["property_score"] is None  # only closed rounds count
    assert (await admin.post("/v1/property-rounds/2026-Q1/close")).status_code == 200
    card = (await supervisor.get("/v1/scorecards", params={"period": "2026-Q1", "unit": company})).json()["cards"][0]
    assert card["property_score"] == 80.0
    round_ = (await supervisor.get("/v1/property-rounds/2026-Q1")).json()
    assert round_["companies"] == {company: 80.0} and round_["closed_at"]


async def test_the_monthly_close_is_a_schedule_and_publishes_once(temporal_env, running, pool, org, task_queue):
    client = temporal_env.client
    await ensure_monthly_close(client, task_queue)
    await ensure_monthly_close(client, task_queue)  # idempotent: a restarted worker updates it
    description = await client.get_schedule_handle(SCHEDULE_ID).describe()
    calendar = description.schedule.spec.calendars[0]
    assert calendar.day_of_month[0].start == 1 and description.schedule.spec.time_zone_name == "Asia/Shanghai"

    await simulated(pool, org, "2026-08", 20, seed=8)
    result = await client.execute_workflow(MonthlyCloseWorkflow.run, MonthlyCloseInput(period="2026-08"),
                                           id=f"close-{uuid.uuid4()}", task_queue=task_queue)
    assert result["edition"] == 1 and result["already_published"] is False
    again = await client.execute_workflow(MonthlyCloseWorkflow.run, MonthlyCloseInput(period="2026-08"),
                                          id=f"close-{uuid.uuid4()}", task_queue=task_queue)
    assert again["already_published"] is True
    assert await pool.fetchval("SELECT count(*) FROM scorecard_editions WHERE period = '2026-08'") == 1

    await client.get_schedule_handle(SCHEDULE_ID).trigger()  # what the 1st does: last month (by the server clock)
    for _ in range(100):
        recent = (await client.get_schedule_handle(SCHEDULE_ID).describe()).info.recent_actions
        if recent:
            break
        await asyncio.sleep(0.2)
    assert recent, "the schedule started no run"
    run = client.get_workflow_handle(recent[-1].action.workflow_id)
    published = await run.result()
    assert published["period"] == Period.month_of(published_at_china(published)).previous_month().text


def published_at_china(published: dict) -> datetime:
    return datetime.fromisoformat(published["published_at"]).astimezone(CHINA)


pytestmark = pytest.mark.timeout(300)
