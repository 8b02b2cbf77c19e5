"""The id of the API request being served, readable wherever the request's task goes.

The API sets it per request; the petition client uses it as the Temporal update id, so the
workflow hands it to the append activity and the activity's log lines carry it too.
"""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("jiehu_request_id", default=None)
