"""Metrics after a petition's loop, promtool's verdict on them, and what the logs carry."""

from __future__ import annotations

import asyncio
import re
import subprocess

import structlog
from prometheus_client.parser import text_string_to_metric_families

from observability.logging import mask_phone_numbers
from services.gauges import OrgLevels, refresh_once
from stack.workers import department_worker
from tests.integration.api_client import REPORT
from tests.tools import require_tool


def samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def value(found: dict[str, list], name: str, **labels: str) -> float:
    return sum(s.value for s in found.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items()))


async def test_a_loop_shows_in_the_metrics_and_promtool_accepts_them(as_, http, pool, temporal_env):
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    before = samples((await http.get("/metrics")).text)
    created = await grid.post("/v1/petitions", REPORT)
    assert created.status_code == 201 and re.fullmatch(r"[0-9a-f]{32}", created.headers["x-request-id"])
    pid = created.json()["id"]
    for action, body in (("accept", {}), ("resolve", {"result": "已清运"})):
        assert (await grid.post(f"/v1/petitions/{pid}/{action}", body)).status_code == 200
    assert (await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "satisfied"})).status_code == 200
    async with department_worker(temporal_env.client, "qufu-water", pool=pool):
        await asyncio.sleep(1)  # it has polled at least once
        await refresh_once(pool, temporal_env.client, OrgLevels())

    response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("jiehu_petitions_reported_total", channel="grid_worker", category="sanitation") == 1
    assert grew("jiehu_return_visits_total", outcome="satisfied") == 1
    assert grew("jiehu_petitions_closed_total") == 1
    assert grew("jiehu_events_appended_total") >= 7
    assert grew("jiehu_event_appends_total", result="appended") == 4
    assert grew("jiehu_time_to_accept_seconds_count") >= 1 and grew("jiehu_time_to_resolve_seconds_count") >= 1
    assert grew("jiehu_http_request_duration_seconds_count", route="/v1/petitions/{petition_id}/accept",
                method="POST", status="200") == 1
    assert not any("JH" in s.labels.get("route", "") for s in after["jiehu_http_request_duration_seconds_count"])
    assert "jiehu_petitions_open" in after and "jiehu_projection_lag_events" in after
    assert value(after, "jiehu_department_queue_pollers", department="qufu-water") >= 1
    assert value(after, "jiehu_department_queue_pollers", department="qufu-audit") == 0  # no test serves it
    assert value(after, "jiehu_gauges_refreshed_timestamp_seconds") > 0

    checked = subprocess.run([require_tool("promtool", "prometheus"), "check", "metrics"], input=response.content,  # noqa: ASYNC221 - a short check
                             capture_output=True)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


async def test_request_and_activity_log_lines_carry_their_context(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:
        created = await grid.post("/v1/petitions", REPORT)
    request_id, pid = created.headers["x-request-id"], created.json()["id"]
    access = [line for line in lines if line["event"] == "request"]
    assert access and access[-1]["request_id"] == request_id
    assert access[-1]["actor"] == "grid_worker@rc-yuehe-taibai-g1"
    assert access[-1]["route"] == "/v1/petitions" and access[-1]["status"] == 201
    appended = [line for line in lines if line["event"] == "events appended"]
    assert appended and appended[0]["petition_id"] == pid and appended[0]["workflow_id"] == pid
    assert appended[0]["request_id"] == request_id  # carried as the Temporal update id
    assert appended[0]["actor"] == "grid_worker@rc-yuehe-taibai-g1"


def test_no_phone_number_survives_a_log_line():
    line = mask_phone_numbers(None, "info", {
        "event": "请联系13805371234处理", "phone": "13912345678", "nested": {"a": ["15000001111"]},
        "order": "JH20261128-13805371234X", "count": 12345678901})
    assert line["event"] == "请联系138****1234处理" and line["phone"] == "139****5678"
    assert line["nested"] == {"a": ["150****1111"]}
    assert "13805371234" not in str(line) and line["count"] == 12345678901
