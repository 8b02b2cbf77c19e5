"""Each role carries a petition through its part of the closed loop with clicks only, in Debian's chromium."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import choose, reported
from tests.integration.api_client import search_tag

# The integration tests share the session's database and fill the demo org's busiest units' worklists; the
# browser tests work in units those tests leave alone (喻屯镇), so what they look for is on a worklist's first page.
GRID = ("grid_worker", "rc-yutun-chengnan-g1")


async def test_a_grid_worker_on_a_phone_signs_in_with_the_picker_reports_and_resolves_on_the_spot(person, site):
    grid = await person(*GRID, phone=True, via_link=False)
    page = grid.page
    await grid.open("/signin")
    await page.get_by_role("button", name="网格员 · 太白社区第1网格").click()
    await expect(page.locator('[data-test="who"]')).to_contain_text("太白社区第1网格")
    await expect(page.locator('[data-test="who"]')).to_contain_text("网格员")
    await grid.shot("queue")
    await page.get_by_role("link", name="上报").click()
    await expect(page.locator('[data-test="field-grid"]')).to_contain_text("太白社区第1网格")  # their only grid
    await choose(page, "field-category", "环境卫生")
    await page.locator('[data-test="field-description"]').fill("楼道堆放杂物，影响通行")
    await page.locator('[data-test="field-address"]').fill("太白小区5号楼2单元")
    await page.locator('[data-test="field-on-the-spot"]').click()
    await page.locator('[data-test="field-result"]').fill("已当场清理")
    await page.locator('[data-test="field-evidence"]').fill("https://img.example.cn/after.jpg")
    await grid.shot("report-filled")
    await page.locator('[data-test="report-submit"]').click()
    await expect(page.locator('[data-test="report-done"]')).to_contain_text("已就地解决")
    await grid.shot("report-done")
    await page.locator('[data-test="report-open"]').click()
    timeline = page.locator('[data-test="timeline"]')
    await expect(timeline).to_contain_text("发现上报")
    await expect(timeline).to_contain_text("就地解决")
    await expect(page.get_by_text("已办结待回访").first).to_be_visible()
    await grid.shot("petition")
    assert not grid.page_errors


async def test_a_department_handler_accepts_and_resolves_from_the_queue(person):
    grid = await person(*GRID)
    dispatcher = await person("dispatcher", "rencheng")
    petition = await reported(grid)
    await dispatcher.api("POST", f"/v1/petitions/{petition['id']}/dispatch",
                         {"unit_code": "rencheng-culture-tourism", "note": "属文旅职责"})
    staff = await person("department_staff", "rencheng-culture-tourism")
    page = staff.page
    await staff.open("/queue")
    card = page.locator(f'[data-test="petition-{petition["id"]}"]')
    await expect(card).to_contain_text("小区门口垃圾堆积三天")
    await expect(card.locator(".countdown")).to_have_text(re.compile(r"剩余 .+"))
    await card.locator('[data-test="action-accept"]').click()
    await page.locator('[data-test="action-submit"]').click()
    await expect(card.locator('[data-test="action-resolve"]')).to_be_visible()
    await expect(card.locator('[data-test="action-accept"]')).to_have_count(0)
    await staff.shot("accepted")
    await card.locator('[data-test="action-resolve"]').click()
    await page.locator('[data-test="field-result"]').fill("已联系环卫清运完毕")
    await page.locator('[data-test="field-evidence"]').fill("https://img.example.cn/done.jpg")
    await staff.shot("resolve-form")
    await page.locator('[data-test="action-submit"]').click()
    await expect(card).to_have_count(0)  # resolved: off the department's queue
    await staff.open(f"/petitions/{petition['id']}")
    await expect(page.locator('[data-test="timeline"]')).to_contain_text("签收")
    await expect(page.locator('[data-test="timeline"]')).to_contain_text("已联系环卫清运完毕")
    await expect(page.get_by_text("已办结待回访").first).to_be_visible()


async def test_a_street_dispatcher_redispatches_a_returned_order(person):
    grid = await person(*GRID)
    petition = await reported(grid)
    await grid.api("POST", f"/v1/petitions/{petition['id']}/return", {"reason": "不属本网格职责"})
    dispatcher = await person("dispatcher", "rc-yutun")
    page = dispatcher.page
    await dispatcher.open("/board")
    card = page.locator(f'[data-test="petition-{petition["id"]}"]')
    await expect(card).to_contain_text("退单 1 次")
    await card.locator('[data-test="action-dispatch"]').click()
    await choose(page, "field-unit", "喻屯村第1网格")
    await page.locator('[data-test="field-note"]').fill("请喻屯村网格办理")
    await dispatcher.shot("redispatch-form")
    await page.locator('[data-test="action-submit"]').click()
    await expect(card).to_have_count(0)
    await dispatcher.open(f"/petitions/{petition['id']}")
    await expect(page.locator('[data-test="timeline"]')).to_contain_text("改派至 喻屯村第1网格")


async def test_a_return_visitor_closes_one_satisfied_and_reopens_another(person):
    grid = await person(*GRID)
    first, second = await reported(grid), await reported(grid, description="路灯不亮")
    for p in (first, second):
        await grid.api("POST", f"/v1/petitions/{p['id']}/accept")
        await grid.api("POST", f"/v1/petitions/{p['id']}/resolve", {"result": "已处理"})
    visitor = await person("return_visitor", "rc-yutun")
    page = visitor.page
    await visitor.open("/visits")
    one = page.locator(f'[data-test="petition-{first["id"]}"]')
    other = page.locator(f'[data-test="petition-{second["id"]}"]')
    await expect(one).to_contain_text("13805371234")  # the resident's phone: the return visitor's to call
    await one.locator('[data-test="visit-satisfied"]').click()
    confirm = page.get_by_role("dialog")
    await expect(confirm).to_contain_text("确认回访结果为“满意”")
    await page.keyboard.press("Escape")  # kept: nothing was sent
    await expect(confirm).to_have_count(0)
    await expect(one).to_have_count(1)
    await one.locator('[data-test="visit-satisfied"]').click()
    await confirm.get_by_role("button", name="确定").click()
    await expect(one).to_have_count(0)
    await other.locator('[data-test="visit-dissatisfied"]').click()
    await expect(confirm).to_contain_text("退回承办单位重办")
    await confirm.get_by_role("button", name="确定").focus()
    await page.keyboard.press("Enter")
    await expect(other).to_have_count(0)
    await visitor.shot("visited")
    assert (await visitor.api("GET", f"/v1/petitions/{first['id']}"))["status"] == "closed"
    reopened = await visitor.api("GET", f"/v1/petitions/{second['id']}")
    assert reopened["status"] == "dispatched" and reopened["reopens"] == 1
    await visitor.open(f"/petitions/{second['id']}")
    await expect(page.locator('[data-test="timeline"]')).to_contain_text("重办")


async def test_a_supervisor_sees_the_dashboard_move(person):
    supervisor = await person("supervisor", "rencheng")
    page = supervisor.page
    await supervisor.open("/dashboard")
    before = int(await page.locator('[data-test="open-count"]').inner_text())
    today = int(await page.locator('[data-test="reported-today"]').inner_text())
    await expect(page.locator("canvas").first).to_be_visible()  # ECharts drew
    await reported(await person(*GRID))
    await supervisor.open("/dashboard")
    await expect(page.locator('[data-test="open-count"]')).to_have_text(str(before + 1))
    await expect(page.locator('[data-test="reported-today"]')).to_have_text(str(today + 1))
    async with page.expect_download() as download:  # an export is one click away, with the person's token
        await page.get_by_role("button", name="街道排名").click()
    saved = await download.value
    assert saved.suggested_filename.startswith("街道排名-") and saved.suggested_filename.endswith(".xlsx")
    assert (await saved.path()).read_bytes()[:2] == b"PK"  # an XLSX file, not a problem


async def test_a_role_that_may_not_act_sees_no_button_and_a_refusal_is_shown_in_words(person, site):
    grid = await person(*GRID)
    petition = await reported(grid)
    auditor = await person("auditor", "rencheng")
    await auditor.open(f"/petitions/{petition['id']}")
    await expect(auditor.page.locator('[data-test="description"]')).to_contain_text("小区门口垃圾堆积三天")
    await expect(auditor.page.locator('[data-test^="action-"]')).to_have_count(0)
    assert "陈秀英" not in await auditor.page.content()  # masked for the auditor, as the API answers
    # a forged request from the auditor's page: the API refuses it, in Chinese
    answer = await auditor.page.evaluate("""async ([id, token]) => {
        const r = await fetch(`/v1/petitions/${id}/accept`, {method: 'POST', headers: {
            authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'zh-CN'},
            body: '{}'});
        return [r.status, (await r.json()).detail];
    }""", [petition["id"], auditor.token])
    assert answer[0] == 403 and "您的角色不能执行此操作" in answer[1]
    # a page left open while the order moved on: the button is still there, the API's refusal is shown in words
    await grid.open(f"/petitions/{petition['id']}")
    await grid.api("POST", f"/v1/petitions/{petition['id']}/escalate", {"reason": "需社区协调"})
    await grid.page.locator('[data-test="action-accept"]').click()
    await grid.page.locator('[data-test="action-submit"]').click()
    refusal = grid.page.locator('[data-test="action-error"]')
    await expect(refusal).to_contain_text("这件诉求已转到城南张村办理")  # moved on: a 409 (issue 16 §2)
    await grid.shot("refused")


async def test_a_script_in_a_description_is_shown_as_text(person):
    grid = await person(*GRID)
    hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">楼道漏水'
    petition = await reported(grid, description=hostile, address="<b>太白小区</b>")
    await grid.open(f"/petitions/{petition['id']}")
    description = grid.page.locator('[data-test="description"]')
    await expect(description).to_have_text(hostile)
    assert await description.locator("script, img").count() == 0
    await grid.open("/queue")
    await expect(grid.page.get_by_text(hostile)).to_be_visible()
    assert await grid.page.evaluate("window.__pwned") is None
    assert not grid.page_errors


async def test_a_handler_accepts_by_keyboard_alone(person):
    grid = await person(*GRID)
    petition = await reported(grid)
    await grid.open(f"/petitions/{petition['id']}")
    page = grid.page
    await page.locator('[data-test="action-accept"]').focus()
    await page.keyboard.press("Enter")
    await page.locator('[data-test="action-submit"]').focus()
    await page.keyboard.press("Enter")
    await expect(page.locator('[data-test="action-resolve"]')).to_be_visible()
    await page.locator('[data-test="action-resolve"]').focus()
    await page.keyboard.press("Enter")
    await page.locator('[data-test="field-result"]').focus()
    await page.keyboard.type("已清运")
    await page.keyboard.press("Tab")
    await page.keyboard.type("https://img.example.cn/k.jpg")
    await grid.shot("resolve-by-keyboard")
    await page.locator('[data-test="action-submit"]').focus()
    await page.keyboard.press("Enter")
    await expect(page.locator('[data-test="action-resolve"]')).to_have_count(0)
    assert (await grid.api("GET", f"/v1/petitions/{petition['id']}"))["status"] == "resolved"


async def test_a_report_sent_while_offline_is_kept_and_sent_once_when_the_network_returns(person):
    grid = await person(*GRID, phone=True)
    page = grid.page
    await grid.open("/report")
    await choose(page, "field-category", "环境卫生")
    tag = search_tag()
    await page.locator('[data-test="field-description"]').fill(f"井盖缺失 {tag}")
    await page.context.set_offline(True)
    await page.locator('[data-test="report-submit"]').click()
    await expect(page.locator('[data-test="offline-pending"]')).to_be_visible()
    await grid.shot("offline-pending")
    await page.context.set_offline(False)  # the browser fires `online`: the pending report is sent again
    await expect(page.locator('[data-test="report-done"]')).to_be_visible()
    await expect(page.locator('[data-test="offline-pending"]')).to_have_count(0)
    await grid.shot("sent")
    assert len((await grid.api("GET", f"/v1/petitions?mine=true&q={tag}"))["items"]) == 1


async def test_a_report_whose_answer_was_lost_is_resent_with_its_key_and_makes_one_petition(person):
    grid = await person(*GRID, phone=True)
    page = grid.page
    await grid.open("/report")
    await choose(page, "field-category", "环境卫生")
    tag = search_tag()
    await page.locator('[data-test="field-description"]').fill(f"路面塌陷 {tag}")

    async def lose_the_answer(route):  # the report reaches the API, its answer never reaches the phone
        await route.fetch()
        await route.abort("internetdisconnected")

    await page.route("**/v1/petitions", lose_the_answer)
    await page.locator('[data-test="report-submit"]').click()
    await expect(page.locator('[data-test="offline-pending"]')).to_be_visible()
    assert len((await grid.api("GET", f"/v1/petitions?mine=true&q={tag}"))["items"]) == 1  # made once already
    await page.unroute("**/v1/petitions")
    await page.reload()  # the pending send lives on the device: opening the page again sends it, same key
    await expect(page.locator('[data-test="report-done"]')).to_be_visible()
    await grid.shot("resent")
    assert len((await grid.api("GET", f"/v1/petitions?mine=true&q={tag}"))["items"]) == 1  # still one


async def test_the_rung_above_decides_an_extension_from_its_queue(person):
    grid = await person("grid_worker", "rc-yutun-yutun-g1")
    petition = await reported(grid)
    await grid.api("POST", f"/v1/petitions/{petition['id']}/accept")
    await grid.api("POST", f"/v1/petitions/{petition['id']}/extension-request",
                   {"duration": {"whole_working_days": 2}, "reason": "需协调物业"})
    community = await person("community_staff", "rc-yutun-yutun")
    page = community.page
    await community.open("/queue")
    card = page.locator(f'[data-test="petition-{petition["id"]}"]')
    await expect(card).to_contain_text("待审批：延期申请")
    await expect(card.locator('[data-test="action-accept"]')).to_have_count(0)  # not the community's order
    await card.locator('[data-test="action-extension-decision"]').click()
    await page.locator('[data-test="field-note"]').fill("同意延期两个工作日")
    await page.locator('[data-test="action-submit"]').click()
    await expect(card).to_have_count(0)
    decided = await community.api("GET", f"/v1/petitions/{petition['id']}")
    assert decided["pending_decision"] is None and decided["status"] == "accepted"
    await community.open(f"/petitions/{petition['id']}")
    await expect(page.locator('[data-test="timeline"]')).to_contain_text("同意延期")


async def test_a_point_on_the_grid_map_is_sent_with_the_report(person):
    grid = await person(*GRID, phone=True)
    page = grid.page
    await grid.open("/report")
    await choose(page, "field-category", "环境卫生")
    tag = search_tag()
    await page.locator('[data-test="field-description"]').fill(f"树枝折断 {tag}")
    shape = page.locator('[data-test="grid-map"] polygon').first  # the grid's boundary, drawn from the org data
    await shape.click()  # its middle
    await expect(page.get_by_text("已选位置：")).to_be_visible()
    await grid.shot("map-point")
    await page.locator('[data-test="report-submit"]').click()
    await expect(page.locator('[data-test="report-done"]')).to_be_visible()
    [made] = (await grid.api("GET", f"/v1/petitions?mine=true&q={tag}"))["items"]
    assert made["grid_code"] == GRID[1] and made["latitude"] is not None and made["longitude"] is not None


async def test_a_second_report_of_the_same_problem_gets_the_duplicate_hint_and_the_dispatcher_merges_it(person):
    grid = await person(*GRID)
    tag = search_tag()
    first = await reported(grid, description=f"小区东门路灯不亮 {tag}")
    page = grid.page
    await grid.open("/report")
    await choose(page, "field-category", "环境卫生")
    await page.locator('[data-test="field-description"]').fill(f"小区东门路灯不亮 {tag}")
    await page.locator('[data-test="report-submit"]').click()
    hint = page.locator('[data-test="duplicate-hint"]')
    await expect(hint).to_contain_text(first["id"])  # intake's candidates, shown at once
    await grid.shot("duplicate-hint")
    mine = (await grid.api("GET", f"/v1/petitions?mine=true&q={tag}"))["items"]
    [second] = [p for p in mine if p["id"] != first["id"]]
    await grid.api("POST", f"/v1/petitions/{second['id']}/return", {"reason": "与已报诉求重复"})
    dispatcher = await person("dispatcher", "rc-yutun")
    board = dispatcher.page
    await dispatcher.open("/board")
    card = board.locator(f'[data-test="petition-{second["id"]}"]')
    await card.locator('[data-test="action-merge"]').click()
    await choose(board, "field-into", first["id"])
    await board.locator('[data-test="field-reason"]').fill("同一路灯")
    await dispatcher.shot("merge-form")
    await board.locator('[data-test="action-submit"]').click()
    await expect(card).to_have_count(0)
    merged = await dispatcher.api("GET", f"/v1/petitions/{second['id']}")
    assert (merged["status"], merged["close_outcome"], merged["duplicate_of"]) == ("closed", "duplicate", first["id"])
    await dispatcher.open(f"/petitions/{first['id']}")
    await expect(board.locator('[data-test="timeline"]')).to_contain_text(f"由 {second['id']} 合并而来")


async def test_re_dispatch_offers_only_units_that_can_hold_an_order(person):
    """A fresh tester's finding: the district dispatcher's 改派 list offered compounds (小区), which the API refuses:
    a compound is org data, nobody works in it."""
    grid = await person(*GRID)
    petition = await reported(grid)
    await grid.api("POST", f"/v1/petitions/{petition['id']}/return", {"reason": "不属本网格职责"})
    dispatcher = await person("dispatcher", "rencheng")
    page = dispatcher.page
    await dispatcher.open("/board")
    card = page.locator(f'[data-test="petition-{petition["id"]}"]')
    await card.locator('[data-test="action-dispatch"]').click()
    await page.locator('[data-test="field-unit"]').click()
    options = page.locator(".el-select-dropdown__item:visible")
    await expect(options.first).to_be_visible()
    texts = await page.locator(".el-select-dropdown__item").all_inner_texts()
    assert any("（网格）" in t for t in texts) and any("部门" in t or "局" in t for t in texts), texts[:20]
    assert not [t for t in texts if "（小区）" in t], [t for t in texts if "（小区）" in t][:5]
