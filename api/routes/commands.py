"""One POST per command of the closed loop; the caller's token is the actor."""

# no `from __future__ import annotations`: the body models are built from the command classes at runtime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, create_model

from api.auth import CurrentActor
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.handover import record_opening
from api.idempotency import IdempotencyKey, claim_key, first_answer, keep_answer, update_id
from api.input_rules import CheckedInput
from api.petition_views import closed_petition, state_out, visible_row
from api.schemas import DispatchIn, PetitionOut
from api.scope import require_role
from api.unit_scope import require_dispatch_target
from domain import commands as cmd
from domain.catalogue import BY_ACTION
from domain.enums import CloseOutcome
from org.routing import ladder_from_unit

router = APIRouter(prefix="/v1/petitions", tags=["commands"])
COMMAND_ERRORS = PROBLEM_RESPONSES(401, 403, 404, 409, 413, 422, 503)


@router.post("/{petition_id}/dispatch", response_model=PetitionOut, responses=COMMAND_ERRORS)
async def dispatch(petition_id: str, body: DispatchIn, actor: CurrentActor, services: ServicesDep,
                   org: OrgDep, idempotency_key: IdempotencyKey = None) -> PetitionOut:
    """Re-route (分办/改派) the petition to another unit; its ladder continues above that unit."""
    require_role(actor, "dispatch")
    row = await visible_row(services.pool, petition_id, actor, org, for_command=True, closed_ok=True)
    require_dispatch_target(actor, org, body.unit_code)  # before the workflow: routing stays inside the tree
    require_dispatch_target(actor, org, row["unit_code"] or "", moving="the petition, now held by")
    ladder = ladder_from_unit(org, body.unit_code, row["grid_code"], row["category"])
    target = org.units.get(body.unit_code)
    desk = target.district_code if target is not None and target.district_code else ""
    command = cmd.Dispatch(actor=actor, ladder=ladder, note=body.note, desk_code=desk)
    return await _send(services, row, command, "dispatch", body.model_dump(mode="json"), idempotency_key)


async def _send(services: ServicesDep, row: dict[str, Any], command: Any, action: str, payload: dict[str, Any],
                key: str | None) -> PetitionOut:
    """Send the command once. A retry with the same Idempotency-Key gets the first answer: the petition as
    the first request's command left it (kept with the key, folded from the log), even after it moved on or
    closed; a retry while the first still runs shares its Temporal update, so the command runs once."""
    if key is None:
        if row["status"] == "closed":
            raise closed_petition(row)
        await record_opening(services.petitions, row, command.actor)  # acting on an order means it was opened
        return state_out(await services.petitions.send(row["id"], command), command.actor, services.org)
    subject = command.actor.id
    claimed = await claim_key(services.pool, subject, key, {"petition": row["id"], "action": action,
                                                            "body": payload}, row["id"])
    if not claimed.first and (answer := await first_answer(services.pool, subject, key, claimed, row["id"])):
        return state_out(answer.state, command.actor, services.org)
    if row["status"] == "closed":
        raise closed_petition(row)
    await record_opening(services.petitions, row, command.actor)  # acting on an order means it was opened
    state = await services.petitions.send(row["id"], command, update_id=update_id(subject, key))
    await keep_answer(services.pool, subject, key, state, 200)
    return state_out(state, command.actor, services.org)


async def send_command(services: ServicesDep, row: dict[str, Any], command: Any, action: str,
                       payload: dict[str, Any], key: str | None) -> PetitionOut:
    """Send one command as every route does (`_send`): once, a keyed retry answered from the first; for the
    routes of other modules (issue 14 §5's burst)."""
    return await _send(services, row, command, action, payload, key)


def body_model(command_type: type[BaseModel]) -> type[BaseModel]:
    """The command's fields without `actor` (from the token) and `kind` (from the path)."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in command_type.model_fields.items()
        if name not in ("actor", "kind")
    }
    return create_model(f"{command_type.__name__}Body", __base__=_Body, **fields)


class _Body(CheckedInput):
    """The API's checks (no blank text, http(s) evidence links) on top of the command's own fields."""

    model_config = ConfigDict(extra="forbid")


def _command_route(path: str, command_type: type[BaseModel], summary: str) -> None:
    body_type = body_model(command_type)

    async def endpoint(petition_id: str, actor: CurrentActor, services: ServicesDep, org: OrgDep,
                       body: body_type | None = None,  # type: ignore[valid-type]
                       idempotency_key: IdempotencyKey = None) -> PetitionOut:
        require_role(actor, path)
        row = await visible_row(services.pool, petition_id, actor, org, for_command=True, closed_ok=True)
        command = command_type(actor=actor, **(dict(body) if body is not None else {}))
        payload: dict[str, Any] = body.model_dump(mode="json") if body is not None else {}
        return await _send(services, row, command, path, payload, idempotency_key)

    endpoint.__name__ = path.replace("-", "_")
    endpoint.__doc__ = summary
    router.post(f"/{{petition_id}}/{path}", response_model=PetitionOut, responses=COMMAND_ERRORS,
                summary=summary)(endpoint)


# Commands with a route of their own: a report starts a petition (routes/petitions.py), a dispatch names a
# unit instead of a ladder, a close checks the petition it duplicates, a reopen starts a new run
# (routes/reopen.py). Every other command the catalogue gives an action is one generic route.
OWN_ROUTES = {cmd.Report, cmd.Dispatch, cmd.Close, cmd.ReopenClosed,
              cmd.MergeInto, cmd.DeclareBurst}  # issue 14 §5: routes/duplicates.py

for _action, _spec in BY_ACTION.items():
    if _spec.command not in OWN_ROUTES:
        _command_route(_action, _spec.command, _spec.summary)

if TYPE_CHECKING:  # a model built at import time: the type checker sees its base
    CloseBody = BaseModel
else:
    CloseBody = body_model(cmd.Close)


@router.post("/{petition_id}/close", response_model=PetitionOut, responses=COMMAND_ERRORS,
             summary=BY_ACTION["close"].summary)
async def close(petition_id: str, body: CloseBody, actor: CurrentActor,
                services: ServicesDep, org: OrgDep, idempotency_key: IdempotencyKey = None) -> PetitionOut:
    """Close with an explicit outcome (结案); anything but `resolved` needs an explanation. Closing as
    `duplicate` (重复件) needs `duplicate_of`: another petition the caller may see, which then lists this
    one among its `duplicates`."""
    require_role(actor, "close")
    row = await visible_row(services.pool, petition_id, actor, org, for_command=True, closed_ok=True)
    fields: dict[str, Any] = dict(body)
    original = fields["duplicate_of"].strip()
    if fields["outcome"] is CloseOutcome.DUPLICATE:
        if not original:
            raise ApiError(422, "duplicate_of_required", "duplicate_of: closing as duplicate names the petition it "
                                                         "duplicates")
        if original == row["id"]:
            raise ApiError(422, "invalid_duplicate_of", "duplicate_of: a petition cannot duplicate itself")
        try:
            await visible_row(services.pool, original, actor, org)
        except ApiError as error:
            raise ApiError(422, "invalid_duplicate_of", f"duplicate_of: no petition {original} that you may "
                                                        "see") from error
    elif original:
        raise ApiError(422, "invalid_duplicate_of", "duplicate_of: only a petition closed as duplicate names one")
    command = cmd.Close(actor=actor, **(fields | {"duplicate_of": original}))
    return await _send(services, row, command, "close", body.model_dump(mode="json"), idempotency_key)
