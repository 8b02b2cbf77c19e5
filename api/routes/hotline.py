"""The 12345 hotline's intake (接诉即办, issue 14 §2): an agent records a call and its outcome at intake. No
SQL: every outcome goes through the one intake service (`services/intake.py`)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from api.deps import IntakeDep, OrgDep
from api.errors import PROBLEM_RESPONSES
from api.idempotency import IdempotencyKey
from api.petition_views import ActorReach, reported_out, state_out
from api.rate_limit import IntakeActor
from api.schemas import DuplicateCandidateOut, HotlineCallIn, JoinedBurstOut, PetitionOut
from api.scope import require_role
from domain import commands as cmd
from domain.enums import Channel, TriageOutcome
from services.intake_command import Intake, Triage

router = APIRouter(prefix="/v1/hotline", tags=["hotline"])


class HotlineCallOut(BaseModel):
    """What became of a call at intake, and the petition it made or was linked to."""

    outcome: TriageOutcome
    outcome_label: str
    petition: PetitionOut = Field(description="the new petition (closed at once unless dispatched), or for "
                                              "same_matter the open one with its progress, the caller linked")
    linked_as: int | None = Field(None, description="same_matter: the caller's number among its linked callers")
    # issue 14 §5
    duplicate_candidates: list[DuplicateCandidateOut] = Field(
        [], description="dispatched: open petitions that look like the same problem (the agent may see them)")
    joined_burst: JoinedBurstOut | None = Field(None, description=(
        "dispatched into a running burst (突发集中诉求): no new order, the caller is linked to the burst's "
        "petition (`outcome` same_matter, `linked_as`), unless `separate_matter`"))


@router.post("/calls", status_code=status.HTTP_201_CREATED, response_model=HotlineCallOut,
             responses=PROBLEM_RESPONSES(401, 403, 404, 409, 413, 422, 429, 503))
async def record_call(body: HotlineCallIn, actor: IntakeActor, intake: IntakeDep, org: OrgDep, response: Response,
                      idempotency_key: IdempotencyKey = None) -> HotlineCallOut:
    """Record a hotline call (12345) and what became of it at intake: dispatched as a work order (201),
    answered, handed over to 110/119/120, referred to a legal channel or outside government duties (201, a
    petition closed at once with the triage and its reason), or the same matter as an open petition with no
    new facts (200: no new order; the caller is linked to it and return-visited too)."""
    require_role(actor, "hotline-call")
    reach = ActorReach(actor, org)
    if body.outcome is TriageOutcome.SAME_MATTER:
        assert body.same_as is not None
        command = cmd.LinkCaller(actor=actor, reason=body.reason, caller_name=body.caller_name,
                                 caller_phone=body.caller_phone, anonymous=body.anonymous,
                                 confidential=body.confidential, request_type=body.request_type)
        state = await intake.link_caller(body.same_as, command, reach, idempotency_key,
                                         body.model_dump(mode="json"))
        response.status_code = status.HTTP_200_OK
        return HotlineCallOut(outcome=body.outcome, outcome_label=body.outcome.label,
                              petition=state_out(state, actor, org), linked_as=state.linked_callers[-1].caller
                              if state.linked_callers else None)
    assert body.category is not None and body.description is not None
    triage = None if body.outcome is TriageOutcome.DISPATCH else Triage(
        body.outcome, body.reason, body.answer, body.emergency_line, body.legal_channel)
    reported = await intake.report(Intake(
        actor=actor, category=body.category, description=body.description, channel=Channel.HOTLINE,
        grid_code=body.grid_code, latitude=body.lat, longitude=body.long, address=body.address,
        urgency=body.urgency, reporter_name=body.caller_name, reporter_phone=body.caller_phone,
        confidential=body.confidential, public_summary=body.public_summary, media_urls=tuple(body.media_urls),
        idempotency_key=idempotency_key, request={"hotline": body.model_dump(mode="json")},
        request_type=body.request_type, anonymous=body.anonymous, triage=triage,
        separate_matter=body.separate_matter,
    ), org, reach)
    response.status_code = reported.status
    answer = reported_out(reported, actor, org)
    petition = PetitionOut(**answer.model_dump(exclude={"duplicate_candidates", "joined_burst"}))
    if answer.joined_burst is not None:  # the burst took the call in: the same matter as its petition
        return HotlineCallOut(outcome=TriageOutcome.SAME_MATTER, outcome_label=TriageOutcome.SAME_MATTER.label,
                              petition=petition, linked_as=answer.joined_burst.caller,
                              joined_burst=answer.joined_burst)
    return HotlineCallOut(outcome=body.outcome, outcome_label=body.outcome.label, petition=petition,
                          duplicate_candidates=answer.duplicate_candidates)
