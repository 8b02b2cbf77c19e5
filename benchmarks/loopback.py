"""A small HTTP server on loopback for the systems jiehu talks to (a messaging hub, an SMS gateway, a department's
system): an ASGI app served by uvicorn on 127.0.0.1 at a free port, from a running event loop. The fault suite's
hub and the tests' fake receivers both stand on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from stack.embedded import free_port

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def read_body(receive: Any) -> bytes:
    """The whole request body of an ASGI `http` request (every chunk)."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def answer(send: Any, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    """Send a complete ASGI response."""
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body})


class LoopbackServer:
    """Serves `app` on 127.0.0.1:`port` (a free one by default). `stop` then `start` again serves on the same port
    (a system that went down and came back)."""

    def __init__(self, app: App, port: int | None = None) -> None:
        self.app, self.port = app, port or free_port()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def url(self, path: str = "/messages") -> str:
        """The address of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        """Listen (returns once it does)."""
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                interface="asgi3")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Stop listening: connections are refused until `start` again."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None
