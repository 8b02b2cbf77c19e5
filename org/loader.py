"""Read an org YAML file (format: docs/org-format.md) into an OrgTree, checking it as it goes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from domain.enums import UnitKind
from org.geography import boundary_geometry, overlapping_grids
from org.model import Category, DepartmentSystem, OrgTree, Unit, VisitTeam


class OrgFileError(ValueError):
    """The org file is malformed; the message says where."""


def load_org_file(path: str | Path) -> OrgTree:
    """The org tree of the YAML file at `path` (docs/org-format.md), checked. OrgFileError if it cannot be read or is
    malformed (the message says where)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OrgFileError(f"cannot read {path}: {exc}") from exc
    return parse_org(raw)


def parse_org(raw: Any) -> OrgTree:
    """The org tree of an already parsed org file (a mapping with `districts`, optional `categories`): unit codes
    unique, parents known, grid boundaries valid and not overlapping. OrgFileError naming the place otherwise."""
    if not isinstance(raw, dict) or "districts" not in raw:
        raise OrgFileError("an org file is a mapping with at least 'districts'")
    units: dict[str, Unit] = {}

    def add(where: str, **fields: Any) -> Unit:
        try:
            unit = Unit(**fields)
        except ValidationError as exc:
            raise OrgFileError(f"{where}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc
        if unit.code in units:
            raise OrgFileError(f"{where}: unit code {unit.code!r} is used twice")
        units[unit.code] = unit
        return unit

    templates = raw.get("department_templates", [])
    for d in raw["districts"]:
        district = add(f"district {d.get('code')}", code=d.get("code"), name=d.get("name"), kind=UnitKind.DISTRICT,
                       district_code=d.get("code"))
        departments = list(d.get("departments", []))
        if d.get("use_department_templates", True):
            departments += [
                {"code": f"{district.code}-{t['function'].replace('_', '-')}", "name": district.name + t["suffix"],
                 "function": t["function"]}
                for t in templates
            ]
        for dep in departments:
            add(f"department {dep.get('code')}", code=dep.get("code"), name=dep.get("name"),
                kind=UnitKind.DEPARTMENT, parent_code=district.code, district_code=district.code,
                function=dep.get("function"))
        for s in d.get("streets", []):
            street = add(f"street {s.get('code')}", code=s.get("code"), name=s.get("name"), kind=UnitKind.STREET,
                         parent_code=district.code, district_code=district.code)
            for c in s.get("communities", []):
                community = add(f"community {c.get('code')}", code=c.get("code"), name=c.get("name"),
                                kind=UnitKind.COMMUNITY, parent_code=street.code, district_code=district.code,
                                property_company=c.get("property_company"))
                for g in _grids(c):
                    add(f"grid {g.get('code')}", code=g.get("code"), name=g.get("name"), kind=UnitKind.GRID,
                        parent_code=community.code, district_code=district.code, boundary=g.get("boundary"))
    for p in raw.get("property_companies", []):
        add(f"property company {p.get('code')}", code=p.get("code"), name=p.get("name"),
            kind=UnitKind.PROPERTY_COMPANY, parent_code=p.get("district"), district_code=p.get("district"))
    _add_property_offices(units, raw.get("property_offices") or [], add)
    _add_compounds(units, raw.get("compounds") or [], add)

    categories: dict[str, Category] = {}
    for c in raw.get("categories", []):
        try:
            category = Category(code=c.get("code"), name=c.get("name"), start_level=c.get("start_level"),
                                department_function=c.get("department"), property=bool(c.get("property", False)),
                                description=c.get("description", ""), public=c.get("public", False))
        except ValidationError as exc:
            raise OrgFileError(f"category {c.get('code')}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc
        if category.code in categories:
            raise OrgFileError(f"category code {category.code!r} is used twice")
        categories[category.code] = category
    _add_boundaries(units, raw.get("boundaries") or {})
    _add_department_systems(units, raw.get("department_systems") or {})
    tree = OrgTree(units=units, categories=categories, visit_teams=_visit_teams(units, raw.get("visit_teams") or []))
    _check_references(tree)
    _check_boundaries(tree)
    return tree


def _add_property_offices(units: dict[str, Unit], offices: Any, add: Callable[..., Unit]) -> None:
    """`property_offices:` a street's property office (物业办, issue 14 §3), `{code, name, street}`: a unit under
    the street, the rung between the community and the housing department on a property order's ladder.
    At most one per street."""
    if not isinstance(offices, list):
        raise OrgFileError("property_offices: a list of {code, name, street}")
    streets: set[str] = set()
    for o in offices:
        street = units.get(str(o.get("street")))
        if street is None or street.kind is not UnitKind.STREET:
            raise OrgFileError(f"property office {o.get('code')}: {o.get('street')!r} is not a street")
        if street.code in streets:
            raise OrgFileError(f"property office {o.get('code')}: street {street.code} has a property office already")
        streets.add(street.code)
        add(f"property office {o.get('code')}", code=o.get("code"), name=o.get("name"), kind=UnitKind.PROPERTY_OFFICE,
            parent_code=street.code, district_code=street.district_code)


def _add_compounds(units: dict[str, Unit], compounds: Any, add: Callable[..., Unit]) -> None:
    """`compounds:` the compounds (小区, issue 14 §3) of communities, `{code, name, community, grid?,
    property_company?}`: a unit under the grid it lies in (default: the community's first grid), served by
    `property_company` (default: the community's). A community may hold several compounds served by
    different companies; a compound without a company is refused (物业110 has no one to send it to)."""
    if not isinstance(compounds, list):
        raise OrgFileError("compounds: a list of {code, name, community, grid, property_company}")
    for c in compounds:
        where = f"compound {c.get('code')}"
        community = units.get(str(c.get("community")))
        if community is None or community.kind is not UnitKind.COMMUNITY:
            raise OrgFileError(f"{where}: {c.get('community')!r} is not a community")
        grids = sorted(u.code for u in units.values() if u.kind is UnitKind.GRID and u.parent_code == community.code)
        grid = c.get("grid") or (grids[0] if grids else None)
        if grid not in grids:
            raise OrgFileError(f"{where}: {grid!r} is not a grid of community {community.code}")
        company = c.get("property_company") or community.property_company
        if not company:
            raise OrgFileError(f"{where}: no property_company (and community {community.code} names none)")
        add(where, code=c.get("code"), name=c.get("name"), kind=UnitKind.COMPOUND, parent_code=grid,
            district_code=community.district_code, property_company=company)


def _add_boundaries(units: dict[str, Unit], boundaries: Any) -> None:
    """`boundaries:` maps grid codes to their GeoJSON boundary (beside grids given as a count)."""
    if not isinstance(boundaries, dict):
        raise OrgFileError("boundaries: a mapping of grid code to GeoJSON Polygon")
    for code, boundary in boundaries.items():
        unit = units.get(code)
        if unit is None or unit.kind is not UnitKind.GRID:
            raise OrgFileError(f"boundaries: {code!r} is not a grid")
        if unit.boundary is not None:
            raise OrgFileError(f"boundaries: grid {code} has its boundary twice")
        units[code] = unit.model_copy(update={"boundary": boundary})


def _add_department_systems(units: dict[str, Unit], systems: Any) -> None:
    """`department_systems:` maps department codes (templated ones included) to how they receive work
    orders: `{delivery: webhook, url: ..., keys: [...]}`; a department not named works in the API."""
    if not isinstance(systems, dict):
        raise OrgFileError("department_systems: a mapping of department code to {delivery, url, keys}")
    for code, fields in systems.items():
        unit = units.get(code)
        if unit is None or unit.kind is not UnitKind.DEPARTMENT:
            raise OrgFileError(f"department_systems: {code!r} is not a district department")
        try:
            system = DepartmentSystem(**(fields or {}))
        except (TypeError, ValidationError) as exc:
            why = (f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}: {exc.errors()[0]['msg']}"
                   if isinstance(exc, ValidationError) else str(exc))
            raise OrgFileError(f"department_systems: {code}: {why}") from exc
        units[code] = unit.model_copy(update={"system": system})


def _visit_teams(units: dict[str, Unit], raw: Any) -> dict[str, VisitTeam]:
    """`visit_teams:` (issue 14 §4): a list of teams, each `{code, name, district, leader, cadres: [{id, name,
    body, unit}], units: [community codes], enterprises: [{name, community}]}`. A team's communities lie in its
    district; a cadre id belongs to one team of a district (one token, one team there)."""
    if not isinstance(raw, list):
        raise OrgFileError("visit_teams: a list of teams")
    teams: dict[str, VisitTeam] = {}
    cadre_team: dict[tuple[str, str], str] = {}
    for t in raw:
        name = t.get("code") if isinstance(t, dict) else repr(t)
        where = f"visit team {name}"
        if not isinstance(t, dict):
            raise OrgFileError(f"{where}: a mapping with code, name, district, cadres, units")
        fields = {k: v for k, v in t.items() if k != "district"}
        try:
            team = VisitTeam(**fields, district_code=t.get("district"))
        except (TypeError, ValidationError) as exc:
            why = (f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}: {exc.errors()[0]['msg']}"
                   if isinstance(exc, ValidationError) else str(exc))
            raise OrgFileError(f"{where}: {why}") from exc
        if team.code in teams or team.code in units:
            raise OrgFileError(f"{where}: code {team.code!r} is used twice")
        district = units.get(team.district_code)
        if district is None or district.kind is not UnitKind.DISTRICT:
            raise OrgFileError(f"{where}: {team.district_code!r} is not a district")
        if not team.visited_units:
            raise OrgFileError(f"{where}: a team visits at least one community, village or enterprise")
        for code in team.visited_units:
            unit = units.get(code)
            if unit is None or unit.kind is not UnitKind.COMMUNITY or unit.district_code != team.district_code:
                raise OrgFileError(f"{where}: {code!r} is not a community or village of {district.name}")
        ids = [c.id for c in team.cadres]
        if len(set(ids)) != len(ids):
            raise OrgFileError(f"{where}: a cadre id is listed twice")
        if team.leader and team.leader not in ids:
            raise OrgFileError(f"{where}: leader {team.leader!r} is not one of its cadres")
        for cadre in team.cadres:
            if cadre.unit is not None and cadre.unit not in units:
                raise OrgFileError(f"{where}: cadre {cadre.id}: unit {cadre.unit!r} does not exist")
            other = cadre_team.setdefault((team.district_code, cadre.id), team.code)
            if other != team.code:
                raise OrgFileError(f"{where}: cadre {cadre.id} is already a cadre of {other}")
        teams[team.code] = team
    return teams


def _check_boundaries(tree: OrgTree) -> None:
    for unit in tree.units.values():
        if unit.boundary is None:
            continue
        if unit.kind is not UnitKind.GRID:
            raise OrgFileError(f"unit {unit.code}: only grids carry a boundary")
        try:
            boundary_geometry(unit.boundary)
        except ValueError as exc:
            raise OrgFileError(f"grid {unit.code}: {exc}") from exc
    if overlaps := overlapping_grids(tree):
        a, b = overlaps[0]
        raise OrgFileError(f"grids {a} and {b} overlap: a point must lie in one grid")


def _grids(community: dict[str, Any]) -> list[dict[str, Any]]:
    grids = community.get("grids", [])
    if isinstance(grids, int):
        return [{"code": f"{community.get('code')}-g{i}", "name": f"{community.get('name')}第{i}网格"}
                for i in range(1, grids + 1)]
    return list(grids)


def _check_references(tree: OrgTree) -> None:
    for unit in tree.units.values():
        if unit.parent_code and unit.parent_code not in tree.units:
            raise OrgFileError(f"unit {unit.code}: parent {unit.parent_code!r} does not exist")
        if unit.property_company:
            company = tree.units.get(unit.property_company)
            if company is None or company.kind is not UnitKind.PROPERTY_COMPANY:
                raise OrgFileError(f"{unit.kind.value} {unit.code}: {unit.property_company!r} is not a property "
                                   "company")
            if unit.kind is UnitKind.COMPOUND and company.district_code != unit.district_code:
                raise OrgFileError(f"compound {unit.code}: {company.code} serves another district")
    districts = [u for u in tree.units.values() if u.kind is UnitKind.DISTRICT]
    for category in tree.categories.values():
        for district in districts:
            if tree.department(district.code, category.department_function) is None:
                raise OrgFileError(
                    f"category {category.code}: {district.name} has no department with function "
                    f"{category.department_function!r}"
                )
