"""The org tree, the categories and the Chinese labels of every enum."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from api.auth import CurrentActor
from api.deps import OrgDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.schemas import CategoryOut, UnitOut
from domain.enums import UnitKind, all_labels
from domain.event_labels import EVENT_LABELS
from org.model import Unit
from org.routing import LEVEL_OF_KIND

router = APIRouter(prefix="/v1", tags=["reference"])

@router.get("/units", response_model=list[UnitOut], responses=PROBLEM_RESPONSES(401, 422))
async def list_units(
    org: OrgDep, _: CurrentActor, parent: str | None = None, kind: UnitKind | None = None
) -> list[UnitOut]:
    """Every unit of the org tree with its code, kind and ladder level (filter by parent or kind)."""
    units = [u for u in org.units.values()
             if (parent is None or u.parent_code == parent) and (kind is None or u.kind is kind)]
    return [_unit_out(u) for u in sorted(units, key=lambda u: u.code)]


def _unit_out(u: Unit) -> UnitOut:
    return UnitOut(code=u.code, name=u.name, kind=u.kind.value, kind_label=u.kind.label,
                   level=LEVEL_OF_KIND[u.kind].value if u.kind in LEVEL_OF_KIND else None,
                   parent_code=u.parent_code, district_code=u.district_code)


class UnitTree(UnitOut):
    """A unit with its children (recursively), the codes of its ancestors and a grid's boundary."""

    boundary: dict[str, Any] | None = Field(
        default=None, description="a grid's area as a GeoJSON Polygon or MultiPolygon (lon/lat, WGS84); null: "
                                  "not a grid, or the org gives it none")
    children: list[UnitTree] = []
    ancestors: list[str] = []


@router.get("/units/{code}", response_model=UnitTree, responses=PROBLEM_RESPONSES(401, 404))
async def get_unit(code: str, org: OrgDep, _: CurrentActor) -> UnitTree:
    """One unit with everything below it, the codes of the units above it, and a grid's boundary (GeoJSON)."""
    if code not in org.units:
        raise ApiError(404, "unit_not_found", f"no unit {code}")

    def tree(unit_code: str) -> UnitTree:
        return UnitTree(**_unit_out(org.units[unit_code]).model_dump(), boundary=org.units[unit_code].boundary,
                        children=[tree(c.code) for c in sorted(org.children(unit_code), key=lambda u: u.code)])

    node = tree(code)
    node.ancestors = [u.code for u in org.ancestors(code)[1:]]
    return node


@router.get("/categories", response_model=list[CategoryOut], responses=PROBLEM_RESPONSES(401))
async def list_categories(org: OrgDep, _: CurrentActor) -> list[CategoryOut]:
    """The category taxonomy: where each starts on the ladder and which department owns it at the top."""
    return [
        CategoryOut(code=c.code, name=c.name, start_level=c.start_level.value, start_level_label=c.start_level.label,
                    department_function=c.department_function, property=c.property)
        for c in sorted(org.categories.values(), key=lambda c: c.code)
    ]


@router.get("/labels", responses=PROBLEM_RESPONSES(401))
async def labels(_: CurrentActor) -> dict[str, dict[str, str]]:
    """The Chinese label of every enum value, and of every petition event type (key `EventType`: the 流转记录's
    words)."""
    return {**all_labels(), "EventType": dict(EVENT_LABELS)}
