"""The console (issue 15) in a real browser: Debian's chromium driven by Playwright (never a downloaded browser),
against the real stack of the integration tests — embedded PostgreSQL, the Temporal dev server, a petition worker
on the test's own queue — and the API app, as `jiehu dev` builds it (dev tokens), served by uvicorn on a loopback
port. Each test saves a screenshot of every page it visits under tests/browser/artifacts/<test>/ (git-ignored)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from api.auth import issue_token
from api.main import create_app
from api.routes.console import SOURCE_DIST
from config.settings import Settings
from domain.enums import Role
from stack.workers import petition_worker
from tests.integration.api_client import REPORT, SECRET
from tests.tools import require_tool

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 860}


def _require_console() -> None:
    if not (SOURCE_DIST / "index.html").is_file():
        message = "the console is not built: scripts/setup.sh runs `npm ci && npm run build` in console/"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = require_tool("chromium", "chromium")
    _require_console()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield launched
        await launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def site(temporal_env, postgres, pool, org, task_queue, request) -> AsyncIterator[str]:
    """The API (with the built console) on a loopback port, its worker on this test's queue: the base URL. A test
    that needs deadlines of seconds asks for the fast policy: `@pytest.mark.parametrize("site", ["fast"],
    indirect=True)`; one that needs other settings names them: `[{"jwt_jwks_url": …}]`."""
    _require_console()
    param = getattr(request, "param", {})
    overrides = {"policy": param} if isinstance(param, str) else dict(param)
    settings = Settings(**{"database_url": postgres.url(), "task_queue": task_queue, "jwt_secret": SECRET,
                           "temporal_address": temporal_env.client.service_client.config.target_host} | overrides)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, dev_tokens=True), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="console-api", daemon=True)
    async with petition_worker(temporal_env.client, pool, task_queue):
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the API did not start"
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(15)


@dataclass
class Person:
    """One person at the console: a browser page signed in with their role and unit, and the same person's API."""

    page: Page
    base: str
    role: str
    unit: str
    shots: Path
    taken: list[str] = field(default_factory=list)
    subject: str | None = None  # a named person (a visit team's cadre); None: `<role>@<unit>`

    @property
    def token(self) -> str:
        return token_of(self.role, self.unit, self.subject)

    async def open(self, path: str) -> None:
        """Go to a console page and keep a screenshot of it once it has loaded."""
        await self.page.goto(self.base + "/console" + path)
        await self.page.wait_for_load_state("networkidle")
        await self.shot(path.strip("/").split("/")[0] or "home")

    async def shot(self, name: str) -> None:
        """A screenshot of the page as it is now (tests/browser/artifacts/<test>/NN-<role>-<name>.png)."""
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{len(list(self.shots.glob('*.png'))):02d}-{self.role}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        self.taken.append(path.name)

    async def api(self, method: str, path: str, body: dict | None = None) -> dict:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as client:
            response = await client.request(method, path, json=body,
                                            headers={"authorization": f"Bearer {self.token}"})
        assert response.status_code < 300, response.text
        return response.json()


def token_of(role: str, unit: str, subject: str | None = None) -> str:
    return issue_token(SECRET, subject=subject or f"{role}@{unit or 'jiehu'}", name=f"{Role(role).label}·测试",
                       role=Role(role), unit=unit)


@pytest.fixture
async def person(browser, site, request) -> AsyncIterator:
    """`await person("grid_worker", "rc-yuehe-taibai-g1", phone=True)`: a fresh browser context signed in through
    the link `jiehu dev` prints (the token in the URL's fragment)."""
    contexts = []
    shots = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(shots, ignore_errors=True)  # this run's pages only

    async def sign_in(role: str, unit: str, *, phone: bool = False, via_link: bool = True,
                      subject: str | None = None) -> Person:
        context = await browser.new_context(viewport=PHONE if phone else DESK, locale="zh-CN",
                                            timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        who = Person(page, site, role, unit, shots, subject=subject)
        if via_link:
            await page.goto(f"{site}/console/#token={who.token}")
            await page.wait_for_load_state("networkidle")
            assert "#token" not in page.url  # taken out of the address bar at once
        who.page_errors = errors  # type: ignore[attr-defined]
        return who

    yield sign_in
    for context in contexts:
        await context.close()


async def reported(grid: Person, **overrides) -> dict:
    """A petition reported through the API by `grid`, a grid worker, in their grid."""
    return await grid.api("POST", "/v1/petitions", REPORT | {"grid_code": grid.unit} | overrides)


async def choose(page: Page, select: str, option: str) -> None:
    """Pick `option` in the Element Plus select marked `data-test=<select>`."""
    await page.locator(f'[data-test="{select}"]').click()
    await page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()
