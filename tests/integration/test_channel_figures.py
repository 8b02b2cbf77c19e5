"""Issue 14 §7: every scorecard, ranking, list and export can be cut by channel, and the figures by channel
(`GET /v1/channels/summary`) agree with the facts and reports they come from, inside each caller's reach."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import openpyxl
import pytest

from domain.enums import Channel
from domain.evaluation import Period
from evaluation.simulate import simulate_month
from tests.integration.api_client import REPORT, search_tag

MONTH = "2024-03"  # of its own: the session's database is shared


@pytest.fixture
async def month(pool, org) -> str:
    # simulated once per session (another test's month may close petitions in this one: count its own)
    if not await pool.fetchval("SELECT count(*) FROM petitions WHERE id LIKE 'SIM202403-%'"):
        await simulate_month(pool, org, Period.parse(MONTH), 400, seed=47)
    return MONTH


async def _sim_reports(pool, grids: list[str] | None = None) -> dict[str, int]:
    rows = await pool.fetch(
        "SELECT channel, count(*) AS n FROM petitions WHERE id LIKE 'SIM202403-%' "
        "AND ($1::text[] IS NULL OR grid_code = ANY($1::text[])) GROUP BY channel", grids)
    return {r["channel"]: r["n"] for r in rows}


async def test_a_simulated_month_has_every_routine_and_the_summary_counts_each_channel(month, pool, as_):
    summary = await as_("admin", "").get("/v1/channels/summary", params={"period": month})
    assert summary.status_code == 200, summary.text
    figures = {c["channel"]: c for c in summary.json()["channels"]}
    assert list(figures) == [c.value for c in Channel]  # every channel, in one order, zeros included
    assert {c: f["reported"] for c, f in figures.items() if f["reported"]} == await _sim_reports(pool)
    for used in ("grid_worker", "hotline", "staff", "web"):
        assert figures[used]["reported"] > 0 and figures[used]["closed"] > 0, used
    grid, hotline = figures["grid_worker"], figures["hotline"]
    assert grid["channel_label"] == "网格员发现上报"
    # reports resolved on the spot come through the grid worker's channel only
    assert grid["resolved_on_the_spot"] > 0 and hotline["resolved_on_the_spot"] == 0
    assert grid["on_the_spot_share"] == round(grid["resolved_on_the_spot"] / grid["rated"], 4)
    # hotline calls answered or triaged at intake are reported but never reach a unit: not in the rates
    triaged = await pool.fetch("SELECT id FROM petitions WHERE id LIKE 'SIM202403-%' AND triage IS NOT NULL "
                               "AND triage <> 'dispatch'")
    assert triaged and not await pool.fetchval("SELECT count(*) FROM evaluation_facts WHERE petition_id = ANY($1)",
                                               [r["id"] for r in triaged])
    closed = await pool.fetchval(  # petitions closed in the month: some reported in the month before
        "SELECT count(DISTINCT petition_id) FROM evaluation_facts WHERE month = $1 AND channel = 'hotline' "
        "AND received > 0", Period.parse(month).months[0])
    assert hotline["closed"] == closed
    for f in figures.values():
        assert f["rated"] <= f["closed"]
        for rate in ("response_rate", "resolution_rate", "satisfaction_rate", "on_the_spot_share"):
            assert f[rate] is None or 0 <= f[rate] <= 1, (f["channel"], rate)


async def test_a_channel_cut_of_a_card_counts_only_that_channels_petitions(month, pool, as_):
    admin = as_("admin", "")
    unit = await pool.fetchval(
        "SELECT unit_code FROM evaluation_facts WHERE month = $1 AND channel = 'hotline' AND received > 0 "
        "GROUP BY unit_code ORDER BY count(*) DESC LIMIT 1", Period.parse(month).months[0])
    held = await pool.fetchval(
        "SELECT count(*) FROM evaluation_facts WHERE month = $1 AND unit_code = $2 AND channel = 'hotline' "
        "AND received > 0", Period.parse(month).months[0], unit)
    whole = (await admin.get("/v1/scorecards", params={"period": month, "unit": unit})).json()
    cut = (await admin.get("/v1/scorecards", params={"period": month, "unit": unit, "channel": "hotline"})).json()
    assert cut["channel"] == "hotline" and whole["channel"] is None
    assert cut["cards"][0]["petitions"] == held < whole["cards"][0]["petitions"]
    behind = (await admin.get(f"/v1/scorecards/{unit}/petitions", params={"period": month,
                                                                         "channel": "hotline"})).json()
    assert len([f for f in behind if f["received"]]) == held and {f["channel"] for f in behind} == {"hotline"}
    ranking = await admin.get("/v1/rankings", params={"period": month, "level": "street", "channel": "web"})
    assert ranking.status_code == 200 and ranking.json()["channel"] == "web"
    published = await admin.post("/v1/scorecards/publish", {"period": month})
    assert published.status_code == 200
    refused = await admin.get("/v1/scorecards", params={"period": month, "edition": 1, "channel": "hotline"})
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "edition")
    unknown = await admin.get("/v1/scorecards", params={"period": month, "channel": "carrier_pigeon"})
    assert unknown.status_code == 422 and "channel" in unknown.text


async def test_the_summary_and_the_cut_cards_export_as_csv_and_xlsx(month, as_):
    admin = as_("admin", "")
    as_json = (await admin.get("/v1/channels/summary", params={"period": month})).json()["channels"]
    exported = await admin.get("/v1/channels/summary", params={"period": month, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["渠道", "渠道编码", "受理件数"]
    assert [(r[1], int(r[2])) for r in rows[1:]] == [(c["channel"], c["reported"]) for c in as_json]
    book = await admin.get("/v1/channels/summary", params={"period": month, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet["A1"].value.endswith(f"受理渠道统计 · {month}")  # the title row (issue 15 §9), then the headers
    assert [c.value for c in sheet[2]][:3] == ["渠道", "渠道编码", "受理件数"] and sheet.max_row == len(as_json) + 2
    cut = await admin.get("/v1/scorecards", params={"period": month, "channel": "hotline", "format": "xlsx"})
    assert cut.status_code == 200 and Channel.HOTLINE.label in unquote(cut.headers["content-disposition"])
    assert openpyxl.load_workbook(io.BytesIO(cut.content)).active.title.endswith(Channel.HOTLINE.label[:8])


async def test_each_reader_sees_the_figures_of_its_own_reach(month, pool, org, as_):
    rencheng = sorted(u for u in org.subtree("rencheng") if org.units[u].kind.value == "grid")
    supervisor = (await as_("supervisor", "rencheng").get("/v1/channels/summary", params={"period": month})).json()
    reported = {c["channel"]: c["reported"] for c in supervisor["channels"] if c["reported"]}
    assert reported == await _sim_reports(pool, rencheng)
    street = (await as_("street_staff", "rc-yuehe").get("/v1/channels/summary", params={"period": month})).json()
    assert sum(c["reported"] for c in street["channels"]) < sum(reported.values())
    within = await as_("supervisor", "rencheng").get("/v1/channels/summary", params={"period": month,
                                                                                     "within": "rc-yuehe"})
    assert within.json()["channels"] == street["channels"]
    outside = await as_("supervisor", "yanzhou").get("/v1/channels/summary", params={"period": month,
                                                                                    "within": "rc-yuehe"})
    assert outside.status_code == 404
    assert (await as_("supervisor", "rencheng").get("/v1/channels/summary", params={"period": "2024-13"})
            ).status_code == 422


async def test_a_list_is_cut_by_channel_and_by_on_the_spot(as_):
    grid, tag = as_("grid_worker", "rc-yuehe-taibai-g1"), search_tag()
    spot = await grid.post("/v1/petitions/on-the-spot", REPORT | {
        "description": f"就地清理 {tag}", "result": "已清理", "evidence_urls": ["https://img.example.cn/a.jpg"]})
    assert spot.status_code == 201, spot.text
    plain = await grid.report(description=f"待处理 {tag}")
    for params, expected in (({"on_the_spot": "true"}, [spot.json()["id"]]), ({"on_the_spot": "false"}, [plain["id"]]),
                             ({"channel": "grid_worker"}, sorted([spot.json()["id"], plain["id"]])),
                             ({"channel": "hotline"}, [])):
        items = (await grid.get("/v1/petitions", params={"q": tag} | params)).json()["items"]
        assert sorted(i["id"] for i in items) == expected, params
