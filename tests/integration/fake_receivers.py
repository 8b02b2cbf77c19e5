"""Fakes of the systems notifications go to, as real HTTP servers on loopback: an SMS gateway that can
be taken down and brought back on the same port, and a messaging hub that checks the webhook signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from benchmarks.loopback import LoopbackServer, answer, read_body
from stack.embedded import free_port

HUB_SECRET = "hub-secret-for-tests"


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeReceiver:
    """A loopback HTTP server recording every POST; `verify`: check the webhook's HMAC-SHA256 signature."""

    verify: bool = False
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    _server: LoopbackServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    async def start(self) -> None:
        if self._server is None:
            self._server = LoopbackServer(self._app, self.port)
        await self._server.start()

    async def stop(self) -> None:
        """Down: connections are refused until `start` again."""
        if self._server is not None:
            await self._server.stop()

    def of_petition(self, petition_id: str) -> list[dict[str, Any]]:
        return [r.body for r in self.received if petition_id in json.dumps(r.body, ensure_ascii=False)]

    async def _app(self, scope: dict, receive: Any, send: Any) -> None:
        body = await read_body(receive)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status = 200
        if self.verify:
            expected = "sha256=" + hmac.new(HUB_SECRET.encode(), headers.get("x-jiehu-timestamp", "").encode()
                                            + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, headers.get("x-jiehu-signature", "")):
                self.bad_signatures += 1
                status = 401
        if status == 200:
            self.received.append(Received(headers, json.loads(body)))
        await answer(send, status, b'{"ok": true}')
