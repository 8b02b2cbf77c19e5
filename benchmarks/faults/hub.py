"""A loopback stand-in for the city's messaging hub: it records each notification webhook POST (its
`X-Jiehu-Delivery` id and body) and answers 200, so the suite can count deliveries per recipient and event."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import uvicorn

from stack.embedded import free_port


class Hub:
    """Records every POST; `received` counts POSTs per delivery id, `bodies` keeps the first body of each."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: Counter[str] = Counter()
        self.bodies: dict[str, dict[str, Any]] = {}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """Where the worker POSTs notifications."""
        return f"http://127.0.0.1:{self.port}/messages"

    async def start(self) -> None:
        """Listen on loopback (returns once it does)."""
        config = uvicorn.Config(self._app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                interface="asgi3")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            body = json.loads(b"".join(chunks) or b"{}")
        except ValueError:
            body = {}
        delivery = dict(scope["headers"]).get(b"x-jiehu-delivery", b"").decode() or str(body.get("delivery_id", ""))
        self.received[delivery] += 1
        self.bodies.setdefault(delivery, body)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
