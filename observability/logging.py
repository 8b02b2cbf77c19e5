"""structlog set-up: readable lines in dev, JSON in production, never a resident's phone or ID number.

Context (request id, actor, petition id, workflow id) comes from structlog's contextvars, bound
by the API's request middleware, the auth dependency and the append activity.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import structlog

from domain.redaction import mask


def mask_phone_numbers(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: mask every phone, ID and plate number in every value of the line
    (`domain.redaction.mask`: 13805371234 -> 138****1234, so operators can still match a caller)."""
    return {key: _masked(value) for key, value in event.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Configure structlog for the process: JSON lines (`fmt='json'`) or console lines, from `level` (e.g. INFO) up,
    with the request context bound, ISO UTC timestamps, and phone, ID-card and plate numbers masked in every line."""
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            mask_phone_numbers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
