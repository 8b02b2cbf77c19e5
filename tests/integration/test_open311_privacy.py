"""Public Open311 reads publish only what the district chose to publish (PIPL: private by default)."""

from __future__ import annotations

import pytest

from tests.integration.api_client import OPEN311_KEY, OPEN311_TRUSTED_KEY

BASE = "/open311/v2"
ID_CARD, PHONE, PLATE = "370802199001011234", "13805371234", "鲁H12345"
ROOM = "任城区越河街道太白小区12号楼3单元502室"
LAT, LONG, PHOTO = 35.4287, 116.575, "https://img.example.cn/evidence/502室门口.jpg"  # inside rc-yuehe-taibai-g1
PRIVATE_TEXT = f"住户陈秀英，身份证{ID_CARD}，电话{PHONE}，车牌{PLATE}的车堵住消防通道，住{ROOM}"
LEAKS = (ID_CARD, PHONE, PLATE, "12号楼", "502室", "陈秀英", "太白小区", str(LAT), str(LONG), "img.example.cn")


@pytest.fixture
async def petitions(as_):
    """One petition of each kind, reported by a grid worker with the same private description."""
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    common = {"description": PRIVATE_TEXT, "address": ROOM, "reporter_name": "陈秀英", "reporter_phone": PHONE,
              "lat": LAT, "long": LONG, "media_urls": [PHOTO]}
    made = {
        "noise": await grid.report(category="noise", **common),
        "elderly_care": await grid.report(category="elderly_care", **common),
        "sanitation": await grid.report(category="sanitation", **common),
        "summarised": await grid.report(category="sanitation", public_summary=f"垃圾清运不及时，请联系{PHONE}",
                                        **common),
        "confidential": await grid.report(category="sanitation", confidential=True, **common),
    }
    return {kind: p["id"] for kind, p in made.items()}


async def _listed(http, ids, **params) -> dict[str, dict]:
    response = await http.get(f"{BASE}/requests.json", params={"service_request_id": ",".join(ids)} | params)
    assert response.status_code == 200, response.text
    return {r["service_request_id"]: r for r in response.json()}


@pytest.mark.parametrize("key", [None, OPEN311_KEY], ids=["no-key", "key-reading-public"])
async def test_without_a_trusted_key_only_published_categories_leave_and_nothing_private(http, petitions, key):
    params = {"api_key": key} if key else {}
    listed = await _listed(http, petitions.values(), **params)
    assert set(listed) == {petitions["sanitation"], petitions["summarised"]}
    window = {r["service_request_id"] for r in (await http.get(f"{BASE}/requests.json", params=params)).json()}
    assert not window & {petitions["noise"], petitions["elderly_care"], petitions["confidential"]}
    for item in listed.values():
        assert not [leak for leak in LEAKS if leak in str(item)], item
        assert item["address"] == "越河街道太白社区" and item["lat"] is None and item["long"] is None
        assert item["media_url"] is None
    assert listed[petitions["sanitation"]]["description"] == "环境卫生类诉求"
    assert listed[petitions["summarised"]]["description"] == "垃圾清运不及时，请联系[已隐去]"
    one = await http.get(f"{BASE}/requests/{petitions['summarised']}.json", params=params)
    assert one.json() == [listed[petitions["summarised"]]]
    xml = (await http.get(f"{BASE}/requests/{petitions['summarised']}.xml", params=params)).text
    assert "越河街道太白社区" in xml and not [leak for leak in LEAKS if leak in xml]


async def test_an_unpublished_petition_reads_as_nonexistent(http, petitions):
    nowhere = await http.get(f"{BASE}/requests/JH-none.json")
    for kind in ("noise", "elderly_care", "confidential"):
        pid = petitions[kind]
        hidden = await http.get(f"{BASE}/requests/{pid}.json")
        assert hidden.status_code == 404 == nowhere.status_code
        assert hidden.json() == [{"code": 404, "description": f"no service request {pid}"}]
        token = await http.get(f"{BASE}/tokens/{pid}.json")
        assert token.status_code == 404
        assert token.json() == [{"code": 404, "description": f"no request for token {pid}"}]
    assert (await http.get(f"{BASE}/tokens/{petitions['sanitation']}.json")).status_code == 200


async def test_a_trusted_key_reads_every_petition_but_confidential_ones_redacted(http, petitions):
    listed = await _listed(http, petitions.values(), api_key=OPEN311_TRUSTED_KEY)
    assert set(listed) == {petitions[k] for k in ("noise", "elderly_care", "sanitation", "summarised")}
    noise = listed[petitions["noise"]]
    assert noise["address"] == ROOM and "[已隐去]" in noise["description"] and "消防通道" in noise["description"]
    assert (noise["lat"], noise["long"], noise["media_url"]) == (LAT, LONG, PHOTO)  # the integrator may locate it
    assert not [leak for leak in (ID_CARD, PHONE, PLATE) if leak in str(noise)]
    confidential = await http.get(f"{BASE}/requests/{petitions['confidential']}.json",
                                  params={"api_key": OPEN311_TRUSTED_KEY})
    assert confidential.status_code == 404
    one = await http.get(f"{BASE}/requests/{petitions['noise']}.json", params={"api_key": OPEN311_TRUSTED_KEY})
    assert one.json() == [noise]
    wrong = await http.get(f"{BASE}/requests.json", params={"api_key": "guessed"})
    assert wrong.status_code == 403 and wrong.json()[0]["code"] == 403


async def test_a_public_reader_never_gets_what_an_open311_client_sent_about_the_person_or_place(http):
    sent = {"api_key": OPEN311_KEY, "service_code": "sanitation", "description": PRIVATE_TEXT, "address_string": ROOM,
            "lat": str(LAT), "long": str(LONG), "media_url": PHOTO, "first_name": "秀英", "last_name": "陈",
            "phone": PHONE}
    rid = (await http.post(f"{BASE}/requests.json", data=sent)).json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        for params in ({}, {"api_key": OPEN311_KEY}):
            one = (await http.get(f"{BASE}/requests/{rid}.{fmt}", params=params)).text
            listed = (await http.get(f"{BASE}/requests.{fmt}", params={"service_request_id": rid} | params)).text
            for text in (one, listed):
                assert rid in text and "越河街道太白社区" in text
                assert not [leak for leak in LEAKS if leak in text], text
