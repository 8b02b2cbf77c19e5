"""Production authentication: tokens signed by an identity provider, verified against its JWKS URL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.main import create_app
from config.settings import Settings

ISSUER, AUDIENCE = "https://idp.jining.example", "jiehu"


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A local stand-in for the district's identity provider: it serves one RSA key as a JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())) | {"kid": "k1", "use": "sig"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
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
