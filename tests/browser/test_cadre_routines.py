"""The routines cadres could only reach by curl, now pages of the console (issue 15, in Debian's chromium): the hotline
agent's call form, the 物业110 desk, a visit team's day (民意"5"来听), the supervisor's 准予再次退单, appeals and their
decisions, corrections and publishing of the scorecards, and who was told what about a petition. Each is offered only
to the roles that may use it, and a refusal is shown in Chinese next to the field it names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from playwright.async_api import Page, expect

from tests.browser.conftest import Person, choose, reported
from tests.browser.test_console import GRID


def field_error(page: Page, test_id: str):
    """The error Element Plus shows under the form item holding `[data-test=test_id]`."""
    item = page.locator(".el-form-item", has=page.locator(f'[data-test="{test_id}"]')).last
    return item.locator(".el-form-item__error")


async def menu(who: Person) -> list[str]:
    return [t.strip() for t in await who.page.locator("nav.nav a").all_inner_texts()]


async def test_a_hotline_agent_records_calls_and_a_missing_field_is_named_next_to_it_in_chinese(person):
    agent = await person("dispatcher", "rencheng")
    page = agent.page
    await agent.open("/hotline")
    assert "热线受理" in await menu(agent)
    await page.locator('[data-test="hotline-submit"]').click()  # nothing filled in
    await expect(field_error(page, "field-request-type")).to_be_visible()
    await expect(field_error(page, "field-request-type")).to_have_text(re.compile(r"[\u4e00-\u9fff]"))  # Chinese
    await expect(page.locator('[data-test="hotline-error"]')).to_contain_text("填写的内容有误")
    await agent.shot("hotline-field-errors")

    # a consultation answered on the call: closed at intake, with the answer
    await page.locator('[data-test="outcome-answered"]').click()
    await choose(page, "field-request-type", "咨询")
    await choose(page, "field-category", "环境卫生")
    await page.locator('[data-test="field-description"]').fill("咨询垃圾分类投放时间")
    await choose(page, "field-grid", "喻屯村第1网格")
    await page.locator('[data-test="field-answer"]').fill("每天早7点至9点、晚6点至8点")
    await page.locator('[data-test="field-reason"]').fill("政策咨询，已当场解答")
    await page.locator('[data-test="field-caller-phone"]').fill("13805370001")
    await page.locator('[data-test="hotline-submit"]').click()
    done = page.locator('[data-test="hotline-done"]')
    await expect(done).to_contain_text("当场解答")
    await expect(done).to_contain_text("已结案")
    await agent.shot("hotline-answered")

    # an ordinary call: a work order for the grid
    await page.locator('[data-test="outcome-dispatch"]').click()
    await choose(page, "field-request-type", "求助")
    await choose(page, "field-category", "环境卫生")
    await page.locator('[data-test="field-description"]').fill("村口路灯不亮")
    await choose(page, "field-grid", "喻屯村第1网格")
    await page.locator('[data-test="hotline-submit"]').click()
    await expect(done).to_contain_text("派单办理")
    await page.locator('[data-test="hotline-open"]').click()
    await expect(page.locator('[data-test="timeline"]')).to_contain_text("村口路灯不亮")
    # a grid worker is no hotline agent: no such page in the menu
    assert "热线受理" not in await menu(await person(*GRID))


async def test_the_property_desk_sends_a_call_to_the_company_that_serves_the_compound(person):
    desk = await person("street_staff", "qf-lucheng")
    page = desk.page
    await desk.open("/property-hotline")
    await choose(page, "field-compound", "西关小区")
    await expect(page.locator('[data-test="compound-company"]')).to_contain_text("曲阜星河物业管理有限公司")
    await page.locator('[data-test="property-submit"]').click()  # no description
    await expect(field_error(page, "field-description")).to_be_visible()
    await page.locator('[data-test="field-description"]').fill("楼道灯坏了一个月没人修")
    await page.locator('[data-test="field-address"]').fill("3号楼2单元")
    await page.locator('[data-test="field-caller-phone"]').fill("13805370002")
    await page.locator('[data-test="property-submit"]').click()
    await expect(page.locator('[data-test="property-done"]')).to_contain_text("曲阜星河物业管理有限公司")
    await desk.shot("property-done")
    assert "物业110" not in await menu(await person("return_visitor", "rencheng"))


async def test_a_visit_team_records_a_matter_of_its_round_and_ends_it_and_another_cadre_is_refused(person, pool, org):
    from config.reference_data import work_calendar
    from services.visit_days import VisitDesk

    rounds = await VisitDesk(pool, work_calendar).open_rounds(org, date(2025, 5, 15),
                                                              datetime(2025, 5, 15, 0, 30, tzinfo=UTC))
    [rid] = [r for r in rounds if r.startswith("visit-round-vt-rc-changgou-")]
    outsider = await person("department_staff", "rencheng-health", subject="rc-wjj-lichao")  # 李超: another team
    await outsider.open("/visit-days")
    card = outsider.page.locator(f'[data-test="round-{rid}"]')
    await card.locator('[data-test="round-close"]').click()
    await expect(card.locator('[role="alert"]')).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
    await outsider.shot("refused")

    cadre = await person("department_staff", "rencheng-water", subject="rc-slj-hujun")  # 胡军 of vt-rc-changgou
    page = cadre.page
    await cadre.open("/visit-days")
    card = page.locator(f'[data-test="round-{rid}"]')
    await expect(card).to_contain_text("长沟镇红色帮办团第1组")
    await expect(page.get_by_text("胡军（任城区水务局）")).to_be_visible()
    await card.locator('[data-test="round-record"]').click()
    await choose(page, "field-category", "环境卫生")
    await choose(page, "field-grid", "第1网格")
    await page.locator('[data-test="field-description"]').fill("村西头排水沟堵塞")
    await page.locator('[data-test="field-on-the-spot"]').click()
    await page.locator('[data-test="field-result"]').fill("已协调村里当场清掏")
    await page.locator('[data-test="matter-submit"]').click()
    await expect(page.locator('[data-test="field-evidence"]')).to_be_visible()  # still open: evidence is missing
    await expect(field_error(page, "field-evidence")).to_be_visible()
    await page.locator('[data-test="field-evidence"]').fill("https://img.example.cn/ditch.jpg")
    await cadre.shot("matter-form")
    await page.locator('[data-test="matter-submit"]').click()
    await expect(card).to_contain_text("已收集 1 件")
    await card.locator('[data-test="round-close"]').click()
    await expect(card).to_have_count(0)  # no longer open
    await cadre.shot("round-closed")


async def test_a_supervisor_lets_a_unit_return_a_final_order_once_more(person):
    grid = await person(*GRID)
    petition = await reported(grid)
    await grid.api("POST", f"/v1/petitions/{petition['id']}/return", {"reason": "不属本网格职责"})
    await (await person("dispatcher", "rc-yutun")).api(
        "POST", f"/v1/petitions/{petition['id']}/dispatch", {"unit_code": GRID[1], "note": "核实属本网格"})
    refused = await grid.page.request.post(  # 终审: the second return is refused
        f"{grid.base}/v1/petitions/{petition['id']}/return", data={"reason": "仍不属本网格"},
        headers={"authorization": f"Bearer {grid.token}"})
    assert refused.status == 409, await refused.text()
    supervisor = await person("supervisor", "rc-yutun")
    page = supervisor.page
    await supervisor.open("/board")
    card = page.locator(f'[data-test="petition-{petition["id"]}"]')
    await card.locator('[data-test="action-allow-return"]').click()
    await page.locator('[data-test="field-reason"]').fill("经核实确属职能交叉，准予再次退单")
    await supervisor.shot("allow-return")
    await page.locator('[data-test="action-submit"]').click()
    await supervisor.open(f"/petitions/{petition['id']}")
    await expect(page.locator('[data-test="timeline"]')).to_contain_text("经核实确属职能交叉")
    await grid.api("POST", f"/v1/petitions/{petition['id']}/return", {"reason": "仍不属本网格"})  # allowed now


async def test_a_unit_appeals_its_record_and_the_supervisor_upholds_it_then_corrects_and_publishes(person):
    grid = await person(*GRID)
    petition = await reported(grid)
    pid = petition["id"]
    await grid.api("POST", f"/v1/petitions/{pid}/return", {"reason": "不属本网格职责"})
    await (await person("dispatcher", "rc-yutun")).api("POST", f"/v1/petitions/{pid}/dispatch",
                                                        {"unit_code": GRID[1], "note": "核实属本网格"})
    await grid.api("POST", f"/v1/petitions/{pid}/accept", {})
    await grid.api("POST", f"/v1/petitions/{pid}/resolve", {"result": "已清理"})
    await (await person("return_visitor", "rencheng")).api("POST", f"/v1/petitions/{pid}/return-visit",
                                                          {"outcome": "satisfied"})
    page = grid.page
    for _ in range(40):  # the evaluation's read model follows the log
        await grid.open("/evaluation")
        if await page.locator(f'[data-test="appeal-{pid}"]').count():
            break
        await page.wait_for_timeout(500)
    await page.locator(f'[data-test="appeal-{pid}"]').click()
    await page.locator('[data-test="appeal-submit"]').click()  # nothing chosen: named by field
    await expect(field_error(page, "field-waive")).to_be_visible()
    # only the waivers that apply to the record: a return, accepted and resolved in time, satisfied
    await expect(page.locator('[data-test^="waive-"]')).to_have_count(1)
    await expect(page.locator('[data-test="waive-dissatisfaction"]')).to_have_count(0)
    await page.locator('[data-test="waive-return"]').click()
    await page.locator('[data-test="field-appeal-reason"]').fill("退单系派单目录错误所致")
    await grid.shot("appeal-form")
    await page.locator('[data-test="appeal-submit"]').click()
    row = page.locator(f'[data-test="appeal-row-{pid}"]')
    await expect(row).to_contain_text("待处理")
    await expect(row.locator('[data-test="appeal-uphold"]')).to_have_count(0)  # not the unit's own to decide

    supervisor = await person("supervisor", "rc-yutun")
    await supervisor.open("/evaluation")
    row = supervisor.page.locator(f'[data-test="appeal-row-{pid}"]')
    await row.locator('[data-test="appeal-uphold"]').click()
    await supervisor.page.locator('[data-test="field-decision-reason"]').fill("情况属实，退单不计")
    await supervisor.page.locator('[data-test="decision-submit"]').click()
    await expect(row).to_contain_text("已支持")
    await expect(row).to_contain_text("情况属实，退单不计")
    await supervisor.shot("appeal-upheld")
    # a correction of another part of the record, by the supervisor
    spage = supervisor.page
    await spage.locator('[data-test="field-correction-petition"]').fill(pid)
    await choose(spage, "field-correction-unit", "城南张村第1网格")
    await spage.get_by_text("升级不计").click()
    await spage.locator('[data-test="field-correction-reason"]').fill("复核更正")
    await spage.locator('[data-test="correction-submit"]').click()
    # exact: the toast of the appeal upheld above ("已支持申诉，考评已更正") may still be on screen
    await expect(spage.get_by_text("考评已更正", exact=True)).to_be_visible()
    assert "考评申诉" in await menu(supervisor)

    admin = await person("admin", "")
    await admin.open("/evaluation")
    await admin.page.locator('[data-test="publish-submit"]').click()
    await expect(admin.page.locator('[data-test="edition"]')).to_contain_text(re.compile(r"第 \d+ 版"))
    await admin.shot("published")
    await expect(supervisor.page.locator('[data-test="publish-submit"]')).to_have_count(0)  # the city level's


async def test_a_petitions_notifications_are_listed_and_the_return_visitor_records_an_opt_out(person):
    grid = await person(*GRID)
    petition = await reported(grid)
    visitor = await person("return_visitor", "rencheng")
    page = visitor.page
    await visitor.open(f"/petitions/{petition['id']}")
    await page.locator('[data-test="notifications-load"]').click()
    await expect(page.locator('[data-test="notifications"], .el-empty').first).to_be_visible()
    await page.get_by_text("退订").click()
    await page.locator('[data-test="field-sms-reason"]').fill("群众来电表示不需要短信")
    await page.locator('[data-test="sms-submit"]').click()
    await expect(page.get_by_text("已退订短信通知")).to_be_visible()
    await visitor.shot("notifications")
    await grid.open(f"/petitions/{petition['id']}")
    await expect(grid.page.locator('[data-test="sms-submit"]')).to_have_count(0)  # not a grid worker's to record
