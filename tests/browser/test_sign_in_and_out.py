"""Issue 15 §1 in Debian's chromium: signing out, and what an expired sign-in does (a 401 sends the person to sign in
with the reason, and back to the page they were on) — with a dev token, and with the identity provider's OpenID
Connect sign-in against a local stand-in provider (authorization code with PKCE, a refresh token when the access
token expires, and the provider's end_session_endpoint on sign-out)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.async_api import expect

from api.auth import issue_token
from domain.enums import Role
from tests.browser.conftest import DESK
from tests.integration.api_client import SECRET


async def test_an_expired_dev_token_sends_the_person_to_sign_in_and_back_and_sign_out_forgets_them(person, site):
    grid = await person("grid_worker", "rc-yutun-chengnan-g1", via_link=False)
    page = grid.page
    expires = time.time() + 6
    short = issue_token(SECRET, subject="grid@short", name="网格员·短", role=Role.GRID_WORKER,
                        unit="rc-yutun-chengnan-g1", hours=6 / 3600)
    await page.goto(f"{site}/console/#token={short}")
    await expect(page.locator('[data-test="who"]')).to_contain_text("网格员·短")
    await page.wait_for_load_state("networkidle")  # the queue loaded while the token was good
    await asyncio.sleep(max(0.0, expires - time.time()) + 1.5)  # then its six seconds pass
    await page.get_by_role("link", name="诉求查询").click()
    await expect(page.locator('[data-test="signin-why"]')).to_have_text("登录已过期，请重新登录。")
    assert page.url.endswith("/console/signin?expired=1&next=/petitions")
    await grid.shot("expired")
    await page.get_by_role("button", name="网格员 · 太白社区第1网格").click()  # signs in again: back where they were
    await expect(page).to_have_url(f"{site}/console/petitions")
    await page.locator('[data-test="sign-out"]').click()
    await expect(page.locator('[data-test="signin-why"]')).to_have_text("您已退出登录。")
    assert await page.evaluate("() => sessionStorage.getItem('jiehu.token')") is None
    await page.goto(f"{site}/console/queue")
    await expect(page).to_have_url(f"{site}/console/signin?next=/queue")
    # a token the API does not accept (another signer) says so, rather than a broken page
    forged = issue_token("another-secret-of-32-bytes-or-more!!", subject="x", name="x", role=Role.ADMIN, unit="")
    await page.goto(f"{site}/console/queue#token={forged}")
    await expect(page.locator('[data-test="signin-why"]')).to_contain_text("登录凭证无效")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


IDP_PORT = _free_port()
IDP = f"http://127.0.0.1:{IDP_PORT}"
CLIENT, AUDIENCE = "jiehu-console", "jiehu"


class Provider:
    """A stand-in identity provider: discovery, authorize (signs in 李娜, a street's staff, at once), token (codes,
    refresh tokens), JWKS and end-session; it remembers what it was asked."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.access_seconds = 600
        self.requests: list[tuple[str, dict]] = []

    def access_token(self) -> str:
        now = int(time.time())
        return jwt.encode({"sub": "lina", "name": "李娜", "role": "street_staff", "unit": "rc-yutun", "iss": IDP,
                           "aud": AUDIENCE, "iat": now, "exp": now + self.access_seconds}, self.key,
                          algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    idp = Provider()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(idp.key.public_key())) | {"kid": "k1", "use": "sig"}

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict | None = None, location: str | None = None) -> None:
            self.send_response(status)
            self.send_header("access-control-allow-origin", "*")
            if location:
                self.send_header("location", location)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body or {}).encode())

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            idp.requests.append((url.path, query))
            if url.path == "/.well-known/openid-configuration":
                self._send(200, {"issuer": IDP, "authorization_endpoint": f"{IDP}/authorize",
                                 "token_endpoint": f"{IDP}/token", "jwks_uri": f"{IDP}/jwks.json",
                                 "end_session_endpoint": f"{IDP}/logout"})
            elif url.path == "/jwks.json":
                self._send(200, {"keys": [jwk]})
            elif url.path == "/authorize":
                back = urlencode({"code": "c1", "state": query["state"]})
                self._send(302, location=f"{query['redirect_uri']}?{back}")
            elif url.path == "/logout":
                self._send(302, location=query["post_logout_redirect_uri"])
            else:
                self._send(404)

        def do_POST(self) -> None:  # noqa: N802
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["content-length"])).decode()).items()}
            idp.requests.append((self.path, form))
            self._send(200, {"access_token": idp.access_token(), "token_type": "Bearer", "id_token": "idt-1",
                             "refresh_token": "r1", "expires_in": idp.access_seconds})

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", IDP_PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield idp
    server.shutdown()


@pytest.mark.parametrize("site", [{"jwt_secret": None, "jwt_jwks_url": f"{IDP}/jwks.json", "jwt_issuer": IDP,
                                   "jwt_audience": AUDIENCE, "oidc_client_id": CLIENT}], indirect=True)
async def test_the_identity_providers_sign_in_refreshes_an_expired_token_and_signs_out_there_too(
        provider, browser, site):
    # chromium keeps the console's CSP (connect-src 'self' https:) but this stand-in provider speaks plain http
    context = await browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        page = await context.new_page()
        await page.goto(f"{site}/console/board")  # not signed in: to the sign-in page, then back here
        provider.access_seconds = 6  # the first access token lives 6 s
        await page.get_by_role("button", name="使用统一身份认证登录").click()
        await expect(page.locator('[data-test="who"]')).to_contain_text("李娜")
        await expect(page).to_have_url(f"{site}/console/board")
        exchange = next(form for path, form in provider.requests if path == "/token")
        assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
        authorize = next(q for path, q in provider.requests if path == "/authorize")
        assert authorize["code_challenge_method"] == "S256" and authorize["client_id"] == CLIENT
        signed_in = time.time()
        await page.wait_for_load_state("networkidle")
        provider.access_seconds = 600
        # the access token expires: the refresh token gets another, and the page just works
        await asyncio.sleep(max(0.0, signed_in + 7.5 - time.time()))
        await page.get_by_role("link", name="诉求查询").click()
        await expect(page.locator("h1")).to_contain_text("诉求查询")
        await page.wait_for_load_state("networkidle")
        await expect(page).to_have_url(f"{site}/console/petitions")
        await expect(page.locator('[role="alert"]')).to_have_count(0)
        assert [f["grant_type"] for p, f in provider.requests if p == "/token"] == [
            "authorization_code", "refresh_token"]
        await page.locator('[data-test="sign-out"]').click()  # the provider's session ends too, then back here
        await expect(page.locator('[data-test="signin-why"]')).to_have_text("您已退出登录。")
        logout = next(q for path, q in provider.requests if path == "/logout")
        assert logout["id_token_hint"] == "idt-1" and logout["client_id"] == CLIENT
        assert await page.evaluate("() => sessionStorage.getItem('jiehu.token')") is None
    finally:
        await context.close()
