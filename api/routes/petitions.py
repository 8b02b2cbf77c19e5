"""Petitions: report (idempotently), read one, read its events. No SQL: intake is `services/intake.py`'s,
reads go through `api/petition_views.py` and `eventstore/petition_queries.py`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from api.access import ReadAccessDep
from api.deps import IntakeDep, OrgDep, ServicesDep, StoreDep
from api.errors import PROBLEM_RESPONSES
from api.handover import record_opening
from api.idempotency import IdempotencyKey
from api.petition_views import ActorReach, events_out, petitions_out, reported_out, visible_row
from api.rate_limit import IntakeActor
from api.schemas import EventOut, OnTheSpotIn, PetitionOut, ReportedOut, ReportIn
from api.scope import require_role, scope_units
from domain.channels import channel_of
from domain.enums import ReadKind
from domain.model import Actor
from eventstore.department_deliveries import deliveries_of
from eventstore.petition_queries import duplicates_of
from services.intake import IntakeService
from services.intake_command import Intake, OnTheSpot

router = APIRouter(prefix="/v1/petitions", tags=["petitions"])


def _link(path: str, method: str, description: str) -> dict[str, object]:
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}", "parameters": {"petition_id": "$response.body#/id"},
            "description": description}


# OpenAPI links (issue 16 §3): a reported petition's id leads to what can be done with it next, for clients and for
# stateful fuzzing (schemathesis follows them: report → read → accept → progress → resolve)
REPORTED_LINKS = {
    "GetPetition": _link("/v1/petitions/{petition_id}", "get", "the petition as the read model holds it"),
    "GetEvents": _link("/v1/petitions/{petition_id}/events", "get", "its events"),
    **{action.title().replace("-", ""): _link(f"/v1/petitions/{{petition_id}}/{action}", "post", f"{action} it")
       for action in ("accept", "progress", "resolve", "return", "escalate", "urge", "extension-request")},
}
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {**PROBLEM_RESPONSES(401, 403, 409, 413, 422, 429, 503),
                    201: {"description": "Reported", "links": REPORTED_LINKS}}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ReportedOut,
             responses=REPORT_RESPONSES)
async def report_petition(
    body: ReportIn, actor: IntakeActor, intake: IntakeDep, org: OrgDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReportedOut:
    """Report a petition (发现上报): it is routed and its deadlines start at once. Its channel follows from
    the reporter's role (`channel` may name another the role uses). The answer lists open petitions that look
    like the same problem (`duplicate_candidates`); a report inside a burst a dispatcher declared joins it
    instead (200, `joined_burst`: no new petition) unless `separate_matter`."""
    require_role(actor, "report")
    return await _report(body, actor, intake, org, response, idempotency_key, None)


@router.post("/on-the-spot", status_code=status.HTTP_201_CREATED, response_model=ReportedOut,
             responses=REPORT_RESPONSES)
async def report_on_the_spot(
    body: OnTheSpotIn, actor: IntakeActor, intake: IntakeDep, org: OrgDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReportedOut:
    """就地解决: a grid worker reports a problem of their own grid and resolves it in one step, with evidence
    (`evidence_urls`, at least one) and what was done (`result`). It waits for its return visit like any
    resolved petition and counts as resolved on the spot in the grid's figures."""
    require_role(actor, "report-on-the-spot")
    return await _report(body, actor, intake, org, response, idempotency_key,
                         OnTheSpot(body.result, tuple(body.evidence_urls)))


async def _report(body: ReportIn, actor: Actor, intake: IntakeService, org: OrgDep, response: Response,
                  idempotency_key: str | None, on_the_spot: OnTheSpot | None) -> ReportedOut:
    # fields added later count only when sent, so a retry of an older client's body still matches
    later = {"lat", "long", "media_urls", "request_type", "resident_sms", "separate_matter"} - body.model_fields_set
    reported = await intake.report(Intake(
        actor=actor, category=body.category, description=body.description, channel=channel_of(actor.role, body.channel),
        grid_code=body.grid_code, latitude=body.lat, longitude=body.long, address=body.address,
        urgency=body.urgency, reporter_name=body.reporter_name, reporter_phone=body.reporter_phone,
        confidential=body.confidential, public_summary=body.public_summary, media_urls=tuple(body.media_urls),
        resident_sms=body.resident_sms,
        follows=body.follows or "", idempotency_key=idempotency_key, request_type=body.request_type,
        request=body.model_dump(mode="json", exclude=later), on_the_spot=on_the_spot,
        separate_matter=body.separate_matter,
    ), org, ActorReach(actor, org))
    response.status_code = reported.status  # a keyed retry: the first answer's status (201); a burst joined: 200
    return reported_out(reported, actor, org)


@router.get("/{petition_id}", response_model=PetitionOut, responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_petition(petition_id: str, access: ReadAccessDep, services: ServicesDep, org: OrgDep) -> PetitionOut:
    """One petition as the read model holds it, with its work orders' deliveries to department systems
    (attempts, last error). Staff of the department holding it who open it here record its work order's
    hand-over (查收), if no system of the department took it first."""
    row = await visible_row(services.pool, petition_id, access.actor, org)
    if await record_opening(services.petitions, row, access.actor):  # it moved on meanwhile: show it as it is now
        row = await visible_row(services.pool, petition_id, access.actor, org)
    row["duplicates"] = await duplicates_of(services.pool, petition_id, scope_units(access.actor, org),
                                            access.actor.id)
    row["deliveries"] = await deliveries_of(services.pool, petition_id)
    [petition] = await petitions_out([row], access, ReadKind.PETITION)
    return petition


@router.get("/{petition_id}/events", response_model=list[EventOut], responses=PROBLEM_RESPONSES(401, 404, 422))
async def get_petition_events(petition_id: str, access: ReadAccessDep, services: ServicesDep, org: OrgDep,
                              store: StoreDep) -> list[EventOut]:
    """The petition's domain events, in the order they happened (opening them is a hand-over too)."""
    row = await visible_row(services.pool, petition_id, access.actor, org)
    if await record_opening(services.petitions, row, access.actor):  # it moved on meanwhile: show it as it is now
        row = await visible_row(services.pool, petition_id, access.actor, org)
    return await events_out(row, await store.read_stream(petition_id), access)
