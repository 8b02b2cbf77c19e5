"""Script in a petition's text is shown as text (issue 16 §3): in the detail page and on the queue no dialog
opens, no injected element exists and no injected code runs; the words are there, as they were written."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import reported
from tests.browser.test_console import GRID

SCRIPT = "<script>window.__pwned='script';alert('script')</script>"
IMG = "\"><img src=x id=injected onerror=\"window.__pwned='img';alert('img')\">"
SVG = "<svg onload=alert('svg')><a href=javascript:alert('a')>点我</a>"


async def _nothing_ran(page, dialogs: list[str]) -> None:
    assert dialogs == []
    assert await page.evaluate("window.__pwned") is None
    assert await page.locator("#injected").count() == 0
    assert await page.locator("svg[onload], a[href^='javascript']").count() == 0
    scripts = await page.evaluate("[...document.scripts].map(s => s.textContent).join(' ')")
    assert "__pwned" not in scripts


async def test_script_in_a_petition_is_shown_as_text_in_the_detail_page_and_the_queue(person):
    grid = await person(*GRID)
    page = grid.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    waiting = await reported(grid, description=f"楼道堆物 {SCRIPT}", address=IMG)
    done = await reported(grid, description=f"路灯不亮 {IMG}", reporter_name="<b>陈</b>")
    await grid.api("POST", f"/v1/petitions/{done['id']}/accept")
    await grid.api("POST", f"/v1/petitions/{done['id']}/progress", {"note": SVG})
    await grid.api("POST", f"/v1/petitions/{done['id']}/resolve", {"result": f"已修复 {SCRIPT} {IMG}"})

    await grid.open("/queue")
    card = page.locator(f'[data-test="petition-{waiting["id"]}"]')
    await expect(card).to_contain_text(f"楼道堆物 {SCRIPT}")
    await _nothing_ran(page, dialogs)
    await grid.shot("queue-with-script")

    await grid.open(f"/petitions/{done['id']}")
    await expect(page.get_by_text(f"路灯不亮 {IMG}").first).to_be_visible()
    timeline = page.locator('[data-test="timeline"]')
    await expect(timeline).to_contain_text(f"已修复 {SCRIPT} {IMG}")
    await expect(timeline).to_contain_text(SVG)
    await _nothing_ran(page, dialogs)
    await grid.shot("detail-with-script")

    await grid.open(f"/petitions/{waiting['id']}")
    await expect(page.get_by_text(IMG).first).to_be_visible()
    await _nothing_ran(page, dialogs)
    assert not grid.page_errors
