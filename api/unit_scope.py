"""Which units of the org tree a caller may name: dispatch to, act on, read the cards of.

`api/scope.py` says which roles may do what and which petitions a caller sees; this module answers
the same question for unit codes in requests (a dispatch target, a correction's unit, a property
company, `unit` and `within` of evaluation reads). `None` means "every unit" (admin, the city level).
"""

from __future__ import annotations

from api.errors import ApiError
from domain.enums import Role, UnitKind
from domain.evaluation import Scorecard
from domain.model import Actor
from org.model import OrgTree


def known_unit(org: OrgTree, code: str) -> None:
    """Raise ApiError 404 `unit_not_found` unless `code` is a unit of the org."""
    if code not in org.units:
        raise ApiError(404, "unit_not_found", f"no unit {code!r}; see GET /v1/units")


def units_below(actor: Actor, org: OrgTree) -> set[str] | None:
    """The caller's unit and everything below it (a department or property company: itself)."""
    if actor.role is Role.ADMIN:
        return None
    return org.subtree(actor.unit_code) if actor.unit_code in org.units else set()


def grids_below(actor: Actor, org: OrgTree) -> set[str] | None:
    """The grids of the caller's subtree (admin: None, all): where its petitions were reported."""
    reach = units_below(actor, org)
    return None if reach is None else {c for c in reach if org.units[c].kind is UnitKind.GRID}


def district_of(actor: Actor, org: OrgTree) -> str | None:
    """The district code of the caller's unit (None: no unit, e.g. admin, or a unit no longer in the org)."""
    unit = org.units.get(actor.unit_code)
    return unit.district_code if unit is not None else None


def district_units(actor: Actor, org: OrgTree) -> set[str] | None:
    """Every unit of the caller's district (admin: None, all of them): where rankings compare."""
    if actor.role is Role.ADMIN:
        return None
    district = district_of(actor, org)
    return {u.code for u in org.units.values() if district and u.district_code == district}


def dispatch_targets(actor: Actor, org: OrgTree) -> set[str] | None:
    """Where a dispatcher may route: a district's dispatcher anywhere in its district (streets,
    communities, grids, departments, its property companies), a street's inside its street (and the
    property companies of its communities); moving a petition to another district is for admin."""
    if actor.role is Role.ADMIN:
        return None
    unit = org.units.get(actor.unit_code)
    if unit is None:
        return set()
    if unit.kind is UnitKind.DISTRICT:
        return {u.code for u in org.units.values() if u.district_code == unit.code}
    if unit.kind is UnitKind.STREET:
        inside = org.subtree(unit.code)
        companies = {org.units[c].property_company for c in inside if org.units[c].property_company}
        return inside | {c for c in companies if c}
    return set()


def require_dispatch_target(actor: Actor, org: OrgTree, target: str, moving: str = "") -> None:
    """403 `out_of_scope` when `target` lies outside the dispatcher's part of the tree: the unit it
    routes to, and (`moving`) the unit that holds the petition now — a dispatcher moves only what is
    inside its street or district, also after a city-level transfer brought it elsewhere."""
    allowed = dispatch_targets(actor, org)
    if allowed is None or target not in org.units or target in allowed:
        return  # an unknown unit is the routing's 422
    own = org.units.get(actor.unit_code)
    where = f"{own.name} ({own.code})" if own else actor.unit_code
    subject = f"{moving} {target}" if moving else target
    raise ApiError(403, "out_of_scope",
                   f"{subject} is outside the part of the tree {where} dispatches to; a dispatcher routes only "
                   "inside its own street or district, and moving a petition to another district needs admin")


def require_below(actor: Actor, org: OrgTree, code: str, what: str) -> None:
    """For writes naming a unit: 404 if it does not exist, 403 `out_of_scope` if it is not below the caller."""
    known_unit(org, code)
    reach = units_below(actor, org)
    if reach is not None and code not in reach:
        raise ApiError(403, "out_of_scope", f"{what} {code} is outside your unit's part of the org tree")


def require_readable(reach: set[str] | None, org: OrgTree, code: str, *, around: str | None = None) -> None:
    """For reads naming a unit (`unit`, `within`, a path): 404 if unknown or outside `reach`, like petitions.
    With `around` (the caller's unit), a unit above the caller also passes: `within` then narrows to the reach."""
    known_unit(org, code)
    if reach is None or code in reach or (around is not None and around in org.subtree(code)):
        return
    raise ApiError(404, "unit_not_found", f"no unit {code!r} in your part of the org tree")


def cards_in(cards: list[Scorecard], reach: set[str] | None) -> list[Scorecard]:
    """The cards of units in `reach` (None: all of them)."""
    return cards if reach is None else [c for c in cards if c.unit_code in reach]
