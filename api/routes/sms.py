"""The SMS gateway's inbound messages: residents' replies to the return-visit survey (短信回访), signed
by the gateway (HMAC-SHA256, no bearer token). docs/notifications.md, "The SMS survey"."""

# no `from __future__ import annotations`: FastAPI reads the body model at import
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from services.signatures import SignatureRefused
from services.sms_inbound import OUTCOMES, InboundSms, receive, verify_inbound

router = APIRouter(prefix="/v1/sms", tags=["sms"])


class InboundSmsIn(BaseModel):
    """One message a resident sent to the gateway's number. The text is kept as sent (a resident's words
    are not refused for their spaces)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
                            description="The gateway's id of the message: a message id is handled once")
    phone: str = Field(alias="from", min_length=5, max_length=32, description="The resident's number",
                       examples=["+8613805371234"])
    text: str = Field(max_length=1000, examples=["3"])
    in_reply_to: str = Field(default="", max_length=64, description=(
        "The delivery id of the survey this answers (the Idempotency-Key jiehu sent it with), if the gateway "
        "knows it; else the reply is matched by the phone to the latest survey waiting for an answer"))


class InboundSmsOut(BaseModel):
    """What became of the message (the gateway needs nothing of it but a 2xx; it helps whoever reads its logs)."""

    message_id: str
    outcome: str = Field(description="recorded (the visit), unclear (kept; the return visitors call), opted_out "
                                     "(TD), unmatched (no survey to this number), too_late (the visit is over)")
    outcome_label: str
    petition_id: str | None
    visit_outcome: str | None
    detail: str
    duplicate: bool = Field(description="this message id was received before: its first outcome")


async def _signed(request: Request, services: ServicesDep) -> str:
    """The key id that signed the exact body; 401 `invalid_signature`/`stale_timestamp`; 404 when no key is
    configured. Checked before the body's fields."""
    try:
        return verify_inbound(services.settings.sms_inbound_keys, request.headers, await request.body())
    except SignatureRefused as refused:
        raise ApiError(401, refused.code, refused.message) from None


@router.post("/inbound", response_model=InboundSmsOut, responses=PROBLEM_RESPONSES(401, 404, 413, 422, 503))
async def sms_inbound(body: Annotated[InboundSmsIn, Body()], services: ServicesDep,
                      key_id: Annotated[str, Depends(_signed)]) -> InboundSmsOut:
    """A message from a resident, posted by the SMS gateway: a reply to the return-visit survey (1 满意,
    2 基本满意, 3 不满意) becomes the return visit (channel sms), TD opts out, anything else is kept as an
    unclear reply for the return visitors. Signed as department callbacks are: X-Jiehu-Timestamp (Unix
    seconds, within 300 s), X-Jiehu-Key-Id and X-Jiehu-Signature `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
    Answers 200 whatever the message said (a gateway retries only what failed); a retried message id answers
    its first outcome."""
    handled = await receive(services.pool, services.petitions, InboundSms(
        message_id=body.message_id, phone=body.phone, text=body.text, in_reply_to=body.in_reply_to))
    return InboundSmsOut(message_id=handled.message_id, outcome=handled.outcome,
                         outcome_label=OUTCOMES.get(handled.outcome, handled.outcome),
                         petition_id=handled.petition_id, visit_outcome=handled.visit_outcome,
                         detail=handled.detail, duplicate=handled.duplicate)
