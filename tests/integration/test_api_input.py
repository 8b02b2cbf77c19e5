"""Input that should not be stored is refused with 422 naming the field; a garbage token is 'malformed'."""

from __future__ import annotations

import pytest

from tests.integration.api_client import REPORT


@pytest.fixture
def grid(as_):
    return as_("grid_worker", "rc-yuehe-taibai-g1")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "   "}, "description"),
        ({"description": "\u3000\n\t"}, "description"),  # full-width space, newline, tab
        ({"reporter_phone": "1"}, "reporter_phone"),
        ({"reporter_phone": "call me"}, "reporter_phone"),
        ({"reporter_phone": "1" * 21}, "reporter_phone"),
        ({"address": "  "}, "address"),
        ({"public_summary": " "}, "public_summary"),
        ({"confidential": "yes"}, "confidential"),  # a JSON boolean only, not what lax parsing reads as one
        ({"confidential": "true"}, "confidential"),
        ({"confidential": 1}, "confidential"),
    ],
)
async def test_a_report_with_blank_text_or_no_phone_number_is_refused(grid, change, field):
    response = await grid.post("/v1/petitions", REPORT | change)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize("phone", ["", "13805371234", "+86 138-0537-1234", "0537-2345678", "(0537) 2345678"])
async def test_real_phone_numbers_are_taken(grid, phone):
    assert (await grid.report(reporter_phone=phone))["id"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("resolve", {"result": "已清运", "evidence_urls": ["javascript:alert(1)"]}, "evidence_urls"),
        ("resolve", {"result": "已清运", "evidence_urls": ["https://e/1.jpg", "not a url"]}, "evidence_urls"),
        ("resolve", {"result": "已清运", "evidence_urls": ["ftp://e/1.jpg"]}, "evidence_urls"),
        ("resolve", {"result": "已清运", "evidence_urls": ["https:///no-host"]}, "evidence_urls"),
        ("resolve", {"result": "   "}, "result"),
        ("progress", {"note": " "}, "note"),
        ("escalate", {"reason": "\t"}, "reason"),
        ("return", {"reason": "  "}, "reason"),
    ],
)
async def test_commands_with_blank_text_or_links_that_are_not_http_are_refused(grid, action, body, field):
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    response = await grid.post(f"/v1/petitions/{pid}/{action}", body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    events = (await grid.get(f"/v1/petitions/{pid}/events")).json()
    assert [e["type"] for e in events] == ["PetitionReported", "WorkOrderAssigned", "WorkOrderAccepted"]


async def test_blank_text_in_other_bodies_is_refused(as_, grid):
    pid = (await grid.report())["id"]
    supervisor, dispatcher = as_("supervisor", "rencheng"), as_("dispatcher", "rencheng")
    urge = await supervisor.post(f"/v1/petitions/{pid}/urge", {"note": "   "})
    assert urge.status_code == 422 and urge.json()["errors"][0]["field"] == "note"
    close = await dispatcher.post(f"/v1/petitions/{pid}/close", {"outcome": "withdrawn", "explanation": "  "})
    assert close.status_code == 422 and close.json()["errors"][0]["field"] == "explanation"
    dispatch = await dispatcher.post(f"/v1/petitions/{pid}/dispatch", {"unit_code": "rc-yuehe-yuehe", "note": " "})
    assert dispatch.status_code == 422 and dispatch.json()["errors"][0]["field"] == "note"


async def test_evidence_links_over_http_are_stored(grid):
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    urls = ["https://img.example.cn/1.jpg", "http://10.0.0.5:8080/e?id=1"]
    await grid.act(pid, "resolve", {"result": "已清运", "evidence_urls": urls})
    events = (await grid.get(f"/v1/petitions/{pid}/events")).json()
    assert events[-1]["data"]["evidence_urls"] == urls


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30", "Zm9v.YmFy.YmF6"])
async def test_a_garbage_token_is_a_malformed_token(http, token):
    response = await http.get("/v1/petitions", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token" and response.json()["detail"] == "malformed token"


async def test_a_forged_signature_says_so_in_words(http):
    from tests.integration.api_client import bearer

    header, claims, _ = bearer("admin", "")["authorization"].split()[1].split(".")
    response = await http.get("/v1/petitions", headers={"authorization": f"Bearer {header}.{claims}.AAAA"})
    assert response.status_code == 401 and response.json()["detail"] == "the token's signature does not match"
