"""The org file format, the Jining demo org and routing up the ladder."""

from __future__ import annotations

from collections import Counter

import pytest

from domain.enums import Level, UnitKind
from domain.errors import InvalidCommand
from org.loader import OrgFileError, parse_org
from org.routing import ladder_for_report, ladder_from_unit


def test_demo_org_is_jining(demo_org) -> None:
    kinds = Counter(u.kind for u in demo_org.units.values())
    rencheng_streets = [u for u in demo_org.children("rencheng") if u.kind is UnitKind.STREET]
    assert len(rencheng_streets) == 15  # 13 streets and 2 towns
    assert {"越河街道", "金城街道", "济阳街道", "长沟镇"} <= {u.name for u in rencheng_streets}
    assert {"兖州区", "曲阜市"} <= {u.name for u in demo_org.units.values() if u.kind is UnitKind.DISTRICT}
    assert "鲁城街道" in {u.name for u in demo_org.units.values()}
    assert kinds[UnitKind.DEPARTMENT] >= 30 and kinds[UnitKind.PROPERTY_COMPANY] >= 3
    assert len(demo_org.categories) >= 15


def test_categories_are_private_unless_the_district_publishes_them(demo_org) -> None:
    published = {c.code for c in demo_org.categories.values() if c.public}
    assert published == {"sanitation", "municipal_facilities", "greening"}
    assert not demo_org.categories["elderly_care"].public  # 养老救助 is never published
    raw = {"districts": [{"code": "d", "name": "D", "departments": [{"code": "d-w", "name": "W", "function": "w"}]}],
           "categories": [{"code": "x", "name": "X", "start_level": "grid", "department": "w"},
                          {"code": "y", "name": "Y", "start_level": "grid", "department": "w", "public": True}]}
    parsed = parse_org(raw)
    assert (parsed.categories["x"].public, parsed.categories["y"].public) == (False, True)
    with pytest.raises(OrgFileError, match="category z"):
        parse_org(raw | {"categories": [{"code": "z", "name": "Z", "start_level": "grid", "department": "w",
                                         "public": "perhaps"}]})


def test_ladder_climbs_grid_community_street_department(demo_org) -> None:
    ladder = ladder_for_report(demo_org, "rc-jincheng-yongxin-g1", "ebike_parking_charging")
    assert [r.level for r in ladder] == [Level.GRID, Level.COMMUNITY, Level.STREET, Level.DEPARTMENT]
    assert [r.unit_code for r in ladder] == ["rc-jincheng-yongxin-g1", "rc-jincheng-yongxin", "rc-jincheng",
                                             "rencheng-fire"]
    assert [r.overseer_code for r in ladder] == ["rc-jincheng-yongxin", "rc-jincheng", "rencheng", "rencheng"]


def test_property_issues_go_to_the_compound_property_company(demo_org) -> None:
    ladder = ladder_for_report(demo_org, "qf-lucheng-gulou-g1", "property_management")
    assert ladder[0].unit_code == "pc-qfgongyi" and ladder[0].overseer_code == "qf-lucheng-gulou"
    # a property matter reported by the grid climbs as a 物业110 order does: company, community, 物业办, housing
    assert [r.unit_code for r in ladder] == ["pc-qfgongyi", "qf-lucheng-gulou", "qf-lucheng-wyb", "qufu-housing"]
    assert [r.level for r in ladder] == [Level.COMMUNITY, Level.COMMUNITY, Level.STREET, Level.DEPARTMENT]
    # a street without a 物业办: the street itself
    assert [r.unit_code for r in ladder_for_report(demo_org, "rc-jiyang-caoqiao-g1", "property_management")] == [
        "pc-shuijing", "rc-jiyang-caoqiao", "rc-jiyang", "rencheng-housing"]


def test_utilities_start_at_the_street(demo_org) -> None:
    assert ladder_for_report(demo_org, "yz-gulou-fuqian-g1", "water_supply")[0].unit_code == "yz-gulou"


def test_redispatch_to_a_department_or_another_community(demo_org) -> None:
    assert [r.unit_code for r in ladder_from_unit(demo_org, "rencheng-water", "rc-yuehe-taibai-g1", "noise")] == [
        "rencheng-water"]
    ladder = ladder_from_unit(demo_org, "rc-jiyang-caoqiao", "rc-yuehe-taibai-g1", "noise")
    assert [r.unit_code for r in ladder] == ["rc-jiyang-caoqiao", "rc-jiyang", "rencheng-environment"]


def test_unknown_grid_category_and_unit_are_clear_errors(demo_org) -> None:
    with pytest.raises(InvalidCommand, match="unknown grid"):
        ladder_for_report(demo_org, "nowhere", "noise")
    with pytest.raises(InvalidCommand, match="unknown category"):
        ladder_for_report(demo_org, "rc-yuehe-taibai-g1", "ufo")
    with pytest.raises(InvalidCommand, match="cannot handle|not a unit"):
        ladder_from_unit(demo_org, "rencheng", "rc-yuehe-taibai-g1", "noise")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "at least 'districts'"),
        ({"districts": [{"code": "d", "name": "D", "streets": [{"code": "d", "name": "S"}]}]}, "used twice"),
        ({"districts": [{"code": "D!", "name": "D"}]}, "district D!"),
        ({"districts": [{"code": "d", "name": "D"}],
          "categories": [{"code": "x", "name": "X", "start_level": "grid", "department": "water"}]},
         "no department with function 'water'"),
        ({"districts": [{"code": "d", "name": "D", "streets": [{"code": "s", "name": "S", "communities": [
            {"code": "c", "name": "C", "property_company": "ghost"}]}]}]}, "not a property company"),
    ],
)
def test_malformed_org_files_say_what_is_wrong(raw: dict, message: str) -> None:
    with pytest.raises(OrgFileError, match=message):
        parse_org(raw)
