"""What a caller may see and do, by role and by the org tree."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from api.errors import ApiError
from domain import commands as cmd
from domain.catalogue import BY_ACTION, BY_TYPE
from domain.enums import Role, UnitKind
from domain.model import Actor
from domain.roles import HANDLING, HOTLINE, PROPERTY_HOTLINE, role_refusal
from org.model import OrgTree

# Which roles may do each thing at all; the workflow and the routes then check the unit (the handling
# unit, the rung above, the caller's subtree). Keys are the API's action names. The petition's commands
# take theirs from the catalogue (`domain/catalogue.py`), where the decider reads the same sets.
ROLES_OF_ACTION: dict[str, AbstractSet[Role]] = {
    **{action: spec.roles for action, spec in BY_ACTION.items()},
    # issue 14: the routes of the commands that start a petition in other ways (their roles: the catalogue's)
    "report-on-the-spot": BY_TYPE[cmd.ReportOnTheSpot].roles,
    "hotline-call": HOTLINE,
    # issue 14 §4, 民意"5"来听: a visit team's cadres (staff roles; membership of the team by token subject is the
    # visit desk's check) record matters of their round and may close it early; admins too
    "visit-matter": BY_TYPE[cmd.ReportVisitMatter].roles,
    "visit-round-close": BY_TYPE[cmd.ReportVisitMatter].roles,
    # issue 14 §3: a 物业110 call (api/routes/property_hotline.py says which compounds each may take)
    "property-hotline-call": PROPERTY_HOTLINE,
    # evaluation (考评): a month's edition and a quarter's property round span every district, so
    # publishing and opening/closing a round are the city level's (admin; the monthly close publishes
    # on its own); supervisors uphold appeals and record property scores inside their own subtree
    # (api/unit_scope.py), and replay their own petitions in the what-if
    "publish-scorecards": {Role.ADMIN},
    "correct-evaluation": {Role.SUPERVISOR, Role.ADMIN},
    # appeals (申诉): a handling unit files one about its own record; a supervisor (its subtree) or admin
    # upholds or rejects it
    "file-appeal": HANDLING,
    "decide-appeal": {Role.SUPERVISOR, Role.ADMIN},
    "property-round": {Role.ADMIN},
    # the State Council's holiday arrangement is the whole city's calendar: the city level loads it
    "load-calendar": {Role.ADMIN},
    "property-score": {Role.SUPERVISOR, Role.ADMIN},
    "what-if": {Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN},
    # who read a resident's data (访问留痕): the auditors' office, and admins
    "read-access-log": {Role.AUDITOR, Role.ADMIN},
    # a resident's "no messages, please" (回复TD退订, or said on the phone): the roles that talk to residents
    "resident-notifications": {Role.RETURN_VISITOR, Role.DISPATCHER, Role.ADMIN},
}

# Roles that talk to the resident and so see their name and phone unmasked (and find petitions by them).
# Not the auditor: they read who saw a resident's data, never the data itself.
SEES_PERSONAL_DATA = {Role.RETURN_VISITOR, Role.DISPATCHER, Role.ADMIN}


def require_role(actor: Actor, action: str) -> None:
    """Raise ApiError 403 `role_not_allowed` (worded as the decider's refusal) unless the actor's role may do
    `action`, a command's REST action or an evaluation write (`ROLES_OF_ACTION`; KeyError for an action it does not
    name)."""
    allowed = ROLES_OF_ACTION[action]
    if actor.role not in allowed:
        raise ApiError(403, "role_not_allowed", role_refusal(action, allowed))


def scope_units(actor: Actor, org: OrgTree) -> list[str] | None:
    """Unit codes whose petitions the actor may see (None: all of them)."""
    if actor.role is Role.ADMIN:
        return None
    unit = org.units.get(actor.unit_code)
    if unit is None:
        return []
    if unit.kind in (UnitKind.DEPARTMENT, UnitKind.PROPERTY_COMPANY):
        return [unit.code]  # their own work orders
    return sorted(org.subtree(unit.code))


def in_scope(row: dict[str, Any], scope: list[str] | None, actor: Actor | None = None) -> bool:
    """The petition was handled inside `scope`, or `actor` reported it (我的上报: reporters follow what
    they reported wherever it goes)."""
    if actor is not None and row.get("reported_by") and row["reported_by"] == actor.id:
        return True
    return scope is None or bool(set(row["handled_units"]) & set(scope))


def grid_in_scope(actor: Actor, org: OrgTree, grid_code: str) -> bool:
    """Whether the actor may report in `grid_code`: a grid of its subtree; a district's dispatcher (hotline agent)
    any grid of its district; admin any grid."""
    scope = scope_units(actor, org)
    if scope is None:
        return True
    district = org.units[grid_code].district_code if grid_code in org.units else None
    own = org.units.get(actor.unit_code)
    if actor.role is Role.DISPATCHER and own is not None and own.kind is UnitKind.DISTRICT:
        return district == own.code  # hotline agents report for the whole district
    return grid_code in scope


def sees_personal_data(row: dict[str, Any], actor: Actor) -> bool:
    """THE decision: the resident's name and phone (and the numbers in free text) are shown to the
    roles that contact the resident, to the cadre who reported it (they typed them in), and to the
    unit that holds the petition (its handling staff, not its supervisors or auditors) unless it is
    confidential (工单保密); masked (`domain.masking.masked`)
    to everyone else, on the petition, in its events and in listings alike. Reads go through
    `api.access.ReadAccess.shown_unmasked`, which records every `True`."""
    if actor.role in SEES_PERSONAL_DATA or (row.get("reported_by") and row["reported_by"] == actor.id):
        return True
    # the holding unit's own handlers, not every role of that unit: a street's supervisor or auditor is masked
    # like any other reader while the street holds the petition (found in a review)
    return (not row.get("confidential") and actor.role in HANDLING and bool(row.get("unit_code"))
            and row["unit_code"] == actor.unit_code)
