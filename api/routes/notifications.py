"""Who was told what about a petition, and a resident's choice not to be told (issue 13 §1–§3). No SQL:
reads and writes go through `eventstore/notification_log.py`."""

# no `from __future__ import annotations`: FastAPI reads the body model at import
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.access import ReadAccessDep
from api.auth import CurrentActor
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.input_rules import CheckedInput
from api.petition_views import visible_row
from api.scope import require_role
from domain.enums import Audience, DeliveryStatus, NotifyChannel, ReadKind, Role
from domain.masking import mask_phone
from domain.redaction import redact
from eventstore import notification_log

router = APIRouter(prefix="/v1/petitions", tags=["notifications"])


class NotificationOut(BaseModel):
    """One delivery: the event that caused it, who (a unit and role, or the resident's phone — masked for
    readers who may not see it), how, what text, and what became of it. Times are UTC."""

    delivery_id: str
    event_id: str
    event_type: str
    event_position: int
    kind: str
    audience: Audience
    audience_label: str
    unit_code: str
    role: Role | None
    channel: NotifyChannel
    channel_label: str
    recipient: str
    text: str
    status: DeliveryStatus
    status_label: str
    attempts: int
    last_error: str
    created_at: datetime
    last_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None


class ResidentNotificationsIn(CheckedInput):
    """Whether the resident who reported a petition gets SMS about it (退订: false), and why."""

    sms: bool = Field(description="false: the resident asked for no messages about this petition (退订)")
    reason: str = Field(default="", max_length=200, examples=["群众来电表示不需要短信通知"])


class ResidentNotificationsOut(BaseModel):
    """The resident's choice about SMS on a petition, who recorded it and when."""

    petition_id: str
    sms: bool
    reason: str
    recorded_by: str
    recorded_at: datetime


@router.get("/{petition_id}/notifications", response_model=list[NotificationOut],
            responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_petition_notifications(petition_id: str, access: ReadAccessDep, services: ServicesDep,
                                     org: OrgDep) -> list[NotificationOut]:
    """Who was told what about the petition and when, in the order of the events that caused it."""
    row = await visible_row(services.pool, petition_id, access.actor, org)
    notes = await notification_log.of_petition(services.pool, petition_id)
    shown = False
    if any(n["address"] for n in notes):  # only a read that shows the resident's phone leaves an access record
        [shown] = await access.shown_unmasked([row], ReadKind.EVENTS)
    return [_out(n, shown) for n in notes]


@router.put("/{petition_id}/resident-notifications", response_model=ResidentNotificationsOut,
            responses=PROBLEM_RESPONSES(401, 403, 404, 413, 422))
async def set_resident_notifications(petition_id: str, body: ResidentNotificationsIn, actor: CurrentActor,
                                     services: ServicesDep, org: OrgDep) -> ResidentNotificationsOut:
    """Record whether the resident wants messages about this petition (`sms: false`: none from now on)."""
    require_role(actor, "resident-notifications")
    await visible_row(services.pool, petition_id, actor, org, for_command=True, closed_ok=True)
    recorded_by = f"{actor.name} ({actor.id})"
    at = await notification_log.set_opt_out(services.pool, petition_id, not body.sms, body.reason, recorded_by)
    return ResidentNotificationsOut(petition_id=petition_id, sms=body.sms, reason=body.reason,
                                    recorded_by=recorded_by, recorded_at=at)


def _out(note: dict, shown: bool) -> NotificationOut:
    audience, channel, status = Audience(note["audience"]), NotifyChannel(note["channel"]), \
        DeliveryStatus(note["status"])
    if note["address"]:
        recipient = note["address"] if shown else mask_phone(note["address"])
    else:
        recipient = f"{note['unit_code']} {Role(note['role']).label if note['role'] else ''}".strip()
    return NotificationOut(
        delivery_id=note["delivery_id"], event_id=note["event_id"], event_type=note["event_type"],
        event_position=note["event_position"], kind=note["kind"], audience=audience, audience_label=audience.label,
        unit_code=note["unit_code"], role=Role(note["role"]) if note["role"] else None, channel=channel,
        channel_label=channel.label, recipient=recipient, text=note["body"] if shown else redact(note["body"]),
        status=status, status_label=status.label, attempts=note["attempts"],
        last_error=note["last_error"] if shown else redact(note["last_error"]), created_at=note["created_at"],
        last_attempt_at=note["last_attempt_at"], sent_at=note["sent_at"], failed_at=note["failed_at"])
