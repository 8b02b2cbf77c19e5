"""Loading a year's official holiday arrangement while jiehu runs (issue 11 §1): the load is an event in
the log, every process counts on it, and open petitions re-plan the deadlines it moves.

On a database of its own: a load stays in the log for good, and the session's shared database must keep
its shipped calendar for the other tests.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import date, datetime, timedelta

import httpx
import pytest

from api.main import create_app
from config.reference_data import adopt_arrangements, base_calendar
from config.settings import Settings
from config.statutory_holidays import statutory_holidays
from domain.workcalendar import CHINA
from eventstore.calendar_log import read_calendar_log
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from eventstore.store import EventStore
from org.repository import save_org
from stack.workers import petition_worker
from tests.integration.api_client import SECRET, Caller
from workflows.calendar_replan import replan_workflow_id


@pytest.fixture
async def stack(postgres, pool, demo_org, temporal_env, task_queue):
    name = f"calendar_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"CREATE DATABASE {name}")
    own = await create_pool(postgres.url(name), max_size=5)
    async with own.acquire() as conn:
        await migrate(conn)
        await save_org(conn, demo_org)
    settings = Settings(database_url=postgres.url(name), task_queue=task_queue, jwt_secret=SECRET,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    try:
        async with petition_worker(temporal_env.client, own, task_queue), app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:
                yield http, own, settings
    finally:
        adopt_arrangements([])  # this process follows the shared database's calendar again
        await own.close()


def official_days(year: int, extra: dict[date, str]) -> dict:
    rules = base_calendar().years[year]
    holidays = {**{d: rules.names.get(d, "节日") for d in rules.holidays}, **extra}
    return {"holidays": [{"date": d.isoformat(), "name": n} for d, n in sorted(holidays.items())],
            "workdays": [d.isoformat() for d in sorted(rules.workdays)]}


async def events_of(caller: Caller, pid: str, kind: str, timeout: float = 20.0) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [e for e in (await caller.get(f"/v1/petitions/{pid}/events")).json() if e["type"] == kind]
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_a_loaded_arrangement_re_plans_open_petitions_and_new_ones_count_on_it(stack, temporal_env):
    http, own, _settings = stack
    grid, admin = Caller(http, "grid_worker", "rc-yuehe-taibai-g1"), Caller(http, "admin", "")
    petition = await grid.report()
    due = datetime.fromisoformat(petition["resolve_due"])
    day = due.astimezone(CHINA).date()  # the last working day of the grid's clock becomes a holiday
    body = {"source": f"国办发明电〔{day.year - 1}〕测试号", **official_days(day.year, {day: "测试调休"})}

    loaded = await admin.put(f"/v1/calendar/{day.year}", body)
    assert loaded.status_code == 201, loaded.text
    year = loaded.json()
    assert year["recorded"] and year["status"] == "official" and year["source"] == body["source"]
    assert year["loaded_by"] == "admin of " and year["sequence"] == 1
    assert {"date": day.isoformat(), "name": "测试调休"} in year["holidays"]
    assert year["replan_workflow_id"] == replan_workflow_id(1)
    # the load is an event of the log's `calendar` stream: who, when, from which notice
    [stored] = await EventStore(own).read_stream("calendar")
    assert stored.type == "CalendarArrangementLoaded"
    assert stored.data["arrangement"]["loaded_by"]["role"] == "admin" and stored.data["arrangement"]["source"]
    # every reader sees it at once
    assert (await grid.get(f"/v1/calendar/{day.year}")).json()["source"] == body["source"]

    # the open petition re-plans: its resolve deadline skips the new holiday, with old and new in the event
    [replanned] = await events_of(grid, petition["id"], "DeadlinesReplanned")
    moves = {m["deadline"]: m for m in replanned["data"]["moves"]}
    assert datetime.fromisoformat(moves["resolve"]["old"]) == due
    new_due = datetime.fromisoformat(moves["resolve"]["new"])
    assert new_due.astimezone(CHINA).date() > day
    assert replanned["data"]["sequence"] == 1 and str(day.year) in replanned["data"]["reason"]
    after = (await grid.get(f"/v1/petitions/{petition['id']}")).json()
    assert datetime.fromisoformat(after["resolve_due"]) == new_due

    # a petition reported now counts on the loaded arrangement from the start
    later = await grid.report(description="又一处垃圾堆积")
    assert datetime.fromisoformat(later["resolve_due"]).astimezone(CHINA).date() != day

    # the same arrangement again records nothing; the re-plan finishes with a record in the log
    again = await admin.put(f"/v1/calendar/{day.year}", body)
    assert again.status_code == 200 and not again.json()["recorded"] and again.json()["sequence"] == 1
    replan = temporal_env.client.get_workflow_handle(replan_workflow_id(1))
    await temporal_env.fast_forward(replan, timedelta(minutes=2))  # the second pass, after the settle time
    result = await asyncio.wait_for(replan.result(), 60)
    assert result["signalled"] >= 1
    types = [e.type for e in await EventStore(own).read_stream("calendar")]
    assert types == ["CalendarArrangementLoaded", "CalendarReplanFinished"]


NEXT = datetime.now(CHINA).year + 1  # an arrangement is loaded for this year or the next


def statutory_body(year: int = NEXT) -> dict:
    """The statutory days of `year`, and its first Saturday in March as a make-up working day (no
    statutory holiday falls in March)."""
    saturday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 5)
    return {"source": "国办发明电〔测试〕号", "workdays": [saturday.isoformat()],
            "holidays": [{"date": d.isoformat(), "name": n} for d, n in sorted(statutory_holidays(year).items())]}


def _a_wednesday(year: int) -> str:
    return next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 2).isoformat()


def _with_name(body: dict, name: str) -> dict:
    return {**body, "holidays": [{**body["holidays"][0], "name": name}, *body["holidays"][1:]]}


@pytest.mark.parametrize(("change", "says"), [
    (lambda b: {**b, "workdays": [*b["workdays"], _a_wednesday(NEXT)]}, "is a Wednesday"),
    (lambda b: {**b, "holidays": b["holidays"][1:]}, f"{NEXT}-01-01 (元旦) is a statutory holiday"),
    (lambda b: {**b, "holidays": [*b["holidays"], {"date": f"{NEXT + 1}-01-01", "name": "元旦"}]}, f"not in {NEXT}"),
    (lambda b: {**b, "holidays": [*b["holidays"], b["holidays"][0]]}, "listed twice among the holidays"),
    (lambda b: {**b, "workdays": b["workdays"] * 2}, "listed twice among the working days"),
    (lambda b: {**b, "source": ""}, "source"),
    (lambda b: _with_name(b, "\u3000 \u200b"), "must not be blank"),  # ideographic and invisible spaces alone
    (lambda b: _with_name(b, "元\x07旦"), "control characters"),
    (lambda b: {**b, "year": NEXT + 3}, "year"),  # a field the API does not know is refused, not dropped
])
async def test_an_arrangement_that_cannot_be_right_is_refused_and_nothing_is_recorded(stack, change, says):
    http, own, _settings = stack
    response = await Caller(http, "admin", "").put(f"/v1/calendar/{NEXT}", change(statutory_body()))
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert says in response.text, response.text
    assert await EventStore(own).read_stream("calendar") == []
    assert (await Caller(http, "admin", "").get(f"/v1/calendar/{NEXT}")).json()["status"] == "provisional"


@pytest.mark.parametrize("year", [NEXT + 1, NEXT - 2, 2999])
async def test_only_this_year_or_the_next_is_loaded(stack, year):
    http, own, _settings = stack
    response = await Caller(http, "admin", "").put(f"/v1/calendar/{year}", statutory_body(year))
    assert response.status_code == 422 and "this year or the next" in response.text, response.text
    assert await EventStore(own).read_stream("calendar") == []


async def test_the_operator_loads_a_file_with_the_cli(stack, tmp_path, temporal_env):
    http, own, settings = stack
    body = statutory_body()
    bridge = next(date(NEXT, 10, d) for d in range(4, 9) if date(NEXT, 10, d).weekday() < 5)
    lines = ["source: 国办发明电〔测试〕号", "years:", f"  {NEXT}:", "    holidays:"]
    lines += [f"      {h['date']}: {h['name']}" for h in body["holidays"]]
    lines += [f"      {bridge.isoformat()}: 国庆节", f"    workdays: [{body['workdays'][0]}]"]
    text = "\n".join(lines) + "\n"
    env = {**os.environ, "JIEHU_DATABASE_URL": settings.database_url, "JIEHU_TASK_QUEUE": settings.task_queue,
           "JIEHU_TEMPORAL_ADDRESS": settings.temporal_address}

    async def load(text: str) -> tuple[int, str, str]:
        path = tmp_path / "arrangement.yaml"
        path.write_text(text, "utf-8")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jiehu", "calendar", "load", str(path), "--operator", "值班员",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 120)
        return process.returncode, out.decode(), err.decode()

    # refused, and nothing recorded: no source; a name left out in YAML (no name, not the text "None");
    # a file of two years whose second cannot be right (neither is recorded)
    no_source = await load(text.replace("source: 国办发明电〔测试〕号\n", ""))
    no_name = await load(text.replace(f"{bridge.isoformat()}: 国庆节", f"{bridge.isoformat()}:"))
    this_year = NEXT - 1
    two_years = await load(text + f"  {this_year}:\n    holidays: {{{this_year}-01-01: 元旦}}\n")
    for (code, _out, err), says in ((no_source, "source"), (no_name, "readable name"),
                                    (two_years, "statutory holiday")):
        assert code == 2 and says in err, err
    assert await EventStore(own).read_stream("calendar") == []

    code, out, err = await load(text)
    assert code == 0, err
    assert f"{NEXT}: loaded, sequence 1" in out
    [stored] = await EventStore(own).read_stream("calendar")
    assert stored.data["arrangement"]["loaded_by"]["name"] == "值班员"
    # the API process follows the log (here at once: the next read of the stream)
    adopt_arrangements((await read_calendar_log(EventStore(own))).arrangements)
    year = (await Caller(http, "grid_worker", "rc-yuehe-taibai-g1").get(f"/v1/calendar/{NEXT}")).json()
    assert year["status"] == "official" and {"date": bridge.isoformat(), "name": "国庆节"} in year["holidays"]
