"""The org tree and category taxonomy as plain values (loaded from YAML or from PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from domain.enums import Level, UnitKind

KEY_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class DepartmentSystem(BaseModel):
    """How a district department receives its work orders (docs/department-contract.md).

    `delivery`: `api` — no system of its own: its staff work in the API and the console, and opening an
    order there is its hand-over; `worker` — the department runs a Temporal worker on `dept-<code>`
    (`jiehu dept-worker`, or its own); `webhook` — jiehu's worker POSTs each order to `url`, signed.
    `keys`: key ids of the department's shared secrets (the secrets themselves are settings,
    `JIEHU_DEPARTMENT_KEYS`, never org data); the first signs the orders jiehu sends, any of them signs
    the department's callbacks, so two keys are valid at once while a key rotates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery: Literal["api", "worker", "webhook"] = "api"
    url: str | None = Field(default=None, pattern=r"^https?://", max_length=2000)
    keys: tuple[str, ...] = Field(default=(), max_length=4)

    @model_validator(mode="after")
    def _complete(self) -> DepartmentSystem:
        if any(not re.match(KEY_ID, key) for key in self.keys):
            raise ValueError("a key id is 1-64 letters, digits, '.', '_' or '-'")
        if len(set(self.keys)) != len(self.keys):
            raise ValueError("a key id is listed twice")
        if self.delivery == "webhook" and (not self.url or not self.keys):
            raise ValueError("a webhook needs its url and at least one key id")
        if self.delivery != "webhook" and self.url:
            raise ValueError("only a webhook delivery has a url")
        return self


class Unit(BaseModel):
    """One unit of the org tree: a district, street, community, grid, district department or property company, with
    its parent and district. `function`: a department's duty (what categories route to it); `boundary`: a grid's
    area; `system`: a department's own system."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    kind: UnitKind
    parent_code: str | None = None
    district_code: str | None = None
    function: str | None = None
    property_company: str | None = None
    boundary: dict[str, Any] | None = None  # a grid's area: GeoJSON Polygon/MultiPolygon, lon/lat (WGS84)
    system: DepartmentSystem | None = None  # a district department's own system; None: it works in the API


class Category(BaseModel):
    """A kind of petition (派单目录): where it starts on the ladder, the department function it climbs to, whether it
    is a property matter and whether the district publishes it (Open311)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_]*$")
    name: str
    start_level: Level
    department_function: str
    property: bool = False
    description: str = ""
    public: bool = False  # the district publishes its petitions in public Open311 reads (PIPL: opt-in)


# --- issue 14 §4: visit teams (民情书记 "红色帮办团") ---------------------------------------------


class Cadre(BaseModel):
    """A cadre of a visit team: `id` — the subject of their token (the identity provider's staff id), which
    makes them a member; their name; the district body they come from (区委组织部, 区财政局, …: `body`, as
    cadres write it, and `unit`, its unit code when the org holds it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    body: str = Field(min_length=1, max_length=100)
    unit: str | None = Field(default=None, max_length=64)


class Enterprise(BaseModel):
    """An enterprise a visit team is assigned to, and the community (or village) it lies in: its residents'
    and workers' matters are that community's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    community: str = Field(min_length=1, max_length=64)


class VisitTeam(BaseModel):
    """A visit team (民情书记 "红色帮办团", 民意"5"来听): its code, name, district, cadres, and the communities or
    villages (`units`) and enterprises it is assigned to; it visits them on the 5th, 15th and 25th."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=100)
    district_code: str = Field(min_length=1, max_length=64)
    leader: str = Field(default="", max_length=64)  # a cadre id of the team, '' for none named
    cadres: tuple[Cadre, ...] = Field(min_length=1)
    units: tuple[str, ...] = Field(default=(), description="communities or villages the team visits")
    enterprises: tuple[Enterprise, ...] = ()

    @property
    def visited_units(self) -> list[str]:
        """The communities the team visits, its enterprises' included, each once, in the file's order."""
        return list(dict.fromkeys([*self.units, *(e.community for e in self.enterprises)]))

    def has_cadre(self, subject: str) -> bool:
        """Whether the token subject `subject` is a cadre of the team."""
        return any(c.id == subject for c in self.cadres)


class OrgTree(BaseModel):
    """Every unit by code and every category by code, with the lookups routing needs; the visit teams by code."""

    units: dict[str, Unit]
    categories: dict[str, Category]
    visit_teams: dict[str, VisitTeam] = {}
    _grid_index: Any = PrivateAttr(default=None)  # org/geography.py's index of grid boundaries

    def children(self, code: str) -> list[Unit]:
        """The units whose parent is `code` (none for an unknown code)."""
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
        """The department of `district_code` with duty `function`, or None."""
        for unit in self.units.values():
            if unit.kind is UnitKind.DEPARTMENT and unit.district_code == district_code and unit.function == function:
                return unit
        return None

    def system_of(self, code: str) -> DepartmentSystem:
        """How the department `code` receives its work orders (`delivery: api` when the org says nothing)."""
        unit = self.units.get(code)
        return unit.system if unit is not None and unit.system is not None else DepartmentSystem()

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
