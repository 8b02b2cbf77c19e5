"""Production authentication: tokens signed by an identity provider, verified against its JWKS URL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.main import create_app
from config.settings import Settings

ISSUER, AUDIENCE = "https://idp.jining.example", "jiehu"
FETCHES: list[float] = []  # when the identity provider's key set was fetched
SLOWNESS = [0.0]  # seconds the identity provider takes to answer


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A local stand-in for the district's identity provider: it serves one RSA key as a JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())) | {"kid": "k1", "use": "sig"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            FETCHES.append(time.monotonic())
            time.sleep(SLOWNESS[0])
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    server.shutdown()


def signed(key, **claims) -> str:
    now = int(time.time())
    body = {"sub": "u-1", "name": "张伟", "role": "grid_worker", "unit": "rc-yuehe-taibai-g1", "iss": ISSUER,
            "aud": AUDIENCE, "iat": now, "exp": now + 600} | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


async def test_tokens_from_the_identity_provider(identity_provider, temporal_env, postgres, pool, org):
    url, key = identity_provider
    settings = Settings(database_url=postgres.url(), jwt_jwks_url=url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:

        async def status(token: str) -> int:
            return (await http.get("/v1/queue", headers={"authorization": f"Bearer {token}"})).status_code

        assert await status(signed(key)) == 200
        assert await status(signed(key, aud="someone-else")) == 401
        assert await status(signed(key, iss="https://evil.example")) == 401
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        assert await status(signed(other)) == 401  # right kid, wrong key
        hs256 = jwt.encode({"sub": "x", "role": "admin", "exp": int(time.time()) + 60}, "guess" * 8, algorithm="HS256")
        assert await status(hs256) == 401  # no algorithm confusion


async def test_hostile_tokens_against_the_identity_providers_keys(identity_provider, temporal_env, postgres, pool,
                                                                  org):
    """Algorithm confusion (HS256 keyed with the provider's public key, `alg: none`), unknown or hostile key ids,
    expired and not-yet-valid tokens: each a 401 problem+json, none a 500."""
    from cryptography.hazmat.primitives import serialization

    from tests.integration.test_hostile_tokens import hand_made

    url, key = identity_provider
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    claims = {"sub": "u-1", "role": "grid_worker", "unit": "rc-yuehe-taibai-g1", "iss": ISSUER, "aud": AUDIENCE,
              "exp": now + 600}
    tokens = {
        "HS256 keyed with the public key": hand_made({"alg": "HS256", "typ": "JWT", "kid": "k1"}, claims, public_pem),
        "alg none": hand_made({"alg": "none", "kid": "k1"}, claims).rsplit(".", 1)[0] + ".",
        "unknown kid": jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k2"}),
        "no kid": jwt.encode(claims, key, algorithm="RS256"),
        "a kid like a path": jwt.encode(claims, key, algorithm="RS256", headers={"kid": "../../../etc/passwd"}),
        "a jku of the attacker's": jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                                              algorithm="RS256",
                                              headers={"kid": "k1", "jku": "https://evil.example/jwks.json"}),
        "expired": signed(key, exp=now - 60),
        "not yet valid": signed(key, nbf=now + 3600),
        "an unknown unit": signed(key, unit="no-such-unit"),
        "garbage": "garbage",
    }
    settings = Settings(database_url=postgres.url(), jwt_jwks_url=url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:
        for kind, token in tokens.items():
            response = await http.get("/v1/queue", headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 401, (kind, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] in ("invalid_token", "token_expired"), (kind, response.text)
        assert (await http.get("/v1/queue", headers={"authorization": f"Bearer {signed(key)}"})).status_code == 200


async def test_tokens_with_made_up_key_ids_do_not_make_the_api_fetch_the_key_set_each_time(
        identity_provider, temporal_env, postgres, pool, org):
    """A flood of tokens naming key ids the provider never issued: the key set is fetched again at most once a
    minute (a new key of a rotation is still found), not once a token (each fetch blocks, and would let anyone
    make the API hammer the provider)."""
    url, key = identity_provider
    settings = Settings(database_url=postgres.url(), jwt_jwks_url=url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as http:
        assert (await http.get("/v1/queue", headers={"authorization": f"Bearer {signed(key)}"})).status_code == 200
        before = len(FETCHES)
        for n in range(30):
            token = jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, key, algorithm="RS256",
                               headers={"kid": f"made-up-{n}"})
            assert (await http.get("/v1/queue", headers={"authorization": f"Bearer {token}"})).status_code == 401
        assert len(FETCHES) - before <= 1
        assert (await http.get("/v1/queue", headers={"authorization": f"Bearer {signed(key)}"})).status_code == 200


async def test_a_slow_identity_provider_does_not_stall_other_requests(identity_provider, temporal_env, postgres,
                                                                      pool, org):
    """Fetching the key set (the first token, a key rotation, hourly) is network I/O: while the provider takes its
    time, other requests of the API process are answered (the fetch runs off the event loop)."""
    import asyncio

    url, key = identity_provider
    settings = Settings(database_url=postgres.url(), jwt_jwks_url=url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    SLOWNESS[0] = 1.5
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://jiehu", timeout=30) as http:
            started = time.monotonic()
            signed_in = asyncio.create_task(http.get("/v1/queue", headers={"authorization": f"Bearer {signed(key)}"}))
            await asyncio.sleep(0.2)  # the key set is being fetched
            assert (await http.get("/healthz")).status_code == 200
            assert time.monotonic() - started < 1.0  # not after the provider's 1.5 s
            assert not signed_in.done()
            assert (await signed_in).status_code == 200
    finally:
        SLOWNESS[0] = 0.0
