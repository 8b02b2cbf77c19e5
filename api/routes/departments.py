"""A department system's signed callbacks: accept, note progress on, resolve, return (退单), ask for an
extension of or escalate a work order as the department, without a bearer token (the contract:
docs/department-contract.md)."""

# no `from __future__ import annotations`: the body models are built from the command classes at runtime
import operator
from functools import reduce
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from pydantic import Discriminator, Field, Tag, create_model

from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.handover import record_opening
from api.input_rules import CheckedInput
from api.petition_views import state_out, visible_row
from api.schemas import PetitionOut
from domain.catalogue import BY_ACTION
from services.department_callbacks import (
    CALLBACK_ACTIONS,
    applied_once,
    callback_actor,
    callback_system,
    verify_callback,
)
from services.signatures import SignatureRefused

router = APIRouter(prefix="/v1/departments", tags=["departments"])


class _Callback(CheckedInput):
    """What every callback carries, besides its `action` and the fields of that action's command."""

    model_config = {"extra": "forbid"}

    callback_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
                             description="Unique per callback of this department (printable ASCII, no spaces); "
                                         "a second callback with the same id is refused (409 callback_replayed)")
    petition_id: str = Field(min_length=1, max_length=64, description="The work order's `petition_id`")
    operator: str = Field(min_length=1, max_length=64,
                          description="Who in the department did it; the petition's timeline names them")
    action: str  # each callback model narrows it to its own action


def _callback_model(action: str) -> Any:
    command = BY_ACTION[action].command
    action_type: Any = Literal[action]  # a Literal of a value known at import time
    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in command.model_fields.items()
                              if name not in ("actor", "kind")}
    return create_model(f"{command.__name__}Callback", __base__=_Callback,
                        action=(action_type, Field(description=BY_ACTION[action].summary)), **fields)


def _action(value: Any) -> Any:
    return value.get("action") if isinstance(value, dict) else getattr(value, "action", None)


if TYPE_CHECKING:  # models built at import time: the type checker sees their base
    CallbackIn = _Callback
else:
    # a callable discriminator: the API's input checks run before validation, on every field
    CallbackIn = Annotated[reduce(operator.or_, [Annotated[_callback_model(a), Tag(a)] for a in CALLBACK_ACTIONS]),
                           Discriminator(_action, custom_error_type="invalid_action",
                                         custom_error_message=f"action: one of {', '.join(CALLBACK_ACTIONS)}")]


async def _signed(code: str, request: Request, services: ServicesDep, org: OrgDep) -> str:
    """The key id that signed the request's exact body; 404 for a department without signed callbacks,
    401 `invalid_signature` or `stale_timestamp`. Checked before the body's fields."""
    system = callback_system(org, code)
    try:
        return verify_callback(system, services.settings.department_keys.get(code, {}), request.headers,
                               await request.body())
    except SignatureRefused as refused:
        raise ApiError(401, refused.code, refused.message) from None


@router.post("/{code}/callbacks", response_model=PetitionOut,
             responses=PROBLEM_RESPONSES(401, 403, 404, 409, 413, 422, 503))
async def department_callback(code: str, body: Annotated[CallbackIn, Body()], services: ServicesDep, org: OrgDep,
                              key_id: Annotated[str, Depends(_signed)]) -> PetitionOut:
    """A department system accepts (签收), notes progress on (办理进展), resolves (办结), returns as misrouted
    (退单), asks the rung above for more time on (申请延期) or escalates (上报) one of its work orders, as that
    department (the same commands as `POST /v1/petitions/{id}/{action}`). Signed like the orders jiehu
    POSTs to it: X-Jiehu-Timestamp (Unix seconds), X-Jiehu-Key-Id and X-Jiehu-Signature, where the signature
    is `v1=` and the hex HMAC-SHA256, with the secret of the key id, of the timestamp, a `.` and the exact
    body bytes; the timestamp within 300 s of jiehu's clock. Each `callback_id` is applied
    once. Answers the petition as the department sees it after the command."""
    actor = callback_actor(org, code, body.operator)
    row = await visible_row(services.pool, body.petition_id, actor, org, for_command=True)
    command = BY_ACTION[body.action].command(actor=actor, **body.model_dump(
        exclude={"callback_id", "petition_id", "operator", "action"}))
    async with applied_once(services.pool, code, body.callback_id, body.petition_id, body.action):
        await record_opening(services.petitions, row, actor)
        state = await services.petitions.send(row["id"], command, update_id=f"callback-{code}-{body.callback_id}")
    return state_out(state, actor, org)
