"""The org tree, the categories and the Chinese labels of every enum."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import OrgDep
from api.schemas import CategoryOut, UnitOut
from domain.enums import Level, UnitKind, all_labels

router = APIRouter(prefix="/v1", tags=["reference"])

_LEVEL_OF_KIND = {UnitKind.GRID: Level.GRID, UnitKind.COMMUNITY: Level.COMMUNITY, UnitKind.STREET: Level.STREET,
                  UnitKind.DEPARTMENT: Level.DEPARTMENT, UnitKind.PROPERTY_COMPANY: Level.COMMUNITY}


@router.get("/units", response_model=list[UnitOut])
async def list_units(org: OrgDep, parent: str | None = None, kind: UnitKind | None = None) -> list[UnitOut]:
    """Every unit of the org tree with its code, kind and ladder level (filter by parent or kind)."""
    units = [u for u in org.units.values()
             if (parent is None or u.parent_code == parent) and (kind is None or u.kind is kind)]
    return [
        UnitOut(code=u.code, name=u.name, kind=u.kind.value, kind_label=u.kind.label,
                level=_LEVEL_OF_KIND[u.kind].value if u.kind in _LEVEL_OF_KIND else None,
                parent_code=u.parent_code, district_code=u.district_code)
        for u in sorted(units, key=lambda u: u.code)
    ]


@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(org: OrgDep) -> list[CategoryOut]:
    """The category taxonomy: where each starts on the ladder and which department owns it at the top."""
    return [
        CategoryOut(code=c.code, name=c.name, start_level=c.start_level.value, start_level_label=c.start_level.label,
                    department_function=c.department_function, property=c.property)
        for c in sorted(org.categories.values(), key=lambda c: c.code)
    ]


@router.get("/labels")
async def labels() -> dict[str, dict[str, str]]:
    """The Chinese label of every enum value."""
    return all_labels()
