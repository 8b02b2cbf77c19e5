"""The SMS gateway's inbound messages (短信回访, issue 13 §6): a resident's reply to the survey sent when
their petition was resolved becomes the return visit, through the same command the human return visitors
send (`RecordReturnVisit`, channel `sms`), as the return-visit desk's system actor.

Each gateway message id is handled once (a retried POST answers as the first did). A reply is matched to
the survey it answers by the delivery id the gateway echoes (`in_reply_to`), else by the phone and the
latest survey still waiting for its answer. `1`/`2`/`3` record satisfied / basically satisfied /
dissatisfied (a dissatisfied reply reopens the petition as a visitor's would, within the reopen limit);
`TD` opts the resident out of further messages; anything else is kept as an unclear reply and puts the
visit into the return visitors' queue (`eventstore.petition_queries.worklist`) — never guessed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import commands as cmd
from domain.enums import Role, Status, VisitChannel, VisitOutcome
from domain.errors import NotFound
from domain.model import Actor
from domain.survey import OPT_OUT, phone_key, read_reply
from eventstore import notification_log, surveys
from eventstore.petition_queries import find_petition
from services.signatures import verify
from workflows.client import PetitionClient

log = structlog.get_logger(__name__)

# what became of an inbound message (sms_replies.outcome), with the labels the API serves
OUTCOMES = {
    "recorded": "已记录为短信回访",
    "unclear": "回复无法识别, 转人工回访",
    "opted_out": "群众退订短信",
    "unmatched": "未找到对应的回访短信",
    "too_late": "回访已结束, 回复仅留存",
    "received": "处理中",
}


# the domain's refusals of a command (the update's failure type): the reply came too late for it
REFUSALS = frozenset({"InvalidState", "InvalidCommand", "NotPermitted", "NotFound", "DomainError"})


class InboundNotConfigured(NotFound):
    """No key verifies the SMS gateway's inbound messages (JIEHU_SMS_INBOUND_KEYS)."""

    code = "sms_inbound_not_configured"


@dataclass(frozen=True)
class InboundSms:
    """One message a resident sent, as the gateway posts it."""

    message_id: str
    phone: str
    text: str
    in_reply_to: str = ""  # the delivery id of the survey (the Idempotency-Key jiehu sent it with)


@dataclass(frozen=True)
class Handled:
    """What became of one inbound message (`OUTCOMES`), the petition it concerned and the visit it recorded."""

    message_id: str
    outcome: str
    petition_id: str | None = None
    visit_outcome: str | None = None
    detail: str = ""
    duplicate: bool = False  # this message id was received before: its first outcome


def verify_inbound(keys: Mapping[str, str], headers: Mapping[str, str], body: bytes, now: float | None = None) -> str:
    """The key id that signed `body` (`services.signatures.verify`); InboundNotConfigured without keys."""
    if not keys:
        raise InboundNotConfigured("no key verifies the SMS gateway's inbound messages (JIEHU_SMS_INBOUND_KEYS)")
    return verify(headers, body, keys, time.time() if now is None else now)


def survey_actor(row: Mapping[str, Any]) -> Actor:
    """The return-visit desk's system: the petition's district desk, as a return visitor."""
    return Actor(id="system@sms-survey", name="短信回访", unit_code=row.get("desk_code") or "",
                 role=Role.RETURN_VISITOR)


async def receive(pool: asyncpg.Pool, petitions: PetitionClient, message: InboundSms) -> Handled:
    """Handle one inbound message once. Raises what sending the command raises when Temporal or the
    database is away (the message id is released, so the gateway's retry is handled afresh)."""
    first = await surveys.claim_message(pool, message.message_id, phone_key(message.phone), message.text)
    if first is not None:
        return Handled(message.message_id, first["outcome"], first["petition_id"], first["visit_outcome"],
                       first["detail"], duplicate=True)
    try:
        handled = await _handle(pool, petitions, message)
    except BaseException:
        await surveys.release_message(pool, message.message_id)
        raise
    log.info("sms reply handled", message_id=message.message_id, petition_id=handled.petition_id,
             outcome=handled.outcome, visit_outcome=handled.visit_outcome)
    return handled


async def _handle(pool: asyncpg.Pool, petitions: PetitionClient, message: InboundSms) -> Handled:
    phone = phone_key(message.phone)
    survey = await surveys.by_delivery(pool, message.in_reply_to) if _is_uuid(message.in_reply_to) else None
    if survey is not None and survey["phone"] != phone:
        survey = None  # an id echoed for another number answers nothing of this resident's
    if survey is None:
        survey = await surveys.latest_open_for(pool, phone)
    if survey is None:
        return await _settle(pool, message, "unmatched", None, detail="no survey was sent to this number")
    reading = read_reply(message.text)
    petition_id = survey["petition_id"]
    if reading == OPT_OUT:
        await notification_log.set_opt_out(pool, petition_id, True, "短信回复退订 (TD)", "短信网关 (sms inbound)")
        return await _settle(pool, message, "opted_out", survey)
    row = await find_petition(pool, petition_id)
    current = (row is not None and row["status"] == Status.RESOLVED.value and row["reopens"] == survey["round"]
               and survey["reply_state"] != "answered")
    if not current:
        return await _settle(pool, message, "too_late", survey,
                             detail="the visit of this resolution was recorded already, or the petition moved on")
    if reading is None:
        await surveys.set_reply(pool, survey["delivery_id"], "unclear", message.text)
        return await _settle(pool, message, "unclear", survey)
    assert row is not None and isinstance(reading, VisitOutcome)
    command = cmd.RecordReturnVisit(actor=survey_actor(row), outcome=reading, channel=VisitChannel.SMS,
                                    note=f"短信回访: 群众回复“{message.text.strip()[:200]}”")
    try:
        await petitions.send(petition_id, command, update_id=f"sms-{message.message_id}")
    except WorkflowUpdateFailedError as failure:  # refused: a visitor recorded the visit in the meantime
        cause = failure.cause
        if not isinstance(cause, ApplicationError) or cause.type not in REFUSALS:
            raise
        return await _settle(pool, message, "too_late", survey, detail=cause.message)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        return await _settle(pool, message, "too_late", survey, detail="the petition's workflow has ended (closed)")
    await surveys.set_reply(pool, survey["delivery_id"], "answered", message.text)
    return await _settle(pool, message, "recorded", survey, visit_outcome=reading.value)


async def _settle(pool: asyncpg.Pool, message: InboundSms, outcome: str, survey: Mapping[str, Any] | None,
                  visit_outcome: str | None = None, detail: str = "") -> Handled:
    delivery_id, petition_id = (survey["delivery_id"], survey["petition_id"]) if survey else (None, None)
    await surveys.settle_message(pool, message.message_id, outcome, delivery_id=delivery_id, petition_id=petition_id,
                                 visit_outcome=visit_outcome, detail=detail)
    return Handled(message.message_id, outcome, petition_id, visit_outcome, detail)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
