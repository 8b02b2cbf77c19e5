"""Open311 GeoReport v2 in JSON and XML, with the spec's field names, status values and error format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from shapely.geometry import shape

from domain.workcalendar import CHINA
from tests.integration.api_client import OPEN311_KEY, OPEN311_TRUSTED_KEY

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
    # real clients send lat/long and no grid code: the point finds the grid
    assert definition["service_code"] == "noise" and grid["required"] is False and grid["datatype"] == "string"
    root = ET.fromstring((await http.get(f"{BASE}/services/noise.xml")).content)
    assert root.tag == "service_definition"
    assert [v.find("key").text for v in root.findall("attributes/attribute/values/value")] == [
        "normal", "urgent", "emergency", "true", "false"]  # urgency, then resident_sms (no SMS: false)
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
    unknown_format = await http.get(f"{BASE}/requests.yaml")  # FastAPI's own validation, in GeoReport's format
    assert unknown_format.status_code == 400 and unknown_format.json()[0]["code"] == 400
    assert "fmt" in unknown_format.json()[0]["description"]


@pytest.mark.parametrize("text", ["a\x00b", "\ud800"], ids=["nul", "lone-surrogate"])
async def test_unstorable_text_in_a_query_is_refused_not_a_server_error(http, text):
    raw = quote(text, errors="surrogatepass")  # sent percent-encoded, as a hostile client would
    for url in (f"/open311/v2/requests.json?service_code={raw}", f"/open311/v2/requests.json?service_request_id={raw}",
                f"/open311/v2/requests/{raw}.json"):
        response = await http.get(url)
        assert response.status_code < 500, (url, response.status_code, response.text)
        if "\x00" in text:  # PostgreSQL cannot hold a NUL: refused as the client's error
            assert response.status_code in (400, 404, 422), (url, response.status_code)


# --- Open311 as real clients send it (issue 11 §8) ---------------------------------------------------

def inside(org, grid_code: str) -> tuple[float, float]:
    """A (lat, long) inside the grid's boundary."""
    point = shape(org.units[grid_code].boundary).representative_point()
    return round(point.y, 6), round(point.x, 6)


def without_grid(**fields) -> dict:
    return {k: v for k, v in NEW_REQUEST.items() if k != "attribute[grid_code]"} | fields


async def created_id(http, data: dict) -> str:
    response = await http.post(f"{BASE}/requests.json", data=data)
    assert response.status_code == 200, response.text
    return response.json()[0]["service_request_id"]


async def test_georeport_first_name_is_the_given_name_and_last_name_the_family_name(http, as_):
    rid = await created_id(http, NEW_REQUEST | {"first_name": "三", "last_name": "张"})
    seen_by_desk = (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{rid}")).json()
    assert seen_by_desk["reporter_name"] == "张三"
    seen_by_street = (await as_("street_staff", "rc-yuehe").get(f"/v1/petitions/{rid}")).json()
    assert seen_by_street["reporter_name"] == "张**"
    western = await created_id(http, NEW_REQUEST | {"first_name": "Jane", "last_name": "Doe"})
    assert (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{western}")).json()["reporter_name"] == "Jane Doe"


async def test_location_and_media_sent_on_post_are_kept_and_returned(http, as_, demo_org):
    lat, long = inside(demo_org, "rc-yuehe-taibai-g1")
    photo = "https://img.example.cn/open311/太白小区.jpg"
    rid = await created_id(http, NEW_REQUEST | {"service_code": "sanitation", "lat": str(lat), "long": str(long),
                                                "media_url": photo})
    [trusted] = (await http.get(f"{BASE}/requests/{rid}.json", params={"api_key": OPEN311_TRUSTED_KEY})).json()
    assert (trusted["lat"], trusted["long"]) == (lat, long)
    assert trusted["address"] == "越河街道太白小区广场" and trusted["media_url"] == photo
    xml = await http.get(f"{BASE}/requests/{rid}.xml", params={"api_key": OPEN311_TRUSTED_KEY})
    root = ET.fromstring(xml.content)
    assert root.find("request/lat").text == str(lat) and root.find("request/media_url").text == photo
    petition = (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{rid}")).json()
    assert (petition["latitude"], petition["longitude"], petition["media_urls"]) == (lat, long, [photo])
    events = (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{rid}/events")).json()
    assert events[0]["data"]["media_urls"] == [photo]  # evidence from the start, in the log
    [public] = (await http.get(f"{BASE}/requests/{rid}.json")).json()  # the public sees none of it
    assert (public["lat"], public["long"], public["media_url"], public["address"]) == (None, None, None,
                                                                                       "越河街道太白社区")


async def test_a_point_without_a_grid_goes_to_the_grid_that_holds_it(http, as_, demo_org):
    lat, long = inside(demo_org, "qf-lucheng-wumaci-g2")
    rid = await created_id(http, without_grid(lat=str(lat), long=str(long)))
    petition = (await as_("dispatcher", "qufu").get(f"/v1/petitions/{rid}")).json()
    assert petition["grid_code"] == "qf-lucheng-wumaci-g2" and petition["unit_code"] == "qf-lucheng-wumaci-g2"
    assert (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{rid}")).status_code == 404
    agreeing = await created_id(http, NEW_REQUEST | dict(zip(("lat", "long"), map(str, inside(
        demo_org, "rc-yuehe-taibai-g1")), strict=True)))
    assert (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{agreeing}")).status_code == 200


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"lat": "35.0", "long": "117.5"}, "lies in no grid"),  # inside Shandong, outside the demo grids
        ({"lat": "116.575", "long": "35.4287"}, "lat must be between"),  # swapped
        ({"lat": "35.408", "long": "116.57"}, "border of grids"),  # on the edge two grids share
        ({"lat": "35.4287"}, "long is required"),
        ({"lat": "north", "long": "116.575"}, "lat must be a number"),
        ({"lat": "95", "long": "116.575"}, "lat must be between"),
        ({"lat": "nan", "long": "116.575"}, "lat must be between"),
        ({}, "send lat and long"),
    ],
)
async def test_a_point_that_finds_no_single_grid_is_an_open311_error(http, fields, fragment):
    response = await http.post(f"{BASE}/requests.xml", data=without_grid(**fields))
    assert response.status_code == 400, response.text
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and root.find("error/code").text == "400"
    assert fragment in root.find("error/description").text


async def test_a_point_outside_the_grid_code_it_came_with_is_refused(http, demo_org):
    lat, long = inside(demo_org, "yz-gulou-fuqian-g1")
    response = await http.post(f"{BASE}/requests.json", data=NEW_REQUEST | {"lat": str(lat), "long": str(long)})
    assert response.status_code == 400 and "outside grid rc-yuehe-taibai-g1" in response.json()[0]["description"]


async def test_rest_intake_takes_a_point_too(as_, demo_org):
    grid = as_("grid_worker", "rc-yuehe-taibai-g2")
    lat, long = inside(demo_org, "rc-yuehe-taibai-g2")
    body = {"category": "sanitation", "description": "路灯不亮", "lat": lat, "long": long}
    made = await grid.post("/v1/petitions", body)
    assert made.status_code == 201, made.text
    assert made.json()["grid_code"] == "rc-yuehe-taibai-g2" and made.json()["latitude"] == lat
    both = await grid.post("/v1/petitions", body | {"grid_code": "rc-yuehe-taibai-g2"})
    assert both.status_code == 201
    other_lat, other_long = inside(demo_org, "rc-yuehe-taibai-g1")
    disagree = await grid.post("/v1/petitions", body | {"grid_code": "rc-yuehe-taibai-g2", "lat": other_lat,
                                                        "long": other_long})
    assert disagree.status_code == 422 and disagree.json()["code"] == "location_mismatch"
    outside = await grid.post("/v1/petitions", body | {"lat": 35.0, "long": 117.5})
    assert outside.status_code == 422 and "lies in no grid" in outside.json()["detail"]
    nowhere = await grid.post("/v1/petitions", {"category": "sanitation", "description": "路灯不亮"})
    assert nowhere.status_code == 422 and "grid_code" in nowhere.json()["detail"]
    half = await grid.post("/v1/petitions", body | {"long": None})
    assert half.status_code == 422 and "lat and long" in half.json()["detail"]
    # the route's scope check holds for the grid the point found
    elsewhere = await as_("grid_worker", "rc-yuehe-taibai-g1").post("/v1/petitions", body)
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "out_of_scope"
    bad_photo = await grid.post("/v1/petitions", body | {"media_urls": ["javascript:alert(1)"]})
    assert bad_photo.status_code == 422 and "media_urls" in bad_photo.text


async def test_a_grid_serves_its_boundary_as_geojson(as_, demo_org):
    unit = (await as_("admin", "rencheng").get("/v1/units/rc-yuehe-taibai-g1")).json()
    boundary = unit["boundary"]
    assert boundary["type"] == "Polygon" and boundary == demo_org.units["rc-yuehe-taibai-g1"].boundary
    assert shape(boundary).contains(shape({"type": "Point", "coordinates": inside(demo_org, unit["code"])[::-1]}))
    assert (await as_("admin", "rencheng").get("/v1/units/rc-yuehe")).json()["boundary"] is None


LONG_TEXT = ("小区门口垃圾堆积，" * 357)[:3213]  # 3,213 characters: what a resident wrote


async def test_one_text_limit_everywhere_and_never_a_silent_cut(http, as_):
    assert len(LONG_TEXT) == 3213
    rid = await created_id(http, NEW_REQUEST | {"description": LONG_TEXT})
    stored = (await as_("dispatcher", "rencheng").get(f"/v1/petitions/{rid}")).json()
    assert stored["description"] == LONG_TEXT
    [trusted] = (await http.get(f"{BASE}/requests/{rid}.json", params={"api_key": OPEN311_TRUSTED_KEY})).json()
    assert trusted["description"] == LONG_TEXT
    rest = await as_("grid_worker", "rc-yuehe-taibai-g1").post(
        "/v1/petitions", {"category": "noise", "description": LONG_TEXT, "grid_code": "rc-yuehe-taibai-g1"})
    assert rest.status_code == 201 and rest.json()["description"] == LONG_TEXT
    too_long = "噪" * 4001
    refused = await http.post(f"{BASE}/requests.xml", data=NEW_REQUEST | {"description": too_long})
    assert refused.status_code == 400
    assert "description must be at most 4000 characters" in ET.fromstring(refused.content).find(
        "error/description").text
    rest_refused = await as_("grid_worker", "rc-yuehe-taibai-g1").post(
        "/v1/petitions", {"category": "noise", "description": too_long, "grid_code": "rc-yuehe-taibai-g1"})
    assert rest_refused.status_code == 422
    for field, text in (("address_string", "楼" * 201), ("first_name", "三" * 64), ("phone", "1" * 33)):
        refused = await http.post(f"{BASE}/requests.json", data=NEW_REQUEST | {field: text})
        assert refused.status_code == 400 and field in refused.json()[0]["description"], (field, refused.text)


async def test_an_api_key_in_the_query_string_creates_too(http):
    form = {k: v for k, v in NEW_REQUEST.items() if k != "api_key"}
    response = await http.post(f"{BASE}/requests.json", params={"api_key": OPEN311_KEY}, data=form)
    assert response.status_code == 200, response.text


async def test_optional_query_parameters_sent_empty_are_absent(http):
    rid = await created_id(http, NEW_REQUEST | {"service_code": "greening"})
    empty = {"service_request_id": "", "service_code": "", "status": "", "start_date": "", "end_date": "",
             "api_key": ""}
    for fmt in ("json", "xml"):
        response = await http.get(f"{BASE}/requests.{fmt}", params=empty)
        assert response.status_code == 200, response.text
    listed = (await http.get(f"{BASE}/requests.json", params=empty)).json()
    assert rid in [r["service_request_id"] for r in listed]
    one = (await http.get(f"{BASE}/requests.json", params=empty | {"service_request_id": rid})).json()
    assert [r["service_request_id"] for r in one] == [rid]
    also = (await http.get(f"{BASE}/requests.json", params={"service_code": "greening,", "status": "open,"})).json()
    assert rid in [r["service_request_id"] for r in also]
    empty_post = await http.post(f"{BASE}/requests.json", data=NEW_REQUEST | {"lat": "", "long": "", "media_url": "",
                                                                             "email": "", "address_id": ""})
    assert empty_post.status_code == 200, empty_post.text


@pytest.mark.parametrize(
    "start",
    ["{day}T00:00:00Z", "{day}T00:00:00.000Z", "{day}T08:00:00+08:00", "{day}T08:00:00+0800", "{day}T00:00Z",
     "{day}T00:00:00+00:00", "{day}T08:00:00+08", "{compact}T000000Z", "{compact}T080000+0800"],
)
async def test_date_times_in_every_form_clients_send(http, start):
    # the extended forms with Z or an offset read before too (kept as regressions); the short offset
    # (+08) and ISO 8601's basic format (20261128T000000Z) were 422 problem+json
    rid = await created_id(http, NEW_REQUEST | {"service_code": "greening"})
    today = datetime.now(UTC).date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=2)
    window = {"start_date": start.format(day=yesterday.isoformat(), compact=yesterday.strftime("%Y%m%d")),
              "end_date": start.format(day=tomorrow.isoformat(), compact=tomorrow.strftime("%Y%m%d")),
              "service_code": "greening"}
    response = await http.get(f"{BASE}/requests.json", params=window)
    assert response.status_code == 200, response.text
    assert rid in [r["service_request_id"] for r in response.json()]
    later = {"start_date": window["end_date"], "service_code": "greening"}
    assert rid not in [r["service_request_id"] for r in (await http.get(f"{BASE}/requests.json", params=later)).json()]


async def test_a_date_alone_is_its_whole_day_and_no_offset_is_china_time(http):
    rid = await created_id(http, NEW_REQUEST | {"service_code": "greening"})
    now = datetime.now(CHINA)
    today = now.date().isoformat()

    async def found(**params) -> bool:
        response = await http.get(f"{BASE}/requests.json", params={"service_code": "greening"} | params)
        assert response.status_code == 200, response.text
        return rid in [r["service_request_id"] for r in response.json()]

    assert await found(start_date=today, end_date=today)  # end_date=<today>: up to the end of the day
    local = (now - timedelta(minutes=5)).replace(tzinfo=None).isoformat(timespec="seconds")
    assert await found(start_date=local)  # 5 minutes ago in Beijing, not 8 hours ahead of it
    assert not await found(end_date=local)


async def test_an_unencoded_plus_in_an_offset_still_reads(http):
    response = await http.get(f"{BASE}/requests.json?start_date=2026-01-01T00:00:00+08:00&end_date="
                              "2099-01-01T00:00:00+00:00")  # `+` unencoded arrives as a space
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("fmt", "name"), [("json", "start_date"), ("xml", "end_date")])
async def test_an_unreadable_date_is_the_specs_400_in_the_format_asked_for(http, fmt, name):
    response = await http.get(f"{BASE}/requests.{fmt}", params={name: "yesterday"})
    assert response.status_code == 400
    if fmt == "xml":
        assert response.headers["content-type"].startswith("text/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "errors" and root.find("error/code").text == "400"
        assert f"{name} must be an ISO 8601" in root.find("error/description").text
    else:
        [problem] = response.json()
        assert problem["code"] == 400 and f"{name} must be an ISO 8601" in problem["description"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nothing.xml", 404),  # a path that does not exist under /open311/v2
        ("GET", "/requests/JH-none.xml", 404),
        ("GET", "/services/ufo.xml", 404),
        ("GET", "/requests.xml?api_key=guessed", 403),
        ("GET", "/requests.xml?status=pending", 400),
        ("DELETE", "/requests.xml", 405),
        ("POST", "/requests.xml", 403),  # no api_key
        ("GET", "/requests/JH-none.yaml", 400),
    ],
)
async def test_every_open311_error_comes_in_georeport_format_of_the_url(http, method, path, status):
    response = await http.request(method, f"{BASE}{path}")
    assert response.status_code == status, response.text
    if ".xml" in path:
        assert response.headers["content-type"].startswith("text/xml"), response.text
        root = ET.fromstring(response.content)
        assert root.tag == "errors" and root.find("error/code").text == str(status)
        assert root.find("error/description").text
    else:
        [problem] = response.json()
        assert problem["code"] == status and problem["description"]


async def test_an_oversize_body_is_refused_in_the_urls_format(http):
    """Even before any route runs, an Open311 client reads a GeoReport error, in the URL's format."""
    big = {"api_key": OPEN311_KEY, "service_code": "noise", "description": "扰" * 40_000}
    as_json = await http.post(f"{BASE}/requests.json", data=big)
    assert as_json.status_code == 413 and as_json.json()[0]["code"] == 413
    as_xml = await http.post(f"{BASE}/requests.xml", data=big)
    assert as_xml.status_code == 413 and ET.fromstring(as_xml.content).find("error/code").text == "413"
    rest = await http.post("/v1/petitions", content=b"x" * 70_000, headers={"content-type": "application/json"})
    assert rest.status_code == 413 and rest.json()["code"] == "body_too_large"
