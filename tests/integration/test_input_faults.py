"""Input faults a reviewer found: impossible years, unstorable text without a field name, and an
oversize body sent chunked. Each answers a 4xx that names what is wrong, never a 500 or a 400."""

from __future__ import annotations

import json

import pytest

from tests.integration.api_client import REPORT

ADMIN = ("admin", "")


@pytest.mark.parametrize(
    ("method", "path", "params_or_body", "field"),
    [
        ("get", "/v1/scorecards", {"period": "0000"}, "period"),
        ("get", "/v1/scorecards", {"period": "0000", "format": "csv"}, "period"),
        ("get", "/v1/rankings", {"period": "0000", "level": "street"}, "period"),
        ("get", "/v1/insight", {"period": "0000"}, "period"),
        ("get", "/v1/scorecards/rc-yuehe/petitions", {"period": "0000"}, "period"),
        ("post", "/v1/scorecards/publish", {"period": "0000"}, "period"),
        ("post", "/v1/scorecards/publish", {"period": "9999-12"}, "period"),
        ("post", "/v1/insight/what-if", {"period": "0000", "policy": "fast"}, "period"),
        ("post", "/v1/property-rounds", {"quarter": "0000-Q1"}, "quarter"),
        ("post", "/v1/property-rounds", {"quarter": "9999-Q4"}, "quarter"),
    ],
)
async def test_a_period_in_an_impossible_year_is_a_422_naming_the_field(as_, method, path, params_or_body, field):
    admin = as_(*ADMIN)
    if method == "get":
        response = await admin.get(path, params=params_or_body)
    else:
        response = await admin.post(path, params_or_body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "10000" not in response.text


@pytest.mark.parametrize("text", ["垃圾\x00堆积", "垃圾\ud800堆积"])
async def test_unstorable_text_in_a_body_names_its_field(as_, text):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    # httpx cannot encode a lone surrogate as JSON text; send the JSON escape instead
    escaped = text.replace("\x00", "\\u0000").replace("\ud800", "\\ud800")
    body = b'{"category": "sanitation", "grid_code": "rc-yuehe-taibai-g1", "description": "' + escaped.encode() + b'"}'
    response = await grid.http.post("/v1/petitions", content=body,
                                    headers=grid.headers | {"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["description"]


async def test_an_oversize_body_sent_chunked_is_a_413(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    payload = ('{"category": "sanitation", "grid_code": "rc-yuehe-taibai-g1", "description": "%s"}'
               % ("x" * 200_000)).encode()

    async def chunks():
        for start in range(0, len(payload), 8192):
            yield payload[start:start + 8192]

    response = await grid.http.post("/v1/petitions", content=chunks(),
                                    headers=grid.headers | {"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "body_too_large"


async def test_a_small_body_sent_chunked_is_still_taken(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")

    payload = json.dumps(REPORT).encode()

    async def chunks():
        yield payload[:10]
        yield payload[10:]

    response = await grid.http.post("/v1/petitions", content=chunks(),
                                    headers=grid.headers | {"content-type": "application/json"})
    assert response.status_code == 201, response.text
