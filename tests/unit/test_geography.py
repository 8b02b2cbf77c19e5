"""Grid boundaries: the grid that holds a point (shapely), and what the org file may say about boundaries."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from org.geography import LocationError, grid_at, grid_holds, grids_at
from org.loader import OrgFileError, parse_org

RING = [[116.5, 35.4], [116.6, 35.4], [116.6, 35.5], [116.5, 35.5], [116.5, 35.4]]


def square(west: float, south: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


def org_with(boundaries: dict, grids: int = 2) -> dict:
    return {"districts": [{"code": "d", "name": "区", "use_department_templates": False, "streets": [
        {"code": "s", "name": "街道", "communities": [{"code": "c", "name": "社区", "grids": grids}]}]}],
        "boundaries": boundaries}


def test_a_point_goes_to_the_grid_whose_boundary_holds_it():
    org = parse_org(org_with({"c-g1": square(116.50, 35.40), "c-g2": square(116.51, 35.40)}))
    assert grid_at(org, 35.405, 116.505) == "c-g1"
    assert grid_at(org, 35.405, 116.515) == "c-g2"
    assert grid_holds(org, "c-g1", 35.405, 116.505) and not grid_holds(org, "c-g1", 35.405, 116.515)


def test_a_point_in_no_grid_or_on_a_shared_border_is_a_clear_error():
    org = parse_org(org_with({"c-g1": square(116.50, 35.40), "c-g2": square(116.51, 35.40)}))
    with pytest.raises(LocationError, match="lies in no grid"):
        grid_at(org, 35.405, 116.7)
    with pytest.raises(LocationError, match="lies in no grid"):
        grid_at(org, 116.505, 35.405)  # lat and long swapped: nowhere near
    assert grids_at(org, 35.405, 116.51) == ["c-g1", "c-g2"]
    with pytest.raises(LocationError, match="border of grids c-g1, c-g2"):
        grid_at(org, 35.405, 116.51)


def test_a_grid_without_boundary_is_never_found_by_a_point_and_holds_any():
    org = parse_org(org_with({"c-g1": square(116.50, 35.40)}))
    assert grids_at(org, 35.405, 116.505) == ["c-g1"]
    assert grid_holds(org, "c-g2", 1.0, 1.0)


@pytest.mark.parametrize(
    ("boundaries", "message"),
    [
        ({"c-g1": square(116.50, 35.40), "c-g2": square(116.505, 35.40)}, "overlap"),
        ({"c-g1": {"type": "Point", "coordinates": [116.5, 35.4]}}, "Polygon or MultiPolygon"),
        ({"c-g1": {"type": "Polygon", "coordinates": [[[116.5, 35.4], [116.6, 35.5], [116.5, 35.4]]]}},
         "boundary"),
        ({"c-g1": {"type": "Polygon", "coordinates": [[[116.5, 35.4], [116.6, 35.5], [116.6, 35.4],
                                                       [116.5, 35.5], [116.5, 35.4]]]}}, "valid polygon"),
        ({"c-g1": square(35.40, 116.50)}, "longitude, latitude"),
        ({"c": square(116.50, 35.40)}, "is not a grid"),
        ({"nowhere": square(116.50, 35.40)}, "is not a grid"),
    ],
)
def test_the_org_file_refuses_boundaries_that_cannot_route(boundaries, message):
    with pytest.raises(OrgFileError, match=message):
        parse_org(org_with(boundaries))


def test_a_grid_given_as_a_mapping_may_carry_its_own_boundary():
    raw = org_with({})
    raw["districts"][0]["streets"][0]["communities"][0]["grids"] = [
        {"code": "c-north", "name": "北网格", "boundary": {"type": "Polygon", "coordinates": [RING]}}]
    assert grid_at(parse_org(raw), 35.45, 116.55) == "c-north"


def test_every_demo_grid_has_a_boundary_near_its_district_and_none_overlap(demo_org):
    grids = [u for u in demo_org.units.values() if u.kind.value == "grid"]
    assert grids and all(u.boundary for u in grids)
    centres = {"rencheng": (116.59, 35.41), "yanzhou": (116.78, 35.55), "qufu": (116.99, 35.58)}
    for grid in grids:
        point = shape(grid.boundary).representative_point()
        lon, lat = centres[grid.district_code]
        assert abs(point.x - lon) < 0.06 and abs(point.y - lat) < 0.06, grid.code
        assert grid_at(demo_org, point.y, point.x) == grid.code  # parse_org refused overlaps already
