"""Which unit codes a caller may name (api/unit_scope.py), on the Jining demo org."""

from __future__ import annotations

import pytest

from api.errors import ApiError
from api.unit_scope import (
    dispatch_targets,
    district_units,
    grids_below,
    require_below,
    require_dispatch_target,
    require_readable,
    units_below,
)
from domain.enums import Role
from domain.model import Actor


def actor(role: Role, unit: str) -> Actor:
    return Actor(id="t", name="t", unit_code=unit, role=role)


def test_a_district_dispatcher_routes_anywhere_in_its_district(demo_org) -> None:
    targets = dispatch_targets(actor(Role.DISPATCHER, "rencheng"), demo_org)
    assert {"rc-jiyang", "rc-yuehe-taibai-g1", "rencheng-water", "pc-hongfan"} <= targets
    assert not targets & {"yanzhou-water", "qufu-water", "yz-gulou", "pc-qfgongyi"}


def test_a_street_dispatcher_routes_inside_its_street_and_to_its_compounds_companies(demo_org) -> None:
    targets = dispatch_targets(actor(Role.DISPATCHER, "rc-yuehe"), demo_org)
    assert {"rc-yuehe-yuehe", "rc-yuehe-taibai-g2", "pc-hongfan"} <= targets
    assert not targets & {"rc-jiyang", "rencheng-water", "pc-shuijing", "yanzhou-water"}
    assert dispatch_targets(actor(Role.DISPATCHER, "rc-yuehe-taibai"), demo_org) == set()
    assert dispatch_targets(actor(Role.ADMIN, ""), demo_org) is None


def test_refusals_name_the_reason(demo_org) -> None:
    with pytest.raises(ApiError) as refused:
        require_dispatch_target(actor(Role.DISPATCHER, "rencheng"), demo_org, "qufu-water")
    assert (refused.value.status, refused.value.code) == (403, "out_of_scope")
    require_dispatch_target(actor(Role.DISPATCHER, "rencheng"), demo_org, "atlantis")  # the routing's 422
    with pytest.raises(ApiError) as unknown:
        require_below(actor(Role.SUPERVISOR, "rencheng"), demo_org, "atlantis", "unit")
    assert (unknown.value.status, unknown.value.code) == (404, "unit_not_found")
    with pytest.raises(ApiError) as outside:
        require_below(actor(Role.SUPERVISOR, "rencheng"), demo_org, "pc-qfgongyi", "property company")
    assert (outside.value.status, outside.value.code) == (403, "out_of_scope")


def test_reads_reach_below_and_rankings_across_the_district(demo_org) -> None:
    street = actor(Role.STREET_STAFF, "rc-yuehe")
    assert units_below(street, demo_org) == demo_org.subtree("rc-yuehe")
    assert units_below(actor(Role.DEPARTMENT_STAFF, "qufu-water"), demo_org) == {"qufu-water"}
    assert units_below(actor(Role.ADMIN, ""), demo_org) is None
    assert {"rc-jiyang", "rencheng-water", "pc-shuijing"} <= district_units(street, demo_org)
    assert "qf-lucheng" not in district_units(street, demo_org)
    assert grids_below(street, demo_org) == {c for c in demo_org.subtree("rc-yuehe") if "-g" in c}
    reach = units_below(street, demo_org)
    require_readable(reach, demo_org, "rencheng", around="rc-yuehe")  # `within` above the reader narrows
    with pytest.raises(ApiError) as hidden:
        require_readable(reach, demo_org, "rc-jiyang")
    assert (hidden.value.status, hidden.value.code) == (404, "unit_not_found")
