"""Issue 15 §7 and §10 in Debian's chromium: the supervisor's dashboard shows the yellow cards and breaches given today
and this month (and they move when a deadline passes), and the grid worker's phone (390×844) shows the queue and the
dashboard without a sideways scroll, every action within reach of a thumb."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import reported
from tests.browser.test_console import GRID

CARD_FIGURES = ("warned-today", "warned-month", "breached-today", "breached-month")


async def _figures(page: Page) -> dict[str, int]:
    await expect(page.locator('[data-test="cards-given"]')).to_be_visible()
    return {name: int(await page.locator(f'[data-test="{name}"]').inner_text()) for name in CARD_FIGURES}


async def _no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
                                 " document.body.scrollWidth]")
    assert widths[0] <= widths[1] and widths[2] <= widths[1], f"the page scrolls sideways: {widths}"


@pytest.mark.parametrize("site", ["fast"], indirect=True)  # deadlines of seconds: the desk re-dispatches within 8 s
async def test_the_dashboard_counts_the_warnings_and_breaches_of_today_and_this_month(person):
    supervisor = await person("supervisor", "rencheng")
    page = supervisor.page
    await supervisor.open("/dashboard")
    before = await _figures(page)
    assert before["warned-month"] >= before["warned-today"] and before["breached-month"] >= before["breached-today"]
    grid = await person(*GRID)
    petition = await reported(grid)
    await grid.api("POST", f"/v1/petitions/{petition['id']}/return", {"reason": "职能不符"})
    for _ in range(120):  # the district's desk gets its yellow card at 4 s and its red one at 8 s
        if (await supervisor.api("GET", f"/v1/petitions/{petition['id']}"))["deadline_state"] == "overdue":
            break
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("the re-dispatch deadline never passed")
    await supervisor.open("/dashboard")
    after = await _figures(page)
    for name in CARD_FIGURES:  # other petitions of the session may be carded meanwhile: at least this one's
        assert after[name] >= before[name] + 1, (name, before, after)
    await expect(page.locator('[data-test="cards-given"]')).to_contain_text("今日超期")
    await supervisor.shot("dashboard-cards")


async def test_a_grid_worker_on_a_phone_reaches_every_action_without_a_sideways_scroll(person):
    grid = await person(*GRID, phone=True)
    petition = await reported(grid, description="井盖松动，车辆经过有响声")
    page = grid.page
    await grid.open("/queue")
    await _no_sideways_scroll(page)
    card = page.locator(f'[data-test="petition-{petition["id"]}"]')
    await expect(card).to_contain_text("井盖松动")
    accept = card.locator('[data-test="action-accept"]')
    await accept.scroll_into_view_if_needed()
    box = await accept.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # inside the screen's width
    assert box["height"] >= 28  # big enough to hit with a thumb
    await accept.click()
    await page.locator('[data-test="action-submit"]').click()
    resolve = card.locator('[data-test="action-resolve"]')
    await expect(resolve).to_be_visible()
    await _no_sideways_scroll(page)
    await resolve.click()
    dialog = page.locator(".el-dialog")
    dialog_box = await dialog.bounding_box()
    assert dialog_box is not None and dialog_box["x"] >= 0 and dialog_box["x"] + dialog_box["width"] <= 390
    await page.locator('[data-test="field-result"]').fill("已更换井盖")
    await grid.shot("resolve-on-phone")
    await page.locator('[data-test="action-submit"]').click()
    await expect(card).to_have_count(0)
    # the menu is reachable on the phone too, and the dashboard fits
    street = await person("street_staff", "rc-yutun", phone=True)
    await street.open("/dashboard")
    await expect(street.page.locator('[data-test="cards-given"]')).to_be_visible()
    await expect(street.page.locator("canvas").first).to_be_visible()
    await _no_sideways_scroll(street.page)
    await expect(street.page.get_by_role("link", name="待办")).to_be_visible()
    await street.shot("dashboard-on-phone")
