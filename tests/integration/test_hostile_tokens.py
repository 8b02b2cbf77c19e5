"""Hostile tokens (issue 16 §3): forged, expired, not yet valid, wrong algorithm, unknown unit or role, missing
claims, garbage and huge ones. Every one is a 401 problem+json with a stable code and a reason in words; none is
a 500, none echoes the token or the decoder's own message. (Identity-provider tokens: test_api_jwks.py.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest

from tests.integration.api_client import SECRET

NOW = int(time.time())  # at collection: a whole suite runs between it and these tests, so the good token lasts a day
GOOD = {"sub": "u-1", "name": "张伟", "role": "grid_worker", "unit": "rc-yuehe-taibai-g1", "iat": NOW,
        "exp": NOW + 86_400}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], claims: dict[str, Any], key: bytes = SECRET.encode()) -> str:
    """A JWT signed with HMAC-SHA256 whatever its header says (how an attacker would make one)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def signed(**changes: Any) -> str:
    claims = {k: v for k, v in (GOOD | changes).items() if v is not None}
    return jwt.encode(claims, SECRET, algorithm="HS256")


TOKENS: dict[str, str] = {
    "forged signature": signed()[:-6] + "AAAAAA",
    "signed with another secret": jwt.encode(GOOD, "another-secret-of-enough-length-0123456789", algorithm="HS256"),
    "expired": signed(exp=NOW - 60),
    "not yet valid (nbf)": signed(nbf=NOW + 86_400),
    "alg none": jwt.encode(GOOD, None, algorithm="none"),
    "alg none, signature kept": jwt.encode(GOOD, None, algorithm="none") + signed().rsplit(".", 1)[1],
    "alg NONE": hand_made({"alg": "NONE", "typ": "JWT"}, GOOD),
    "alg RS256 header, HMAC signature": hand_made({"alg": "RS256", "typ": "JWT"}, GOOD),
    "alg HS512": jwt.encode(GOOD, SECRET, algorithm="HS512"),
    "unknown unit": signed(unit="no-such-unit"),
    "a unit of the wrong kind": signed(unit="rencheng"),  # a grid worker at a district
    "unknown role": signed(role="mayor"),
    "role in capitals": signed(role="ADMIN", unit=""),
    "system role": signed(role="system", unit=""),
    "no unit": signed(unit=None),
    "no role": signed(role=None),
    "no subject": signed(sub=None),
    "no expiry": signed(exp=None),
    "expiry as text": signed(exp="tomorrow"),
    "expiry as digits in a string": signed(exp=str(NOW + 86_400)),  # PyJWT alone takes it (a fresh tester)
    "expiry past every clock": signed(exp=1e20),
    "subject as an object": signed(sub={"id": 1}),
    "unit as a list": signed(unit=["rc-yuehe-taibai-g1"]),
    "role as a number": signed(role=7),
    "claims not an object": hand_made({"alg": "HS256", "typ": "JWT"}, ["sub", "u-1"]),  # type: ignore[arg-type]
    "header not JSON": "bm90IGpzb24." + signed().split(".", 1)[1],
    "garbage": "garbage",
    "dots only": "...",
    "non-ASCII": "令牌.令牌.令牌",
    "four parts": signed() + ".AAAA",
    "huge token": signed(name="张" * 200_000),
    "huge garbage": "A" * 500_000,
}


@pytest.mark.parametrize("kind", list(TOKENS))
async def test_a_hostile_token_is_a_clean_401(http, kind):
    token = TOKENS[kind]
    for path in ("/v1/queue", "/v1/petitions"):
        # bytes: a header may carry what is not ASCII (UTF-8 read as Latin-1 by the server)
        response = await http.get(path, headers={"authorization": f"Bearer {token}".encode()})
        assert response.status_code == 401, (kind, path, response.status_code, response.text[:300])
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] in ("invalid_token", "token_expired"), problem
        assert token[:40] not in response.text and "Traceback" not in response.text
    report = await http.post("/v1/petitions", json={"description": "x"},
                             headers={"authorization": f"Bearer {token}".encode()})
    assert report.status_code in (401, 413), (kind, report.text[:300])  # the huge ones may not even be read


@pytest.mark.parametrize(("kind", "detail"), [
    ("expired", "the token has expired"), ("not yet valid (nbf)", "the token is not valid yet"),
    ("alg none", "the token's signing algorithm is not accepted"),
    ("alg RS256 header, HMAC signature", "the token's signing algorithm is not accepted"),
    ("unknown unit", "the token names a unit that does not exist"),
    ("unknown role", "the token lacks a valid role or unit claim"),
    ("no subject", "the token lacks the 'sub' claim"), ("no expiry", "the token lacks the 'exp' claim"),
])
async def test_the_reason_is_said_in_words(http, kind, detail):
    response = await http.get("/v1/queue", headers={"authorization": f"Bearer {TOKENS[kind]}"})
    assert response.json()["detail"] == detail
    zh = await http.get("/v1/queue", headers={"authorization": f"Bearer {TOKENS[kind]}", "accept-language": "zh-CN"})
    assert zh.json()["detail"] in ("登录凭证无效，请重新登录。", "登录已过期，请重新登录。")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer  x y", "Token abc", "",
                                    "Bearer " + signed() + " " + signed()])
async def test_a_malformed_authorization_header_is_a_401(http, header):
    response = await http.get("/v1/queue", headers={"authorization": header})
    assert response.status_code == 401, (header, response.text)
    assert response.json()["code"] in ("unauthenticated", "invalid_token")


async def test_the_good_token_is_taken(http):
    """The control: the token every hostile one is made from is accepted."""
    assert (await http.get("/v1/queue", headers={"authorization": f"Bearer {signed()}"})).status_code == 200
