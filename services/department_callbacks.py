"""A department system's signed callbacks (docs/department-contract.md): whose signature holds, that
each is applied once, and as whom its command is sent. The route is `api/routes/departments.py`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg

from domain.enums import Role
from domain.errors import InvalidState, NotFound
from domain.model import Actor
from domain.workcalendar import CHINA
from eventstore.department_callbacks import claim_callback, release_callback
from org.model import DepartmentSystem, OrgTree
from services.signatures import WINDOW_SECONDS, verify

# the catalogue's REST actions a callback may send: what a handling unit does with its work order
CALLBACK_ACTIONS = ("accept", "progress", "resolve", "return", "extension-request", "escalate")
# How long a used callback id is refused as `callback_replayed`. A replay is refused by its timestamp once
# it is WINDOW_SECONDS from jiehu's clock; a signer whose clock ran ahead by up to the window makes that
# twice the window after the first arrived, and the database's clock may differ from the API's: a day
# covers all of it with a wide margin, and keeps the table at a day of callbacks.
CALLBACK_ID_RETENTION = timedelta(days=1)
assert CALLBACK_ID_RETENTION.total_seconds() > 2 * WINDOW_SECONDS


class UnknownDepartment(NotFound):
    """No district department with this code takes signed callbacks."""

    code = "unknown_department"


class CallbackReplayed(InvalidState):
    """A callback id this department used before (the first one was applied)."""

    code = "callback_replayed"


def callback_system(org: OrgTree, code: str) -> DepartmentSystem:
    """The department's system, if it signs callbacks (has key ids); UnknownDepartment (404) if not."""
    unit = org.units.get(code)
    system = unit.system if unit is not None else None
    if system is None or not system.keys:
        raise UnknownDepartment(f"no department {code!r} with signed callbacks (department_systems in the org data)")
    return system


def verify_callback(system: DepartmentSystem, secrets: Mapping[str, str], headers: Mapping[str, str],
                    body: bytes, now: float | None = None) -> str:
    """The key id that signed `body` (services.signatures.verify), among the keys the org data lists now
    whose secrets are configured: a key id removed from the org data no longer signs anything."""
    valid = {key: secrets[key] for key in system.keys if key in secrets}
    return verify(headers, body, valid, time.time() if now is None else now)


def callback_actor(org: OrgTree, code: str, operator: str) -> Actor:
    """The department's system acting as its staff; `operator` (who in the department) is the name the
    petition's timeline shows."""
    return Actor(id=f"system@{code}"[:64], name=operator, unit_code=code, role=Role.DEPARTMENT_STAFF)


@asynccontextmanager
async def applied_once(pool: asyncpg.Pool, department: str, callback_id: str, petition_id: str,
                       action: str) -> AsyncIterator[None]:
    """Run the callback's command once per (department, callback id): CallbackReplayed (409) for an id
    already used; if the command is refused or fails, the id is released so that the callback may be
    sent again (the update id makes a command that did land answer as it did)."""
    first = await claim_callback(pool, department, callback_id, petition_id, action, CALLBACK_ID_RETENTION)
    if first is not None:
        when = first.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        raise CallbackReplayed(f"callback {callback_id!r} was received at {when} (Beijing time); "
                               "a new callback needs a new callback_id")
    try:
        yield
    except BaseException:
        await release_callback(pool, department, callback_id)
        raise
