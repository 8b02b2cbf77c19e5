"""One rule for a resident's name, phone and the numbers in free text, on the petition and on its events
alike (issue 12 §5): every role, inside its subtree, sees both endpoints masked or both unmasked."""

from __future__ import annotations

import pytest

from tests.integration.api_client import Caller

PHONE, MASKED_PHONE = "13805371234", "138****1234"
NAME, MASKED_NAME = "陈秀英", "陈**"
TEXT, REDACTED_TEXT = f"楼道堆物，电话{PHONE}", "楼道堆物，电话[已隐去]"
GRID = "rc-yuehe-taibai-g1"

# (role, unit, subject, sees the resident's data unmasked) for a petition the grid holds
READERS = [
    ("grid_worker", GRID, "grid_worker@" + GRID, True),  # the cadre who reported it
    ("grid_worker", GRID, "another-grid-worker", True),  # the unit that holds it
    ("community_staff", "rc-yuehe-taibai", None, False),
    ("street_staff", "rc-yuehe", None, False),
    ("supervisor", "rencheng", None, False),
    ("auditor", "rencheng", None, False),
    ("dispatcher", "rencheng", None, True),
    ("return_visitor", "rencheng", None, True),
    ("admin", "rencheng", None, True),
]


async def _seen(reader: Caller, pid: str) -> tuple[dict, dict]:
    petition = await reader.get(f"/v1/petitions/{pid}")
    events = await reader.get(f"/v1/petitions/{pid}/events")
    assert petition.status_code == events.status_code == 200, (petition.text, events.text)
    reported = next(e for e in events.json() if e["type"] == "PetitionReported")
    return petition.json(), reported["data"]


@pytest.mark.parametrize(("role", "unit", "subject", "unmasked"), READERS,
                         ids=[f"{r[0]}-{r[2] or r[1]}" for r in READERS])
async def test_each_role_sees_the_petition_and_its_events_alike(as_, role, unit, subject, unmasked):
    grid = as_("grid_worker", GRID)
    pid = (await grid.report(description=TEXT, reporter_name=NAME, reporter_phone=PHONE))["id"]
    petition, reported = await _seen(Caller(grid.http, role, unit, subject=subject), pid)
    expected = (NAME, PHONE, TEXT) if unmasked else (MASKED_NAME, MASKED_PHONE, REDACTED_TEXT)
    assert (petition["reporter_name"], petition["reporter_phone"], petition["description"]) == expected
    assert (reported["reporter_name"], reported["reporter_phone"], reported["description"]) == expected


@pytest.mark.parametrize(("role", "unit", "subject", "unmasked"), READERS,
                         ids=[f"{r[0]}-{r[2] or r[1]}" for r in READERS])
async def test_a_confidential_petition_is_masked_alike_for_each_role(as_, role, unit, subject, unmasked):
    grid = as_("grid_worker", GRID)
    pid = (await grid.report(description=TEXT, reporter_name=NAME, reporter_phone=PHONE, confidential=True))["id"]
    petition, reported = await _seen(Caller(grid.http, role, unit, subject=subject), pid)
    # 工单保密: the holding unit no longer sees it; the reporter and the roles that call the resident still do
    unmasked = unmasked and subject != "another-grid-worker"
    expected = (NAME, PHONE, TEXT) if unmasked else (MASKED_NAME, MASKED_PHONE, REDACTED_TEXT)
    assert (petition["reporter_name"], petition["reporter_phone"], petition["description"]) == expected
    assert (reported["reporter_name"], reported["reporter_phone"], reported["description"]) == expected


@pytest.mark.parametrize(("role", "unmasked"), [("street_staff", True), ("supervisor", False), ("auditor", False),
                                                ("dispatcher", True), ("return_visitor", True)])
async def test_only_the_holding_units_handlers_see_it_not_its_supervisors_or_auditors(as_, role, unmasked):
    """Found in a review: while a street held a petition, every role of that street — its auditor included
    — saw the resident unmasked, because the rule compared units and not roles."""
    grid = as_("grid_worker", GRID)
    pid = (await grid.report(description=TEXT, reporter_name=NAME, reporter_phone=PHONE))["id"]
    await grid.act(pid, "escalate", {"reason": "无权处理"})
    await as_("community_staff", "rc-yuehe-taibai").act(pid, "escalate", {"reason": "需街道协调"})
    petition, reported = await _seen(as_(role, "rc-yuehe"), pid)
    assert petition["unit_code"] == "rc-yuehe"
    expected = (NAME, PHONE, TEXT) if unmasked else (MASKED_NAME, MASKED_PHONE, REDACTED_TEXT)
    assert (petition["reporter_name"], petition["reporter_phone"], petition["description"]) == expected
    assert (reported["reporter_name"], reported["reporter_phone"], reported["description"]) == expected


@pytest.mark.parametrize(("role", "unit", "unmasked"), [
    ("department_staff", "rencheng-urban-management", True),  # holds it
    ("property_staff", "pc-shuijing", False),  # would see it only by holding it: out of scope (404)
])
async def test_a_department_holding_the_order_sees_it_and_a_company_does_not(as_, role, unit, unmasked):
    grid = as_("grid_worker", GRID)
    pid = (await grid.report(description=TEXT, reporter_name=NAME, reporter_phone=PHONE))["id"]
    await as_("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": "rencheng-urban-management"})
    reader = as_(role, unit)
    if not unmasked:
        assert (await reader.get(f"/v1/petitions/{pid}")).status_code == 404
        return
    petition, reported = await _seen(reader, pid)
    assert (petition["reporter_name"], petition["reporter_phone"], petition["description"]) == (NAME, PHONE, TEXT)
    assert (reported["reporter_name"], reported["reporter_phone"], reported["description"]) == (NAME, PHONE, TEXT)
