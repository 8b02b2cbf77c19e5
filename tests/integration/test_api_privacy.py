"""Roles that may not see personal data get free text with ID, phone and plate numbers hidden (PIPL)."""

from __future__ import annotations

from tests.integration.api_client import Caller

ID_CARD, PHONE, PLATE = "370802199001011234", "13805371234", "鲁H12345"
SECRET_TEXT = f"身份证{ID_CARD}，电话{PHONE}，车牌{PLATE}"


async def test_free_text_is_redacted_for_roles_that_may_not_see_personal_data(as_):
    grid, street = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("street_staff", "rc-yuehe")
    supervisor, visitor = as_("supervisor", "rencheng"), as_("return_visitor", "rencheng")
    pid = (await grid.report(description=f"楼道堆物，{SECRET_TEXT}", address=f"太白小区3号楼 {PHONE}"))["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "progress", {"note": f"已联系{PHONE}"})
    await supervisor.act(pid, "urge", {"note": f"车主{PLATE}请尽快挪车"})

    seen = (await street.get(f"/v1/petitions/{pid}")).json()
    assert seen["description"] == "楼道堆物，身份证[已隐去]，电话[已隐去]，车牌[已隐去]"
    assert seen["address"] == "太白小区3号楼 [已隐去]"
    listed = (await street.get("/v1/petitions", params={"limit": 200})).json()["items"]
    assert next(p for p in listed if p["id"] == pid)["description"] == seen["description"]
    events = (await street.get(f"/v1/petitions/{pid}/events")).json()
    assert not [s for s in (ID_CARD, PHONE, PLATE) if s in str(events)]
    assert [e["data"]["note"] for e in events if e["type"] in ("ProgressNoted", "PetitionUrged")] == [
        "已联系[已隐去]", "车主[已隐去]请尽快挪车"]

    for insider in (grid, visitor):  # the holding unit and the roles that call the resident see it all
        assert (await insider.get(f"/v1/petitions/{pid}")).json()["description"].endswith(SECRET_TEXT)
        assert PHONE in str((await insider.get(f"/v1/petitions/{pid}/events")).json())


async def test_a_confidential_petitions_reporter_is_shown_only_to_those_who_call_them(as_):
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    created = await grid.report(confidential=True)
    # the cadre who typed it in sees what they typed; nobody else of the holding unit does
    assert created["confidential"] is True and created["reporter_phone"] == PHONE
    colleague = Caller(grid.http, "grid_worker", "rc-yuehe-taibai-g1", subject="another-grid-worker")
    held = (await colleague.get(f"/v1/petitions/{created['id']}")).json()
    assert (held["reporter_name"], held["reporter_phone"]) == ("陈**", "138****1234")
    events = (await colleague.get(f"/v1/petitions/{created['id']}/events")).json()
    assert events[0]["data"]["reporter_phone"] == "138****1234" and events[0]["data"]["confidential"] is True
    assert (await visitor.get(f"/v1/petitions/{created['id']}")).json()["reporter_phone"] == PHONE
