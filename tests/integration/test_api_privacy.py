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


async def test_numbers_hidden_however_they_are_typed_and_never_found_digit_by_digit(as_):
    """A fresh-eyes trial's inputs (issue 10): input-method spaces, glued letters, links, search probes."""
    grid, street = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("street_staff", "rc-yuehe")
    tricky = ("联系138\u30001234\u30005678或wx13912345678，座机0537 234 5678，身份证370802.1990.0101.1234，"
              "车牌鲁\uff2812345")
    pid = (await grid.report(description=tricky))["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已处理", "evidence_urls": ["https://img.example.com/13812345678.jpg"]})
    seen = (await street.get(f"/v1/petitions/{pid}")).json()
    events = str((await street.get(f"/v1/petitions/{pid}/events")).json())
    for secret in ("1234\u30005678", "13912345678", "234 5678", "0101.1234", "\uff2812345", "13812345678"):
        assert secret not in seen["description"] and secret not in events, secret
    for probe in ("3812345678", "391234567", "1990.0101", "H12345", "5678"):
        listed = (await street.get("/v1/petitions", params={"q": probe, "limit": 200})).json()["items"]
        assert pid not in [p["id"] for p in listed], probe
    assert pid in [p["id"] for p in (await street.get("/v1/petitions", params={"q": "联系"})).json()["items"]]


async def test_text_that_would_break_a_feed_or_hide_nothing_is_refused(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    for description in ("\u200b\u200b", "\u3000 \u00ad", "灯坏了\u0001", "灯坏了\ufffe", "\u3164\u2800\u180e",
                        "灯坏了\u0085", "灯坏了\u202e"):
        response = await grid.post("/v1/petitions", {"category": "sanitation", "grid_code": "rc-yuehe-taibai-g1",
                                                      "description": description})
        assert response.status_code == 422 and "description" in response.text, (description, response.text)
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    spaced = await grid.post(f"/v1/petitions/{pid}/resolve",
                             {"result": "已处理", "evidence_urls": ["https://a b.com/x"]})
    assert spaced.status_code == 422 and "evidence_urls" in spaced.text
