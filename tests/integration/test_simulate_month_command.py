"""Issue 14, done when: `jiehu simulate-month` fills a month with every routine, and the per-channel, per-team
and per-company figures come out of the API, as JSON, CSV and XLSX.

The real command, run as a district office would (`jiehu migrate`, `jiehu org load`, `jiehu simulate-month`),
on a database of its own; then the API on that database.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
import uuid

import httpx
import openpyxl
import pytest

from api.main import create_app
from config.reference_data import DEMO_ORG
from config.settings import Settings
from tests.integration.api_client import SECRET, Caller

MONTH, QUARTER = "2026-10", "2026-Q4"


@pytest.fixture
async def simulated(postgres, pool, temporal_env, task_queue):
    name = f"simulate_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"CREATE DATABASE {name}")
    env = os.environ | {"JIEHU_DATABASE_URL": postgres.url(name)}

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "jiehu", *args], env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    await asyncio.to_thread(run, "migrate")
    await asyncio.to_thread(run, "org", "load", str(DEMO_ORG))
    printed = await asyncio.to_thread(run, "simulate-month", "--month", MONTH, "--petitions", "600", "--seed", "14")
    settings = Settings(database_url=postgres.url(name), task_queue=task_queue, jwt_secret=SECRET,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:
            yield printed, lambda role, unit: Caller(http, role, unit)


def _rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sheet(response: httpx.Response):
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


async def test_a_simulated_month_holds_every_routine_and_its_figures_export(simulated):
    printed, as_ = simulated
    assert "600 of 600 petitions written" in printed and "visit rounds" in printed and "duplicates merged" in printed
    admin = as_("admin", "")

    # every routine's petitions are there, each through its own channel
    summary = (await admin.get("/v1/channels/summary", params={"period": MONTH})).json()["channels"]
    reported = {c["channel"]: c["reported"] for c in summary}
    for channel in ("grid_worker", "hotline", "visit", "property_hotline", "staff", "web"):
        assert reported[channel] > 0, (channel, reported)
    triaged = (await admin.get("/v1/petitions", params={"triage": "answered", "limit": 5})).json()["items"]
    on_the_spot = (await admin.get("/v1/petitions", params={"on_the_spot": "true", "limit": 5})).json()["items"]
    merged = (await admin.get("/v1/petitions", params={"close_outcome": "duplicate", "limit": 5})).json()["items"]
    assert triaged and on_the_spot and merged

    # per channel: JSON, CSV and XLSX say the same
    rows = _rows(await admin.get("/v1/channels/summary", params={"period": MONTH, "format": "csv"}))
    assert {r[1]: int(r[2]) for r in rows[1:]} == reported
    assert _sheet(await admin.get("/v1/channels/summary", params={"period": MONTH, "format": "xlsx"})).max_row >= 7

    # per visit team
    teams = (await admin.get("/v1/visit-teams/figures", params={"period": MONTH})).json()["teams"]
    assert teams and sum(t["rounds_held"] for t in teams) > 0 and sum(t["collected"] for t in teams) > 0
    team_rows = _rows(await admin.get("/v1/visit-teams/figures", params={"period": MONTH, "format": "csv"}))
    assert len(team_rows) >= len(teams) + 1
    assert _sheet(await admin.get("/v1/visit-teams/figures", params={"period": MONTH, "format": "xlsx"})).max_row \
        >= len(teams) + 1

    # per property company: the quarter's cards (物业110 orders beside the residents' round) and the scorecards
    cards = (await admin.get(f"/v1/property-rounds/{QUARTER}/cards")).json()
    assert any(c["hotline_orders"] > 0 for c in cards), cards
    companies = await admin.get("/v1/scorecards", params={"period": MONTH, "level": "property_company",
                                                           "format": "xlsx"})
    assert _sheet(companies).max_row >= 2
    hotline_only = await admin.get("/v1/scorecards", params={"period": MONTH, "channel": "property_hotline",
                                                              "level": "property_company", "format": "csv"})
    assert len(_rows(hotline_only)) >= 2
