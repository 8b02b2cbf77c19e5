"""The SMS surveys sent to residents and the gateway's inbound messages (migration 019): the only SQL on
`surveys` and `sms_replies`.

The notifier records a survey with its notification (same transaction); the inbound webhook claims each
gateway message id once, finds the survey a reply answers and records what became of it. The return
visitors' worklist reads the survey of a petition's current resolution (`petition_queries.worklist`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class SurveySent:
    """A survey the notifier records: its delivery, the petition and its round (reopens when resolved),
    the phone (`domain.survey.phone_key`) and when its window closes."""

    delivery_id: str
    petition_id: str
    round: int
    phone: str
    due: datetime


async def record(conn: asyncpg.Connection, surveys: Sequence[SurveySent]) -> None:
    """Record the surveys of notifications just recorded (a survey recorded before stays as it was)."""
    if not surveys:
        return
    await conn.executemany(
        "INSERT INTO surveys (delivery_id, petition_id, round, phone, due) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (delivery_id) DO NOTHING",
        [(s.delivery_id, s.petition_id, s.round, s.phone, s.due) for s in surveys])


_SURVEY = ("SELECT s.delivery_id::text AS delivery_id, s.petition_id, s.round, s.phone, s.due, s.reply_state, "
           "s.reply_text, s.replied_at, s.created_at, n.status AS sent_status, n.sent_at "
           "FROM surveys s JOIN notifications n USING (delivery_id) ")


async def by_delivery(pool: asyncpg.Pool, delivery_id: str) -> dict[str, Any] | None:
    """The survey sent as `delivery_id` (the id the gateway echoes), or None."""
    row = await pool.fetchrow(_SURVEY + "WHERE s.delivery_id = $1", delivery_id)
    return dict(row) if row is not None else None


async def latest_open_for(pool: asyncpg.Pool, phone: str) -> dict[str, Any] | None:
    """The latest survey to `phone` that has no clear answer yet and whose petition waits for its visit in
    the survey's round; else the latest survey to `phone` at all (a late reply); None if none was sent."""
    row = await pool.fetchrow(
        _SURVEY + "JOIN petitions p ON p.id = s.petition_id WHERE s.phone = $1 "
        "ORDER BY (p.status = 'resolved' AND p.reopens = s.round AND s.reply_state IS DISTINCT FROM 'answered') DESC, "
        "s.created_at DESC LIMIT 1", phone)
    return dict(row) if row is not None else None


async def set_reply(pool: asyncpg.Pool, delivery_id: str, state: str, text: str) -> None:
    """The survey got a reply: `answered` (recorded as the visit) or `unclear` (kept, for a person). A clear
    answer stays the survey's answer; a later unclear message does not replace it."""
    await pool.execute(
        "UPDATE surveys SET reply_state = $2, reply_text = $3, replied_at = now() "
        "WHERE delivery_id = $1 AND reply_state IS DISTINCT FROM 'answered'", delivery_id, state, text)


async def claim_message(pool: asyncpg.Pool, message_id: str, phone: str, text: str) -> dict[str, Any] | None:
    """Claim a gateway message id; returns the row of its first receipt if it was received before (None:
    this is the first)."""
    inserted = await pool.fetchval(
        "INSERT INTO sms_replies (message_id, phone, text, outcome) VALUES ($1, $2, $3, 'received') "
        "ON CONFLICT (message_id) DO NOTHING RETURNING message_id", message_id, phone, text)
    if inserted is not None:
        return None
    row = await pool.fetchrow("SELECT message_id, phone, text, delivery_id::text AS delivery_id, petition_id, "
                              "outcome, visit_outcome, detail, received_at FROM sms_replies WHERE message_id = $1",
                              message_id)
    return dict(row) if row is not None else None


async def settle_message(pool: asyncpg.Pool, message_id: str, outcome: str, *, delivery_id: str | None = None,
                         petition_id: str | None = None, visit_outcome: str | None = None, detail: str = "") -> None:
    """Record what became of a claimed message: its outcome, the survey and petition it matched, the visit
    outcome it recorded and why (`detail`, cut to 500 characters)."""
    await pool.execute(
        "UPDATE sms_replies SET outcome = $2, delivery_id = $3, petition_id = $4, visit_outcome = $5, detail = $6 "
        "WHERE message_id = $1", message_id, outcome, delivery_id, petition_id, visit_outcome, detail[:500])


async def release_message(pool: asyncpg.Pool, message_id: str) -> None:
    """Forget a message whose handling failed (Temporal away): the gateway's retry is handled afresh."""
    await pool.execute("DELETE FROM sms_replies WHERE message_id = $1 AND outcome = 'received'", message_id)


async def replies_of(pool: asyncpg.Pool, petition_id: str) -> list[dict[str, Any]]:
    """The messages the resident sent about the petition, in the order received."""
    rows = await pool.fetch("SELECT message_id, phone, text, delivery_id::text AS delivery_id, outcome, "
                            "visit_outcome, detail, received_at FROM sms_replies WHERE petition_id = $1 "
                            "ORDER BY received_at, message_id", petition_id)
    return [dict(r) for r in rows]
