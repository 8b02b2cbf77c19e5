"""Refuse request bodies past a configured size with a 413 problem, before any parsing."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.open311.formats import to_xml


class BodyTooLarge(Exception):
    """A request body grew past the limit while the app read it."""

    pass


class BodyLimitMiddleware:
    """ASGI middleware refusing a request body over `max_bytes` with 413 problem+json: by its Content-Length, or,
    chunked, as it is read, before the app parses it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        if declared is None:
            # no Content-Length (chunked): read the body here, up to the limit, so an oversize one is
            # refused with 413 before the app starts parsing it (a failure inside the app's parsing
            # surfaced as a 400 "error parsing the body")
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    await self._refuse(scope, send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            buffered: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

            upstream = receive  # the replay reads on from the server's receive, never from itself

            async def replayed_receive() -> Message:
                return buffered.pop() if buffered else await upstream()

            receive = replayed_receive
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = f"the request body exceeds {self.max_bytes} bytes"
        path: str = scope.get("path", "")
        if path.startswith("/open311/"):  # GeoReport clients read errors in the format of the URL
            body, media = to_xml("errors", [{"code": 413, "description": detail}]), b"text/xml; charset=utf-8"
            if not path.endswith(".xml"):
                body, media = orjson.dumps([{"code": 413, "description": detail}]), b"application/json"
        else:
            body = orjson.dumps({"type": "https://jiehu.example/problems/body_too_large", "title": "body too large",
                                 "status": 413, "code": "body_too_large", "detail": detail})
            media = b"application/problem+json"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
