"""Who sees what, without services (issue 12 §8): the tree scope of each role, reporters following what
they reported, and the one decision and the one masking of a resident's personal data."""

from __future__ import annotations

import pytest

from api.scope import grid_in_scope, in_scope, scope_units, sees_personal_data
from domain.enums import Role
from domain.masking import mask_phone, masked
from domain.model import Actor

GRID = "rc-yuehe-taibai-g1"
ROW = {"id": "P-1", "unit_code": GRID, "handled_units": [GRID, "rc-yuehe-taibai"], "reported_by": "g1",
       "confidential": False, "reporter_name": "陈秀英", "reporter_phone": "13805371234",
       "description": "身份证370802199001011234 电话 138 0537 1234", "evidence_urls": ["https://e/13805371234.jpg"]}


def person(role: Role, unit: str, id: str = "someone") -> Actor:
    return Actor(id=id, name="x", unit_code=unit, role=role)


def test_scope_follows_the_tree_and_departments_see_only_their_own(demo_org) -> None:
    assert scope_units(person(Role.ADMIN, ""), demo_org) is None
    street = scope_units(person(Role.STREET_STAFF, "rc-yuehe"), demo_org)
    assert GRID in street and "rc-jiyang-caoqiao-g1" not in street
    assert scope_units(person(Role.DEPARTMENT_STAFF, "rencheng-water"), demo_org) == ["rencheng-water"]
    assert scope_units(person(Role.GRID_WORKER, "no-such-unit"), demo_org) == []


def test_a_petition_is_in_scope_where_it_was_handled_or_for_its_reporter(demo_org) -> None:
    community = scope_units(person(Role.COMMUNITY_STAFF, "rc-yuehe-taibai"), demo_org)
    elsewhere = scope_units(person(Role.COMMUNITY_STAFF, "rc-jiyang-caoqiao"), demo_org)
    assert in_scope(ROW, community) and not in_scope(ROW, elsewhere)
    assert in_scope(ROW, elsewhere, person(Role.GRID_WORKER, "rc-jiyang-caoqiao-g1", id="g1"))  # 我的上报


def test_a_district_dispatcher_reports_for_any_grid_of_its_district_only(demo_org) -> None:
    dispatcher = person(Role.DISPATCHER, "rencheng")
    assert grid_in_scope(dispatcher, demo_org, GRID)
    assert not grid_in_scope(dispatcher, demo_org, "yz-gulou-fuqian-g1")
    assert not grid_in_scope(person(Role.GRID_WORKER, "rc-jiyang-caoqiao-g1"), demo_org, GRID)


@pytest.mark.parametrize(("actor", "confidential", "sees"), [
    (person(Role.RETURN_VISITOR, "rencheng"), False, True),  # calls the resident
    (person(Role.DISPATCHER, "rencheng"), True, True),
    (person(Role.GRID_WORKER, GRID), False, True),  # the holding unit
    (person(Role.GRID_WORKER, GRID), True, False),  # ... unless 工单保密
    (person(Role.GRID_WORKER, "rc-jiyang-caoqiao-g1", id="g1"), True, True),  # the reporter typed it in
    (person(Role.COMMUNITY_STAFF, "rc-yuehe-taibai"), False, False),  # handled it before: masked
    (person(Role.SUPERVISOR, "rencheng"), False, False),
    (person(Role.AUDITOR, "rencheng"), False, False),
])
def test_one_decision_on_personal_data(actor, confidential, sees) -> None:
    assert sees_personal_data({**ROW, "confidential": confidential}, actor) is sees


def test_one_masking_for_rows_and_events() -> None:
    row = masked(ROW)
    event = masked({"contact_name": "王五", "contact_phone": "13912345678", "note": "回电13912345678"})
    assert (row["reporter_name"], row["reporter_phone"]) == ("陈**", "138****1234")
    assert "370802199001011234" not in row["description"] and "0537" not in row["description"]
    assert "13805371234" not in row["evidence_urls"][0]
    assert (event["contact_name"], event["contact_phone"]) == ("王**", "139****5678")
    assert "13912345678" not in event["note"]
    assert ROW["reporter_phone"] == "13805371234"  # a copy: the stored record is untouched
    assert mask_phone("110") == "***" and mask_phone("05372345678") == "053****5678"
