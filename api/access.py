"""Reads of a resident's data leave access records: who was shown which petition unmasked, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote

import asyncpg
from fastapi import Depends, Header, Request

from api.auth import CurrentActor
from api.errors import ApiError
from api.scope import sees_personal_data
from domain.enums import ReadKind
from domain.model import Actor
from domain.text import unstorable_text
from eventstore.access_log import Reader, record_access
from observability.request_context import REQUEST_ID
from org.model import OrgTree

MAX_REASON = 200  # characters, after decoding


@dataclass(frozen=True)
class ReadAccess:
    """The caller of a read: the only way from read-model rows to what the response may show."""

    actor: Actor
    reader: Reader
    pool: asyncpg.Pool
    org: OrgTree  # the categories' names the rows are labelled with

    async def shown_unmasked(self, rows: Sequence[dict[str, Any]], what: ReadKind) -> list[bool]:
        """For each row whether the response may show its reporter unmasked; those that are get one
        access record each, all in one statement, before the response leaves."""
        unmasked = [sees_personal_data(row, self.actor) for row in rows]
        await record_access(self.pool, self.reader, what.value,
                            [row["id"] for row, shown in zip(rows, unmasked, strict=True) if shown])
        return unmasked


def access_reason(raw: str | None) -> str | None:
    """The header's text: UTF-8, percent-encoded when the client cannot send non-ASCII header bytes."""
    if raw is None or not raw.strip():
        return None
    try:
        text = raw.encode("latin-1").decode("utf-8")  # HTTP hands header bytes over as latin-1
    except UnicodeError:
        text = raw
    try:
        text = unquote(text, errors="strict").strip()
    except UnicodeDecodeError as exc:
        raise ApiError(422, "invalid_access_reason", "X-Access-Reason is not UTF-8 text") from exc
    if len(text) > MAX_REASON:
        raise ApiError(422, "invalid_access_reason", f"X-Access-Reason is longer than {MAX_REASON} characters")
    if unstorable_text(text) or any(ord(c) < 32 for c in text):
        raise ApiError(422, "invalid_access_reason", "X-Access-Reason holds control characters")
    return text or None


async def _read_access(
    request: Request, actor: CurrentActor,
    x_access_reason: Annotated[str | None, Header(
        max_length=3 * 3 * MAX_REASON,
        description=f"Why you read this resident's data (up to {MAX_REASON} characters, UTF-8, percent-encoded "
                    "if need be); stored with the access record of every petition shown unmasked")] = None,
) -> ReadAccess:
    reader = Reader(actor_id=actor.id, actor_name=actor.name, role=actor.role.value, unit_code=actor.unit_code,
                    reason=access_reason(x_access_reason), request_id=REQUEST_ID.get())
    services = request.app.state.services
    return ReadAccess(actor=actor, reader=reader, pool=services.pool, org=await services.current_org())


ReadAccessDep = Annotated[ReadAccess, Depends(_read_access)]
