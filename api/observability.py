"""Per request: an id (echoed as X-Request-ID), structured log context, an access log line, and
the latency histogram by route template (never the raw path: petition ids would explode it)."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observability.metrics import HTTP_SECONDS
from observability.request_context import REQUEST_ID

log = structlog.get_logger("jiehu.api")
QUIET = {"/metrics", "/healthz", "/readyz"}  # scraped every few seconds: measured, not logged


class RequestContextMiddleware:
    """ASGI middleware: a request id for each HTTP request (bound to the logs, answered as `X-Request-ID`, the
    client's own kept as `client_request_id`), its latency observed by route template and status, one log line per
    request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        client_id = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:100]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, **({"client_request_id": client_id}
                                                                         if client_id else {}))
        token = REQUEST_ID.set(request_id)
        status, started = 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_SECONDS.labels(scope["method"], template, str(status)).observe(seconds)
            if template not in QUIET:
                log.info("request", method=scope["method"], route=template, status=status,
                         ms=round(seconds * 1000, 1))
            REQUEST_ID.reset(token)
            structlog.contextvars.clear_contextvars()
