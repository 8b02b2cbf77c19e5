"""Petitions: report, read, read events, and one POST per command of the closed loop."""

# no `from __future__ import annotations`: the command routes are built from classes at runtime
import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status

from api.deps import OrgDep, ServicesDep, StoreDep
from api.errors import ApiError
from api.schemas import DispatchIn, EventOut, PetitionOut, ReportIn
from domain import commands as cmd
from domain.enums import CloseOutcome, DeadlineState, Level, Status
from domain.model import PetitionState
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from org.routing import ladder_for_report, ladder_from_unit

router = APIRouter(prefix="/v1/petitions", tags=["petitions"])

PROBLEM = {"content": {"application/problem+json": {}}}
COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The actor's unit or role may not do this", **PROBLEM},
    404: {"description": "No such petition", **PROBLEM},
    409: {"description": "The petition is not in a state that allows this", **PROBLEM},
    422: {"description": "Invalid command or body", **PROBLEM},
    503: {"description": "The workflow engine is not reachable", **PROBLEM},
}


def to_out(row: dict[str, Any]) -> PetitionOut:
    """A read-model row with the Chinese labels of its enums."""
    return PetitionOut(
        **{k: v for k, v in row.items() if k in PetitionOut.model_fields},
        status_label=Status(row["status"]).label,
        level_label=Level(row["level"]).label if row["level"] else None,
        deadline_state_label=DeadlineState(row["deadline_state"]).label,
        close_outcome_label=CloseOutcome(row["close_outcome"]).label if row["close_outcome"] else None,
    )


def state_out(state: PetitionState) -> PetitionOut:
    return to_out(petition_row(state, updated_at=datetime.now(CHINA).isoformat()))


def new_petition_id() -> str:
    return f"JH{datetime.now(CHINA):%Y%m%d}-{secrets.token_hex(4).upper()}"


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PetitionOut, responses=COMMAND_ERRORS)
async def report_petition(body: ReportIn, services: ServicesDep, org: OrgDep) -> PetitionOut:
    """Report a petition (发现上报): it is routed and its deadlines start at once."""
    if body.category not in org.categories:
        raise ApiError(422, "unknown_category", f"unknown category {body.category!r}; see GET /v1/categories")
    ladder = ladder_for_report(org, body.grid_code, body.category)
    report = cmd.Report(
        actor=body.actor, petition_id=new_petition_id(), category=body.category, description=body.description,
        address=body.address, grid_code=body.grid_code, channel=body.channel, urgency=body.urgency,
        reporter_name=body.reporter_name, reporter_phone=body.reporter_phone, policy_name=services.policy.name,
        rules=services.policy.rules_for(body.category, body.urgency), ladder=ladder,
    )
    return state_out(await services.petitions.report(report))


@router.get("/{petition_id}", response_model=PetitionOut, responses={404: COMMAND_ERRORS[404]})
async def get_petition(petition_id: str, services: ServicesDep) -> PetitionOut:
    """One petition as the read model holds it."""
    row = await services.pool.fetchrow("SELECT * FROM petitions WHERE id = $1", petition_id)
    if row is None:
        raise ApiError(404, "petition_not_found", f"no petition {petition_id}")
    return to_out(dict(row))


@router.get("/{petition_id}/events", response_model=list[EventOut], responses={404: COMMAND_ERRORS[404]})
async def get_petition_events(petition_id: str, store: StoreDep) -> list[EventOut]:
    """The petition's domain events, in the order they happened."""
    events = await store.read_stream(petition_id)
    if not events:
        raise ApiError(404, "petition_not_found", f"no petition {petition_id}")
    return [EventOut(position=e.position, version=e.version, event_id=e.event_id, type=e.type,
                     occurred_at=e.occurred_at, recorded_at=e.recorded_at, data=e.data) for e in events]


@router.post("/{petition_id}/dispatch", response_model=PetitionOut, responses=COMMAND_ERRORS)
async def dispatch(petition_id: str, body: DispatchIn, services: ServicesDep, org: OrgDep) -> PetitionOut:
    """Re-route (分办/改派) the petition to another unit; its ladder continues above that unit."""
    row = await services.pool.fetchrow("SELECT grid_code, category FROM petitions WHERE id = $1", petition_id)
    if row is None:
        raise ApiError(404, "petition_not_found", f"no petition {petition_id}")
    ladder = ladder_from_unit(org, body.unit_code, row["grid_code"], row["category"])
    command = cmd.Dispatch(actor=body.actor, ladder=ladder, note=body.note)
    return state_out(await services.petitions.send(petition_id, command))


def _command_route(path: str, command_type: type, summary: str) -> None:
    async def endpoint(petition_id: str, body: command_type, services: ServicesDep) -> PetitionOut:  # type: ignore[valid-type]
        return state_out(await services.petitions.send(petition_id, body))

    endpoint.__name__ = path.replace("-", "_")
    endpoint.__doc__ = summary
    router.post(f"/{{petition_id}}/{path}", response_model=PetitionOut, responses=COMMAND_ERRORS,
                summary=summary)(endpoint)


for _path, _type, _summary in [
    ("accept", cmd.Accept, "Accept the work order (签收)"),
    ("return", cmd.Return, "Return a misrouted order to the dispatcher (退单)"),
    ("escalate", cmd.Escalate, "Escalate one rung up (上报/提级)"),
    ("extension-request", cmd.RequestExtension, "Ask the rung above for more time (申请延期)"),
    ("extension-decision", cmd.DecideExtension, "Grant or deny an extension, as the rung above (延期审批)"),
    ("pause", cmd.Pause, "Request, approve or deny stopping the clock (暂停计时)"),
    ("resume", cmd.Resume, "Restart the clock (恢复计时)"),
    ("progress", cmd.NoteProgress, "Note progress (办理进展)"),
    ("resolve", cmd.Resolve, "Resolve with a result and evidence (办结)"),
    ("urge", cmd.Urge, "Urge the handling unit (督办/催办)"),
    ("return-visit", cmd.RecordReturnVisit, "Record the resident's return visit (回访)"),
    ("close", cmd.Close, "Close with an explicit outcome (结案)"),
]:
    _command_route(_path, _type, _summary)
