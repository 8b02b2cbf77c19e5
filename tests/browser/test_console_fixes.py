"""A fresh tester's findings in the console (pages by URL for roles that may not use them, the hotline form's
outcomes, confirmations, notification labels, switching roles from the dashboard)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import reported

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
