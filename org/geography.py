"""Grid boundaries: checking them and finding the grid that holds a point (shapely, not hand-written geometry).

A grid's `boundary` is a GeoJSON Polygon or MultiPolygon in WGS84 (longitude, latitude), as the
org file gives it (docs/org-format.md). Real Open311 clients send `lat`/`long` and never a grid
code; `grid_at` answers which grid the point lies in, or says why none can be chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from domain.enums import UnitKind
from org.model import OrgTree

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


class LocationError(ValueError):
    """A point that no single grid holds; the message says why, for the person who sent it."""


def boundary_geometry(boundary: Any) -> BaseGeometry:
    """The shapely geometry of a GeoJSON boundary, or ValueError saying what is wrong with it."""
    if not isinstance(boundary, Mapping) or boundary.get("type") not in GEOMETRY_TYPES:
        raise ValueError("a boundary is a GeoJSON Polygon or MultiPolygon (lon/lat, WGS84)")
    try:
        geometry = shape(boundary)
    except (KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError) as exc:
        raise ValueError(f"a boundary's coordinates are not a {boundary['type']}: {exc}") from exc
    if geometry.is_empty:
        raise ValueError("a boundary must enclose an area")
    if not geometry.is_valid:
        raise ValueError(f"a boundary must be a valid polygon: {shapely.is_valid_reason(geometry)}")
    if geometry.area <= 0:
        raise ValueError("a boundary must enclose an area")
    lon_min, lat_min, lon_max, lat_max = geometry.bounds
    if not (-180 <= lon_min and lon_max <= 180 and -90 <= lat_min and lat_max <= 90):
        raise ValueError("a boundary's coordinates are longitude, latitude (WGS84) in that order")
    return geometry


def overlapping_grids(org: OrgTree) -> list[tuple[str, str]]:
    """Pairs of grids whose boundaries share area (touching edges are fine)."""
    index = _index(org)
    pairs = set()
    for i, geometry in enumerate(index.geometries):
        for j in index.tree.query(geometry, predicate="intersects"):
            if i < j and geometry.intersection(index.geometries[j]).area > 0:
                pairs.add((index.codes[i], index.codes[int(j)]))
    return sorted(pairs)


def grids_at(org: OrgTree, lat: float, long: float) -> list[str]:
    """Codes of the grids whose boundary holds the point (on a shared edge: both)."""
    index = _index(org)
    if not index.codes:
        return []
    point = Point(long, lat)
    return sorted(index.codes[int(i)] for i in index.tree.query(point, predicate="intersects"))


def grid_at(org: OrgTree, lat: float, long: float) -> str:
    """The one grid that holds the point, or LocationError saying why there is none."""
    found = grids_at(org, lat, long)
    if len(found) == 1:
        return found[0]
    if not found:
        raise LocationError(f"lat {lat}, long {long} lies in no grid jiehu serves; give a grid_code "
                            f"(attribute[grid_code] in Open311) or a point inside one")
    raise LocationError(f"lat {lat}, long {long} lies on the border of grids {', '.join(found)}; "
                        f"give the grid_code (attribute[grid_code] in Open311)")


def grid_holds(org: OrgTree, grid_code: str, lat: float, long: float) -> bool:
    """Whether the grid's boundary holds the point (True when the grid has no boundary to check against)."""
    unit = org.units.get(grid_code)
    if unit is None or unit.boundary is None:
        return True
    return bool(boundary_geometry(unit.boundary).intersects(Point(long, lat)))


class _Index:
    def __init__(self, org: OrgTree) -> None:
        grids = sorted((u for u in org.units.values() if u.kind is UnitKind.GRID and u.boundary is not None),
                       key=lambda u: u.code)
        self.codes = [u.code for u in grids]
        self.geometries = [boundary_geometry(u.boundary) for u in grids]
        self.tree = STRtree(self.geometries)


def _index(org: OrgTree) -> _Index:
    """The org's spatial index of grid boundaries, built once per loaded org."""
    index = org.__pydantic_private__.get("_grid_index") if org.__pydantic_private__ else None
    if index is None:
        index = _Index(org)
        org._grid_index = index
    return index
