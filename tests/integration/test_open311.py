"""Open311 GeoReport v2 in JSON and XML, with the spec's field names, status values and error format."""

from __future__ import annotations

from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest

from tests.integration.api_client import OPEN311_KEY

BASE = "/open311/v2"
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
NEW_REQUEST = {"api_key": OPEN311_KEY, "service_code": "noise", "description": "夜间广场舞音响扰民",
               "address_string": "越河街道太白小区广场", "attribute[grid_code]": "rc-yuehe-taibai-g1",
               "first_name": "秀英", "last_name": "陈", "phone": "13805371234"}


async def test_discovery_and_services_in_both_formats(http):
    discovery = (await http.get(f"{BASE}/discovery.json")).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    services = (await http.get(f"{BASE}/services.json")).json()
    assert len(services) >= 15 and all(set(s) == SERVICE_FIELDS for s in services)
    assert {"service_code": "noise", "service_name": "噪音扰民", "type": "realtime"}.items() <= next(
        s for s in services if s["service_code"] == "noise").items()
    xml = await http.get(f"{BASE}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(xml.content)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/service_code").text == services[0]["service_code"]
    assert root.find("service/metadata").text == "true"


async def test_service_definition(http):
    definition = (await http.get(f"{BASE}/services/noise.json")).json()
    grid = next(a for a in definition["attributes"] if a["code"] == "grid_code")
    assert definition["service_code"] == "noise" and grid["required"] is True and grid["datatype"] == "string"
    root = ET.fromstring((await http.get(f"{BASE}/services/noise.xml")).content)
    assert root.tag == "service_definition"
    assert [v.find("key").text for v in root.findall("attributes/attribute/values/value")] == [
        "normal", "urgent", "emergency"]
    missing = await http.get(f"{BASE}/services/ufo.json")
    assert missing.status_code == 404 and missing.json() == [{"code": 404, "description": "unknown service_code ufo"}]


async def test_post_then_read_the_request_as_an_ordinary_petition(http, as_):
    created = await http.post(f"{BASE}/requests.json", data=NEW_REQUEST | {"service_code": "sanitation"})
    assert created.status_code == 200, created.text
    [receipt] = created.json()
    assert set(receipt) == {"service_request_id", "service_notice", "account_id"}
    rid = receipt["service_request_id"]
    [request] = (await http.get(f"{BASE}/requests/{rid}.json")).json()  # sanitation is a published category
    assert set(request) == REQUEST_FIELDS and request["status"] == "open"
    assert request["agency_responsible"] == "太白社区第1网格" and request["service_code"] == "sanitation"
    assert request["description"] == "环境卫生类诉求" and request["address"] == "越河街道太白社区"
    assert "13805371234" not in str(request)  # the public read carries no personal data
    petition = (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{rid}")).json()
    assert petition["channel"] == "open311" and petition["reporter_phone"] == "13805371234"

    root = ET.fromstring((await http.get(f"{BASE}/requests/{rid}.xml")).content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == rid
    assert root.find("request/status").text == "open"
    [token] = (await http.get(f"{BASE}/tokens/{rid}.json")).json()
    assert token == {"service_request_id": rid, "token": rid}

    await as_("dispatcher", "rencheng").act(rid, "close", {"outcome": "withdrawn", "explanation": "已协商"})
    closed = (await http.get(f"{BASE}/requests.json", params={"service_request_id": rid, "status": "closed"})).json()
    assert [r["service_request_id"] for r in closed] == [rid] and closed[0]["status_notes"] == "群众撤回"
    still_open = (await http.get(f"{BASE}/requests.json", params={"service_request_id": rid, "status": "open"})).json()
    assert still_open == []


async def test_query_filters(http):
    rid = (await http.post(f"{BASE}/requests.json", data=NEW_REQUEST | {"service_code": "greening"})).json()[0][
        "service_request_id"]
    by_code = (await http.get(f"{BASE}/requests.json", params={"service_code": "greening"})).json()
    assert rid in [r["service_request_id"] for r in by_code] and {r["service_code"] for r in by_code} == {"greening"}
    future = (await http.get(f"{BASE}/requests.json", params={"start_date": "2099-01-01T00:00:00Z"})).json()
    assert future == []
    bad = await http.get(f"{BASE}/requests.json", params={"status": "pending"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"api_key": "wrong"}, 403, "api_key"),
        ({"service_code": "ufo"}, 400, "not a service"),
        ({"attribute[grid_code]": "nowhere"}, 400, "unknown grid"),
        ({"description": ""}, 400, "description"),
        ({"description": "   "}, 400, "description"),
        ({"phone": "1"}, 400, "phone"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"media_url": "not a url"}, 400, "media_url"),
        ({"attribute[urgency]": "whenever"}, 400, "whenever"),
        ({"description": "噪音\u0000"}, 400, "NUL"),
    ],
)
async def test_post_errors_in_the_spec_format(http, change, status, fragment):
    response = await http.post(f"{BASE}/requests.xml", data=NEW_REQUEST | change)
    assert response.status_code == status
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert fragment in root.find("error/description").text


async def test_unknown_request_and_format(http):
    assert (await http.get(f"{BASE}/requests/JH-none.json")).status_code == 404
    assert (await http.get(f"{BASE}/requests.yaml")).status_code == 422


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"], ids=["nul", "lone-surrogate"])
async def test_unstorable_text_in_a_query_is_refused_not_a_server_error(http, text):
    raw = quote(text, errors="surrogatepass")  # sent percent-encoded, as a hostile client would
    for url in (f"/open311/v2/requests.json?service_code={raw}", f"/open311/v2/requests.json?service_request_id={raw}",
                f"/open311/v2/requests/{raw}.json"):
        response = await http.get(url)
        assert response.status_code < 500, (url, response.status_code, response.text)
        if "\x00" in text:  # PostgreSQL cannot hold a NUL: refused as the client's error
            assert response.status_code in (400, 404, 422), (url, response.status_code)
