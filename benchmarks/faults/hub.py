"""A loopback stand-in for the city's messaging hub: it records each notification webhook POST (its
`X-Jiehu-Delivery` id and body) and answers 200, so the suite can count deliveries per recipient and event."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from benchmarks.loopback import LoopbackServer, answer, read_body


class Hub:
    """Records every POST; `received` counts POSTs per delivery id, `bodies` keeps the first body of each."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.bodies: dict[str, dict[str, Any]] = {}
        self._server = LoopbackServer(self._app)
        self.port = self._server.port

    @property
    def url(self) -> str:
        """Where the worker POSTs notifications."""
        return self._server.url()

    async def start(self) -> None:
        """Listen on loopback (returns once it does)."""
        await self._server.start()

    async def stop(self) -> None:
        """Stop listening."""
        await self._server.stop()

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = await read_body(receive)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        delivery = dict(scope["headers"]).get(b"x-jiehu-delivery", b"").decode() or str(body.get("delivery_id", ""))
        self.received[delivery] += 1
        self.bodies.setdefault(delivery, body)
        await answer(send, 200, b"ok", b"text/plain")
