"""What the web console (issue 15) reads from the API: how to sign in, who the person is, dev tokens only on the
dev stack, the console's files (or a page saying how to build them), the petition's Chinese labels and
problems in Chinese."""

from __future__ import annotations

import httpx
import pytest

from api.main import create_app
from config.settings import Settings
from tests.integration.api_client import SECRET, Caller


@pytest.fixture
async def dev_app(temporal_env, postgres, pool, org, task_queue, tmp_path):
    """The API as `jiehu dev` builds it (dev tokens), with a built console of three files in a folder of its own."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>工作台</title><div id=app></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log('工作台')")
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET, console_dist=str(dist),
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings, dev_tokens=True)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as client:
        yield client


async def test_the_dev_stack_mints_tokens_for_the_role_picker_and_the_console_is_served(dev_app):
    sign_in = (await dev_app.get("/v1/sign-in")).json()
    assert sign_in["dev"] is True and sign_in["oidc"] is None
    assert {"role": "grid_worker", "unit": "rc-yuehe-taibai-g1"}.items() <= sign_in["dev_people"][0].items()
    minted = await dev_app.post("/v1/dev/tokens", json={"role": "street_staff", "unit": "rc-yuehe"})
    assert minted.status_code == 200, minted.text
    me = (await dev_app.get("/v1/me", headers={"authorization": f"Bearer {minted.json()['token']}"})).json()
    assert (me["role"], me["role_label"], me["unit_code"], me["unit_name"]) == (
        "street_staff", "街道工作人员", "rc-yuehe", "越河街道")
    assert "accept" in me["actions"] and "dispatch" not in me["actions"] and me["sees_personal_data"] is False
    # a visit team's cadre by their token subject (org visit_teams' cadre ids): the picker offers one
    cadre = next(p for p in sign_in["dev_people"] if p["subject"])
    named = await dev_app.post("/v1/dev/tokens", json={k: cadre[k] for k in ("role", "unit", "subject")})
    assert named.status_code == 200, named.text
    me = (await dev_app.get("/v1/me", headers={"authorization": f"Bearer {named.json()['token']}"})).json()
    assert (me["sub"], me["name"], me["unit_code"]) == ("rc-zjj-liuhong", "刘红", "rencheng-housing")
    for body in ({"role": "system", "unit": "rencheng"}, {"role": "grid_worker", "unit": "atlantis"},
                 {"role": "grid_worker", "unit": ""}, {"role": "grid_worker", "unit": "rencheng", "subject": "a b/c"}):
        assert (await dev_app.post("/v1/dev/tokens", json=body)).status_code == 422, body
    # the console: / sends browsers there, its routes answer index.html, files are served, nothing outside
    root = await dev_app.get("/")
    assert root.status_code == 307 and root.headers["location"] == "/console/"
    for path in ("/console", "/console/", "/console/queue", "/console/petitions/abc"):
        page = await dev_app.get(path)
        assert page.status_code == 200 and "工作台" in page.text, path
        assert "script-src 'self'" in page.headers["content-security-policy"]
    asset = await dev_app.get("/console/assets/index-abc123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert (await dev_app.get("/console/assets/missing.js")).status_code == 404
    assert (await dev_app.get("/console/..%2f..%2fetc/passwd")).status_code in (200, 404)
    assert "root:" not in (await dev_app.get("/console/..%2f..%2fetc/passwd")).text


async def test_production_offers_no_dev_tokens_and_names_its_identity_provider(temporal_env, postgres, pool, org,
                                                                                task_queue, tmp_path):
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET,
                        jwt_issuer="https://id.jining.example/realms/gov", oidc_client_id="jiehu-console",
                        jwt_audience="jiehu", console_dist=str(tmp_path / "nothing-built"),
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as client:
        sign_in = (await client.get("/v1/sign-in")).json()
        assert sign_in == {"dev": False, "dev_people": [], "oidc": {
            "issuer": "https://id.jining.example/realms/gov", "client_id": "jiehu-console",
            "scope": "openid profile", "audience": "jiehu"}}
        assert (await client.post("/v1/dev/tokens", json={"role": "admin"})).status_code in (404, 405)
        page = await client.get("/console/")  # not built: a page that says how, never a 500
        assert page.status_code == 503 and "npm ci" in page.text and "npm run build" in page.text


async def test_petitions_carry_chinese_labels_and_problems_answer_in_chinese(as_, http):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    petition = await grid.report(urgency="urgent")
    assert (petition["category_label"], petition["channel_label"], petition["urgency_label"]) == (
        "环境卫生", "网格员发现上报", "紧急")
    await grid.act(petition["id"], "accept")
    resolved = await grid.act(petition["id"], "resolve", {"result": "已清运"})
    assert resolved["resolution_label"] == "已解决"
    visited = await as_("return_visitor", "rencheng").act(petition["id"], "return-visit", {"outcome": "satisfied"})
    assert visited["visit_outcome_label"] == "满意"
    listed = (await grid.get("/v1/petitions", params={"mine": "true", "limit": 1})).json()["items"][0]
    assert listed["category_label"] == "环境卫生"
    labels = (await grid.get("/v1/labels")).json()
    assert labels["EventType"]["WorkOrderAccepted"] == "签收" and labels["EventType"]["PetitionResolved"] == "办结"
    # problems: English by default, Chinese when asked, the English kept as detail_en
    other = await grid.report()
    zh = {"accept-language": "zh-CN,zh;q=0.9"}
    refused = await as_("supervisor", "rencheng").post(f"/v1/petitions/{other['id']}/accept", {}, headers=zh)
    assert refused.status_code == 403 and "您的角色不能执行此操作" in refused.json()["detail"]
    assert "needs one of the roles" in refused.json()["detail_en"]
    english = await as_("supervisor", "rencheng").post(f"/v1/petitions/{other['id']}/accept", {})
    assert "needs one of the roles" in english.json()["detail"] and "detail_en" not in english.json()
    closed = await grid.post(f"/v1/petitions/{petition['id']}/accept", {}, headers=zh)
    assert closed.status_code == 409 and closed.json()["detail"].startswith("这件诉求已结案")
    me = (await Caller(http, "return_visitor", "rencheng").get("/v1/me")).json()
    assert me["sees_personal_data"] is True and "return-visit" in me["actions"] and "accept" not in me["actions"]


async def test_the_dashboards_overview_counts_open_petitions_by_level_and_street_inside_the_callers_subtree(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    street, beside = as_("street_staff", "rc-yuehe"), as_("street_staff", "rc-jiyang")

    def yuehe(overview: dict) -> int:
        return sum(c["total"] for c in overview["by_street"] if c["code"] == "rc-yuehe")

    before, beside_before = (await street.get("/v1/overview")).json(), (await beside.get("/v1/overview")).json()
    await grid.report()
    after = (await street.get("/v1/overview")).json()
    assert after["open"] == before["open"] + 1 and after["reported_today"] == before["reported_today"] + 1
    level = {c["code"]: c for c in after["by_level"]}
    assert level["grid"]["name"] == "网格" and level["grid"]["total"] >= 1
    assert yuehe(after) == yuehe(before) + 1 and after["by_street"][0]["name"] == "越河街道"
    # another street counts only petitions its units handled: the new one is not among them
    assert yuehe((await beside.get("/v1/overview")).json()) == yuehe(beside_before)
    admin = (await as_("admin", "").get("/v1/overview")).json()
    assert admin["open"] >= after["open"]


async def test_a_list_of_petitions_exports_as_an_offices_xlsx_masked_as_the_json_and_its_reads_recorded(as_):
    import io

    from openpyxl import load_workbook

    from tests.integration.api_client import search_tag

    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    tag = search_tag()
    petition = await grid.report(description=f"井盖缺失 {tag}")
    params = {"q": tag, "format": "xlsx"}
    street = await as_("street_staff", "rc-yuehe").get("/v1/petitions", params=params)
    assert street.status_code == 200 and "filename*=UTF-8''" in street.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(street.content)).active
    assert sheet["A1"].value.startswith("越河街道 · 诉求清单 · 导出于 ") and sheet["A1"].value.endswith("1 件")
    header = [c.value for c in sheet[2]]
    row = dict(zip(header, [c.value for c in sheet[3]], strict=True))
    assert (row["诉求编号"], row["诉求类别"], row["状态"]) == (petition["id"], "环境卫生", petition["status_label"])
    assert row["反映人"] == "陈**" and row["联系电话"] == "138****1234"  # masked for street staff, as in JSON
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref.startswith("A2:")
    dispatcher = await as_("dispatcher", "rencheng").get("/v1/petitions", params=params | {"format": "csv"})
    assert "陈秀英" in dispatcher.content.decode("utf-8-sig")  # the roles that call residents see them
    records = (await as_("admin", "").get("/v1/access-log", params={"petition_id": petition["id"]})).json()["items"]
    assert "export" in {r["what"] for r in records}


async def test_the_overview_counts_the_cards_given_today_and_this_month_to_the_units_of_the_callers_subtree(fast, pool):
    """Issue 15 §7: "warnings and breaches today and this month". With the fast policy a returned order's 8 s
    re-dispatch deadline warns and breaches the district's desk, then an approver's 5 s decision deadline breaches the
    community: each card counts for whoever sees that unit, and nowhere else."""
    import asyncio

    grid, community = fast("grid_worker", "rc-yuehe-taibai-g1"), fast("community_staff", "rc-yuehe-taibai")
    district, street, beside = (fast("supervisor", "rencheng"), fast("street_staff", "rc-yuehe"),
                                fast("street_staff", "rc-jiyang"))
    keys = ("warned_today", "warned_this_month", "breached_today", "breached_this_month")

    async def figures(caller: Caller) -> tuple[int, ...]:
        overview = (await caller.get("/v1/overview")).json()
        return tuple(overview[k] for k in keys)

    async def breach(pid: str, deadline: str) -> None:
        for _ in range(160):
            rows = await pool.fetch("SELECT data->>'deadline' AS d FROM events WHERE stream_id = $1 "
                                    "AND type = 'DeadlineBreached'", pid)
            if any(r["d"] == deadline for r in rows):
                return
            await asyncio.sleep(0.25)
        raise AssertionError(f"no {deadline} breach")

    before = {who: await figures(c) for who, c in (("district", district), ("street", street), ("beside", beside))}
    pid = (await grid.report())["id"]
    await grid.act(pid, "return", {"reason": "职能不符"})
    await breach(pid, "redispatch")  # the desk (rencheng) had a yellow card at 4 s and the red one at 8 s
    after = await figures(district)
    assert tuple(a - b for a, b in zip(after, before["district"], strict=True)) == (1, 1, 1, 1)
    assert await figures(street) == before["street"]  # the district's desk is not in the street's subtree

    await fast("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": "rc-yuehe-taibai-g1"})
    await grid.act(pid, "accept")
    await grid.act(pid, "extension-request", {"duration": {"seconds": 10}, "reason": "等配件"})
    await breach(pid, "decision")  # the community let its 5 s pass
    await community.act(pid, "extension-decision", {"approve": True})
    street_after = await figures(street)
    assert (street_after[2] - before["street"][2], street_after[3] - before["street"][3]) == (1, 1)
    assert await figures(beside) == before["beside"]
    admin = (await fast("admin", "").get("/v1/overview")).json()
    assert admin["breached_this_month"] >= admin["breached_today"] >= 2


async def test_a_422_names_each_field_in_chinese_for_a_chinese_caller_and_keeps_the_english(as_):
    """Issue 15 §8 for forms: each field's message in Chinese (shown next to the field), the English beside it."""
    agent = as_("dispatcher", "rencheng")
    zh = {"accept-language": "zh-CN"}
    missing = await agent.post("/v1/hotline/calls", {"outcome": "dispatch"}, headers=zh)
    assert missing.status_code == 422
    errors = {e["field"]: e for e in missing.json()["errors"]}
    assert errors["request_type"]["message"] == "必填。" and errors["request_type"]["message_en"] == "Field required"
    across = await agent.post("/v1/hotline/calls", {"outcome": "answered", "request_type": "consultation",
                                                    "category": "sanitation", "description": "咨询",
                                                    "grid_code": "rc-yutun-chengnan-g1"}, headers=zh)
    [reason] = across.json()["errors"]
    assert (reason["field"], reason["message"]) == ("reason", "请填写这样处理的理由。")
    long = await agent.post("/v1/hotline/calls", {"request_type": "help", "category": "sanitation",
                                                  "description": "长" * 5000, "grid_code": "rc-yutun-chengnan-g1"},
                            headers=zh)
    assert {e["field"]: e["message"] for e in long.json()["errors"]} == {"description": "不能超过 4000 个字。"}
    english = await agent.post("/v1/hotline/calls", {"outcome": "dispatch"})
    assert {e["field"]: e["message"] for e in english.json()["errors"]}["request_type"] == "Field required"
    assert all("message_en" not in e for e in english.json()["errors"])
    unknown = await agent.post("/v1/petitions", {"category": "nope", "description": "x", "grid_code":
                                                 "rc-yutun-chengnan-g1"}, headers=zh)
    assert unknown.status_code == 422 and unknown.json()["detail"] == "没有这个诉求类别。"
