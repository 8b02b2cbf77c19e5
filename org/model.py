"""The org tree and category taxonomy as plain values (loaded from YAML or from PostgreSQL)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from domain.enums import Level, UnitKind


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    kind: UnitKind
    parent_code: str | None = None
    district_code: str | None = None
    function: str | None = None
    property_company: str | None = None
    boundary: dict[str, Any] | None = None  # a grid's area: GeoJSON Polygon/MultiPolygon, lon/lat (WGS84)


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_]*$")
    name: str
    start_level: Level
    department_function: str
    property: bool = False
    description: str = ""
    public: bool = False  # the district publishes its petitions in public Open311 reads (PIPL: opt-in)


class OrgTree(BaseModel):
    """Every unit by code and every category by code, with the lookups routing needs."""

    units: dict[str, Unit]
    categories: dict[str, Category]
    _grid_index: Any = PrivateAttr(default=None)  # org/geography.py's index of grid boundaries

    def children(self, code: str) -> list[Unit]:
        return [u for u in self.units.values() if u.parent_code == code]

    def ancestors(self, code: str) -> list[Unit]:
        """The unit itself, then its parent, up to the district."""
        chain: list[Unit] = []
        unit = self.units.get(code)
        while unit is not None:
            chain.append(unit)
            unit = self.units.get(unit.parent_code) if unit.parent_code else None
        return chain

    def department(self, district_code: str, function: str) -> Unit | None:
        for unit in self.units.values():
            if unit.kind is UnitKind.DEPARTMENT and unit.district_code == district_code and unit.function == function:
                return unit
        return None

    def subtree(self, code: str) -> set[str]:
        """Codes of the unit and everything below it."""
        below: dict[str, list[str]] = {}
        for unit in self.units.values():
            if unit.parent_code:
                below.setdefault(unit.parent_code, []).append(unit.code)
        found, todo = set(), [code]
        while todo:
            current = todo.pop()
            if current in found:
                continue
            found.add(current)
            todo.extend(below.get(current, []))
        return found
