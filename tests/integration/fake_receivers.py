"""Fakes of the systems notifications go to, as real HTTP servers on loopback: an SMS gateway that can
be taken down and brought back on the same port, and a messaging hub that checks the webhook signature."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import uvicorn

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
    _server: uvicorn.Server | None = None
    _task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    async def start(self) -> None:
        config = uvicorn.Config(self._app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                interface="asgi3")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Down: connections are refused until `start` again."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    def of_petition(self, petition_id: str) -> list[dict[str, Any]]:
        return [r.body for r in self.received if petition_id in json.dumps(r.body, ensure_ascii=False)]

    async def _app(self, scope: dict, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
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
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"ok": true}'})
