"""A real Prometheus (Debian's package) scrapes `jiehu dev`, loads jiehu's rules, and finds the key
series after a petition goes through the loop; every dashboard query evaluates."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from stack.embedded import free_port
from tests.e2e.test_dev_stack import DevStack, poll
from tests.tools import require_tool

pytestmark = pytest.mark.e2e
DEPLOY = Path(__file__).parents[2] / "deploy"
REPORT = {"category": "sanitation", "description": "小区门口垃圾堆积", "grid_code": "rc-yuehe-taibai-g1",
          "reporter_phone": "13805371234"}  # the channel follows from the reporter (a grid worker)


def dashboard_queries() -> list[str]:
    return [target["expr"] for board in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
            for panel in json.loads(board.read_text())["panels"] for target in panel["targets"]]


def test_prometheus_scrapes_jiehu_dev_and_loads_the_rules(tmp_path: Path) -> None:
    binary = require_tool("prometheus", "prometheus")
    stack = DevStack(tmp_path / "data")
    stack.start()
    prometheus = None
    try:
        grid, visitor = stack.token("grid_worker", "rc-yuehe-taibai-g1"), stack.token("return_visitor", "rencheng")
        with httpx.Client(base_url=stack.api, timeout=30) as api:
            pid = api.post("/v1/petitions", json=REPORT, headers=grid).json()["id"]
            api.post(f"/v1/petitions/{pid}/accept", json={}, headers=grid).raise_for_status()
            api.post(f"/v1/petitions/{pid}/resolve", json={"result": "已清运"}, headers=grid).raise_for_status()
            api.post(f"/v1/petitions/{pid}/return-visit", json={"outcome": "satisfied"},
                     headers=visitor).raise_for_status()

        port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(DEPLOY / "prometheus" / "rules.yml")],
            "scrape_configs": [
                {"job_name": "jiehu-api", "static_configs": [{"targets": [f"127.0.0.1:{stack.api_port}"]}]},
                {"job_name": "jiehu-temporal-sdk",
                 "static_configs": [{"targets": [f"127.0.0.1:{stack.sdk_metrics_port}"]}]},
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        prometheus = subprocess.Popen(
            [binary, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"))  # noqa: SIM115
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as prom:
            def query(expr: str) -> list:
                try:
                    body = prom.get("/api/v1/query", params={"query": expr}).json()
                except httpx.HTTPError:
                    return []
                return body["data"]["result"] if body.get("status") == "success" else []

            reported = poll(lambda: query('jiehu_petitions_reported_total{category="sanitation"}'), bool, 60)
            assert float(reported[0]["value"][1]) >= 1
            for series in ('jiehu_events_appended_total', 'jiehu_return_visits_total{outcome="satisfied"}',
                           'jiehu_petitions_open', 'jiehu_time_to_resolve_seconds_count',
                           'jiehu_http_request_duration_seconds_count{route="/v1/petitions"}',
                           'jiehu_projection_lag_seconds', 'jiehu_department_queue_pollers',
                           'temporal_workflow_task_schedule_to_start_latency_seconds_count',
                           'up{job="jiehu-api"} == 1', 'up{job="jiehu-temporal-sdk"} == 1'):
                assert poll(lambda s=series: query(s), bool, 30), series

            rules = prom.get("/api/v1/rules").json()["data"]["groups"]
            shipped = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())["groups"]
            assert {g["name"] for g in rules} == {g["name"] for g in shipped}
            loaded = [r for g in rules for r in g["rules"]]
            assert len(loaded) == sum(len(g["rules"]) for g in shipped) >= 10
            assert all(r["health"] in ("ok", "unknown") for r in loaded)

            for expr in dashboard_queries():
                body = prom.get("/api/v1/query", params={"query": expr}).json()
                assert body["status"] == "success", (expr, body)
        assert "13805371234" not in stack.output.read_text()  # the resident's phone is in no log line
    finally:
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait(30)
        stack.stop()
