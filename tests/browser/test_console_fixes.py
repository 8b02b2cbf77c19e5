"""A fresh tester's findings in the console (pages by URL for roles that may not use them, the hotline form's
outcomes, confirmations, notification labels, switching roles from the dashboard)."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import choose, reported

GRID = ("grid_worker", "rc-yutun-chengnan-g1")


async def test_pages_reached_by_url_by_roles_that_may_not_use_them_say_so_instead_of_showing_forms(person):
    grid = await person(*GRID)
    await reported(grid)  # an unaccepted work order of the grid: /v1/queue gives it to the grid worker
    page = grid.page
    for path in ("/visits", "/hotline", "/board", "/property-hotline"):
        await grid.open(path)
        refusal = page.locator('[data-test="not-for-role"]')
        await expect(refusal).to_contain_text("您的角色不能使用此页面")
        await expect(page.locator('[data-test="visit-satisfied"]')).to_have_count(0)
        await expect(page.locator("form")).to_have_count(0)
    await page.locator('[data-test="go-home"]').click()
    await expect(page.locator('[data-test="not-for-role"]')).to_have_count(0)
    auditor = await person("auditor", "rencheng")
    await auditor.open("/report")
    await expect(auditor.page.locator('[data-test="not-for-role"]')).to_contain_text("您的角色不能使用此页面")
    await expect(auditor.page.locator('[data-test="report-submit"]')).to_have_count(0)
    assert not grid.page_errors and not auditor.page_errors


async def test_switching_roles_from_the_dashboard_raises_no_error(person):
    supervisor = await person("supervisor", "rencheng", via_link=False)
    page = supervisor.page
    logged: list[str] = []  # Vue reports a render's error on the console (it does not throw it)
    page.on("console", lambda message: logged.append(message.text) if message.type == "error" else None)
    await supervisor.open("/signin")
    await page.get_by_role("button", name="督办员 · 任城区").click()
    await expect(page.locator('[data-test="who"]')).to_contain_text("督办员")
    await supervisor.open("/dashboard")
    await page.get_by_role("button", name="切换角色").click()
    await expect(page.get_by_role("button", name="督办员 · 任城区")).to_be_visible()
    await page.wait_for_timeout(300)
    assert not supervisor.page_errors, supervisor.page_errors
    assert not [line for line in logged if "TypeError" in line], logged


async def test_an_anonymous_consultation_answered_on_the_phone_is_sent_and_the_form_says_what_it_needs(person):
    agent = await person("dispatcher", "rencheng")
    page = agent.page
    await agent.open("/hotline")
    await page.locator('[data-test="outcome-answered"]').click()
    grid = page.locator(".el-form-item", has=page.locator('[data-test="field-grid"]'))
    await expect(grid).to_have_class(re.compile(r"is-required"))  # the API records every call in a grid
    await expect(page.locator('[data-test="grid-hint"]')).to_contain_text("不派单的来电也按事项所在网格登记")
    await page.locator('[data-test="field-anonymous"]').click()
    await expect(page.locator('[data-test="field-caller-phone"]')).to_have_count(0)
    await choose(page, "field-request-type", "咨询")
    await choose(page, "field-category", "环境卫生")
    await page.locator('[data-test="field-description"]').fill("咨询大件垃圾怎么处理")
    await choose(page, "field-grid", "喻屯村第1网格")
    await page.locator('[data-test="field-answer"]').fill("拨打社区电话预约上门收运")
    await page.locator('[data-test="field-reason"]').fill("政策咨询，已当场解答")
    await page.locator('[data-test="hotline-submit"]').click()
    done = page.locator('[data-test="hotline-done"]')
    await expect(done).to_contain_text("当场解答")
    await expect(done).to_contain_text("已结案")
    assert not agent.page_errors


async def test_long_text_is_never_cut_it_is_refused_under_the_field_and_long_cards_fold(person):
    grid = await person("grid_worker", "rc-yutun-yutun-g2")  # a grid no other browser test fills
    long = "楼道堆放杂物" * 700  # 4200 characters
    folded = await reported(grid, description="井盖缺失" * 100)  # 400 characters: folded on the card
    page = grid.page
    await grid.open("/queue")
    card = page.locator(f'[data-test="petition-{folded["id"]}"]')
    await expect(card.locator('[data-test="description"]')).to_have_class(re.compile("clamped"))
    await card.locator('[data-test="toggle-description"]').click()
    await expect(card.locator('[data-test="description"]')).not_to_have_class(re.compile("clamped"))
    await grid.open("/report")
    await choose(page, "field-category", "环境卫生")
    field = page.locator('[data-test="field-description"]')
    await field.fill(long)
    assert len(await field.input_value()) == 4200  # kept as pasted, not cut at 4000
    await expect(page.locator('[data-test="too-long"]').first).to_contain_text("内容超过 4000 字")
    await expect(page.locator('[data-test="counter"]').first).to_contain_text("4200 / 4000")
    await page.locator('[data-test="report-submit"]').click()
    item = page.locator(".el-form-item", has=field)
    await expect(item.locator(".el-form-item__error")).to_contain_text("4000")  # the API's 422, under the field
    await expect(page.locator('[data-test="report-done"]')).to_have_count(0)



async def test_the_dev_picker_signs_in_a_visit_team_cadre_and_says_how_rounds_open(person):
    cadre = await person("department_staff", "rencheng-housing", via_link=False)
    page = cadre.page
    await cadre.open("/signin")
    await page.get_by_role("button", name="帮办团成员 · 刘红 (越河街道红色帮办团第1组)").click()
    await expect(page.locator('[data-test="who"]')).to_contain_text("刘红")
    supervisor = await person("supervisor", "rencheng")
    await supervisor.open("/visit-days")
    await expect(supervisor.page.locator('[data-test="rounds-how"]')).to_contain_text("每月5日、15日、25日")
