"""Which units a petition climbs through: grid -> community -> street -> district department."""

from __future__ import annotations

from domain.enums import LADDER, Level, UnitKind
from domain.errors import InvalidCommand
from domain.model import Rung
from org.model import Category, OrgTree, Unit

LEVEL_OF_KIND = {  # the ladder rung each kind of unit handles at
    UnitKind.GRID: Level.GRID,
    UnitKind.COMMUNITY: Level.COMMUNITY,
    UnitKind.PROPERTY_COMPANY: Level.COMMUNITY,
    UnitKind.STREET: Level.STREET,
    UnitKind.PROPERTY_OFFICE: Level.STREET,  # 物业办: a street's office, on a property order's street rung
    UnitKind.DEPARTMENT: Level.DEPARTMENT,
}


def ladder_for_report(org: OrgTree, grid_code: str, category_code: str) -> list[Rung]:
    """The ladder of a new petition: from the category's starting rung above the grid, to the top."""
    category = _category(org, category_code)
    grid = org.units.get(grid_code)
    if grid is None or grid.kind is not UnitKind.GRID:
        raise InvalidCommand(f"unknown grid {grid_code!r}")
    return _ladder(org, grid, category, start=category.start_level)


def dispatch_desk(org: OrgTree, grid_code: str) -> str:
    """The dispatch desk that re-routes the grid's returned orders: its district's 12345 centre
    (the district unit's code; dispatchers of that district and of the grid's street work its list)."""
    grid = org.units.get(grid_code)
    if grid is None or not grid.district_code:
        raise InvalidCommand(f"unknown grid {grid_code!r}")
    return grid.district_code


def ladder_from_unit(org: OrgTree, unit_code: str, grid_code: str, category_code: str) -> list[Rung]:
    """The ladder after a dispatcher routes the petition to `unit_code` (that unit, then its rungs above)."""
    category = _category(org, category_code)
    unit = org.units.get(unit_code)
    if unit is None or unit.kind not in LEVEL_OF_KIND:
        raise InvalidCommand(f"{unit_code!r} is not a unit that can handle petitions")
    level = LEVEL_OF_KIND[unit.kind]
    if unit.kind is UnitKind.DEPARTMENT:
        return [_department_rung(unit)]
    if unit.kind is UnitKind.PROPERTY_OFFICE:
        street = org.units.get(unit.parent_code or "")
        district = org.units.get(street.district_code or "") if street else None
        if street is None or district is None:
            raise InvalidCommand(f"{unit.code} is not under a street of a district")
        return [_office_rung(unit, street), _department_rung(_owning_department(org, district, category))]
    if unit.kind is UnitKind.PROPERTY_COMPANY:
        grid = org.units.get(grid_code)
        if grid is None:
            raise InvalidCommand(f"unknown grid {grid_code!r}")
        community = org.units[grid.parent_code] if grid.parent_code in org.units else None
        serving = {c.property_company for c in org.children(grid_code) if c.kind is UnitKind.COMPOUND}
        if community is None or (community.property_company != unit.code and unit.code not in serving):
            raise InvalidCommand(f"{unit.name} does not manage the compound of grid {grid_code}")
        rungs = _ladder(org, grid, category, start=Level.COMMUNITY, force_property=True)
        # the company dispatched to holds the first rung (a compound of the grid may have a company of its own)
        return [Rung(level=Level.COMMUNITY, unit_code=unit.code, unit_name=unit.name, overseer_code=community.code,
                     kind=UnitKind.PROPERTY_COMPANY), *rungs[1:]]
    if unit.kind is UnitKind.GRID:
        return _ladder(org, unit, category, start=level)
    return _climb_from(org, unit, category, level)


def _category(org: OrgTree, code: str) -> Category:
    category = org.categories.get(code)
    if category is None:
        raise InvalidCommand(f"unknown category {code!r}")
    return category


def _ladder(org: OrgTree, grid: Unit, category: Category, start: Level, force_property: bool = False) -> list[Rung]:
    community = org.units.get(grid.parent_code or "")
    street = org.units.get(community.parent_code or "") if community else None
    district = org.units.get(street.parent_code or "") if street else None
    if community is None or street is None or district is None:
        raise InvalidCommand(f"grid {grid.code} is not under a community, street and district")
    rungs: list[Rung] = []
    company = org.units.get(community.property_company or "")
    for level in LADDER[LADDER.index(start):]:
        if level is Level.GRID:
            rungs.append(Rung(level=level, unit_code=grid.code, unit_name=grid.name, overseer_code=community.code))
        elif level is Level.COMMUNITY:
            if (category.property or force_property) and company is not None:
                # a property matter of a community with a company climbs the 物业110 ladder (issue 14 §3)
                return rungs + _property_rungs(org, company, community, street, district, category)
            rungs.append(Rung(level=level, unit_code=community.code, unit_name=community.name,
                              overseer_code=street.code))
        elif level is Level.STREET:
            rungs.append(Rung(level=level, unit_code=street.code, unit_name=street.name,
                              overseer_code=district.code))
        else:
            rungs.append(_department_rung(_owning_department(org, district, category)))
    return rungs


def ladder_for_compound(org: OrgTree, compound_code: str, category_code: str) -> tuple[str, list[Rung]]:
    """物业110 (issue 14 §3): the grid of the compound `compound_code` and the ladder of a property order about it —
    the company that serves the compound (overseen by the community), the community (overseen by the street's
    property office), the street's property office (物业办, overseen by its street; the street itself when it has
    none, overseen by the district), the district department that owns the category (housing for 物业管理).
    InvalidCommand for an unknown compound or category, or a category that is no property matter."""
    compound = org.units.get(compound_code)
    if compound is None or compound.kind is not UnitKind.COMPOUND:
        raise InvalidCommand(f"unknown compound {compound_code!r}; see GET /v1/compounds", field="compound")
    category = _category(org, category_code)
    if not category.property:
        raise InvalidCommand(f"物业110 takes property matters; {category.name} ({category.code}) is reported through "
                             "the 12345 hotline or by the grid", field="category")
    grid = org.units.get(compound.parent_code or "")
    community = org.units.get(grid.parent_code or "") if grid else None
    street = org.units.get(community.parent_code or "") if community else None
    district = org.units.get(street.parent_code or "") if street else None
    company = org.units.get(compound.property_company or "")
    if grid is None or community is None or street is None or district is None or company is None:
        raise InvalidCommand(f"compound {compound_code} is not under a grid, community, street and district "
                             "with a property company", field="compound")
    return grid.code, _property_rungs(org, company, community, street, district, category)


def _property_rungs(org: OrgTree, company: Unit, community: Unit, street: Unit, district: Unit,
                    category: Category) -> list[Rung]:
    """A property order's climb (issue 14 §3): the company (overseen by the community), the community (overseen
    by the street's 物业办), the 物业办 (overseen by its street; the street itself when it has none, overseen by
    the district), the district department that owns the category."""
    office = next((u for u in org.children(street.code) if u.kind is UnitKind.PROPERTY_OFFICE), None)
    above_community = office.code if office is not None else street.code
    return [
        Rung(level=Level.COMMUNITY, unit_code=company.code, unit_name=company.name, overseer_code=community.code,
             kind=UnitKind.PROPERTY_COMPANY),
        Rung(level=Level.COMMUNITY, unit_code=community.code, unit_name=community.name,
             overseer_code=above_community),
        _office_rung(office, street) if office is not None else
        Rung(level=Level.STREET, unit_code=street.code, unit_name=street.name, overseer_code=district.code),
        _department_rung(_owning_department(org, district, category)),
    ]


def _office_rung(office: Unit, street: Unit) -> Rung:
    """The street rung held by the street's property office (物业办), overseen by its street."""
    return Rung(level=Level.STREET, unit_code=office.code, unit_name=office.name, overseer_code=street.code)


def _climb_from(org: OrgTree, unit: Unit, category: Category, level: Level) -> list[Rung]:
    chain = org.ancestors(unit.code)
    by_kind = {u.kind: u for u in chain}
    district = by_kind.get(UnitKind.DISTRICT)
    if district is None:
        raise InvalidCommand(f"{unit.code} is not inside a district")
    rungs: list[Rung] = []
    for step in LADDER[LADDER.index(level):]:
        if step is Level.DEPARTMENT:
            rungs.append(_department_rung(_owning_department(org, district, category)))
            continue
        kind = UnitKind.COMMUNITY if step is Level.COMMUNITY else UnitKind.STREET
        current = by_kind.get(kind)
        if current is None:
            continue
        overseer = org.units.get(current.parent_code or "")
        rungs.append(Rung(level=step, unit_code=current.code, unit_name=current.name,
                          overseer_code=overseer.code if overseer else district.code))
    return rungs


def _owning_department(org: OrgTree, district: Unit, category: Category) -> Unit:
    department = org.department(district.code, category.department_function)
    if department is None:
        raise InvalidCommand(f"{district.name} has no department for {category.department_function!r}")
    return department


def _department_rung(unit: Unit) -> Rung:
    return Rung(level=Level.DEPARTMENT, unit_code=unit.code, unit_name=unit.name,
                overseer_code=unit.district_code or unit.parent_code or "")
