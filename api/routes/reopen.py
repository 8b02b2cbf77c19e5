"""结案后重办: reopening a closed petition when the resident calls again (issue 11, section 6)."""

# no `from __future__ import annotations`: FastAPI reads the body model built at import
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import CurrentActor
from api.deps import OrgDep, ServicesDep, StoreDep
from api.errors import PROBLEM_RESPONSES
from api.idempotency import IdempotencyKey, claim_key, first_answer, keep_answer, update_id
from api.petition_views import state_out, visible_row
from api.routes.commands import body_model
from api.schemas import PetitionOut
from api.scope import require_role
from config.reference_data import work_calendar
from domain import commands as cmd
from domain.catalogue import decide
from domain.model import Actor, PetitionState
from domain.workcalendar import CHINA
from eventstore.petition_projection import fold_stored

router = APIRouter(prefix="/v1/petitions", tags=["commands"])
if TYPE_CHECKING:  # a model built at import time: the type checker sees its base
    ReopenIn = BaseModel
else:
    ReopenIn = body_model(cmd.ReopenClosed)


@router.post("/{petition_id}/reopen", response_model=PetitionOut,
             responses=PROBLEM_RESPONSES(401, 403, 404, 409, 413, 422, 503))
async def reopen(petition_id: str, body: ReopenIn, actor: CurrentActor,
                 services: ServicesDep, org: OrgDep, store: StoreDep,
                 idempotency_key: IdempotencyKey = None) -> PetitionOut:
    """Reopen a closed petition within the policy window, naming the caller who asked again (结案后重办)."""
    require_role(actor, "reopen")
    row = await visible_row(services.pool, petition_id, actor, org, for_command=True, closed_ok=True)
    command = cmd.ReopenClosed(actor=actor, **dict(body))
    update = None
    if idempotency_key is not None:
        claimed = await claim_key(services.pool, actor.id, idempotency_key,
                                  {"petition": row["id"], "action": "reopen", "body": body.model_dump(mode="json")},
                                  row["id"])
        update = update_id(actor.id, idempotency_key)
        if not claimed.first:
            # a retry: the first answer, as the reopen left the petition (also after it moved on or closed again)
            if answer := await first_answer(services.pool, actor.id, idempotency_key, claimed, row["id"]):
                return state_out(answer.state, actor, org)
            if row["status"] != "closed":  # the first reopen is still running: its update's one outcome
                return await _kept(services, actor.id, idempotency_key,
                                   await services.petitions.send(row["id"], command, update_id=update), actor)
    # The petition's workflow ended when it closed: its state is folded from the log, and the reopen is
    # decided here first, so a refused reopen (window, outcome, role) starts no run at all.
    snapshot = fold_stored(row["id"], await store.read_stream(row["id"]))
    decide(snapshot, command, datetime.now(CHINA), work_calendar())  # raises the domain error (403/409/422)
    state = await services.petitions.reopen_closed(snapshot, command, update_id=update)
    return await _kept(services, actor.id, idempotency_key, state, actor)


async def _kept(services: ServicesDep, subject: str, key: str | None, state: PetitionState,
                actor: Actor) -> PetitionOut:
    """The reopen's answer, kept with its Idempotency-Key (if any) for the retries."""
    if key is not None:
        await keep_answer(services.pool, subject, key, state, 200)
    return state_out(state, actor, services.org)
