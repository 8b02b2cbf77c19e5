"""The deployment files are valid: alert rules load and pass their unit tests, the Prometheus
config loads, the dashboards are Grafana JSON that use jiehu's metrics, compose is accepted."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from observability import metrics
from tests.tools import require_tool

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"


def run(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_alert_rules_load_and_their_unit_tests_pass():
    promtool = require_tool("promtool", "prometheus")
    assert "SUCCESS: 13 rules found" in run(promtool, "check", "rules", "deploy/prometheus/rules.yml")
    assert "SUCCESS" in run(promtool, "test", "rules", "rules_test.yml", cwd=DEPLOY / "prometheus")


def test_every_alert_has_a_unit_test():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    tested = (DEPLOY / "prometheus" / "rules_test.yml").read_text()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert f"alertname: {rule['alert']}" in tested, rule["alert"]


def test_the_prometheus_config_loads(tmp_path):
    promtool = require_tool("promtool", "prometheus")
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    (tmp_path / "prometheus.yml").write_text(config.replace("/etc/prometheus/rules.yml",
                                                            str(DEPLOY / "prometheus" / "rules.yml")))
    run(promtool, "check", "config", str(tmp_path / "prometheus.yml"))
    run(promtool, "check", "config", "deploy/prometheus/dev.yml")  # the README's Prometheus on jiehu dev


@pytest.mark.parametrize("board", sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")), ids=lambda p: p.stem)
def test_dashboards_are_grafana_json_on_real_metrics(board: Path):
    dashboard = json.loads(board.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    known = {getattr(m, "_name", "") for m in vars(metrics).values()} | {"up"}
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "prometheus" and panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = set(re.findall(r"\b(jiehu_[a-z_]+|temporal_[a-z_]+|up)\b", target["expr"]))
            assert names, target["expr"]
            for name in names:
                base = re.sub(r"_(total|bucket|count|sum)$", "", name)
                assert name.startswith("temporal_") or base in known, f"{board.stem}: unknown metric {name}"


def test_grafana_provisioning_points_at_the_dashboards():
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "jiehu.yml").read_text())
    compose = (ROOT / "docker-compose.yml").read_text()
    assert provider["providers"][0]["options"]["path"] in compose
    source = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert source["datasources"][0]["uid"] == "prometheus"


def test_docker_compose_accepts_the_file(tmp_path):
    compose = require_tool("docker-compose", "docker-compose")
    env = {**os.environ, **dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                                if line and not line.startswith("#"))}
    done = subprocess.run([compose, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], cwd=tmp_path,
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text()  # secrets live in .env


def test_the_image_copies_every_package_the_distribution_has():
    """Each top-level package of pyproject.toml's `packages.find` is copied into the image (found
    missing: `services/` after it was added, so `jiehu api` failed to start in the container)."""
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"]["find"]
    packages = {name.rstrip("*") for name in include["include"]}
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text("utf-8").splitlines()
              if line.startswith("COPY ") and len(line.split()) == 3}
    assert packages <= copied, f"add COPY lines for {sorted(packages - copied)}"
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert on_disk <= packages, f"packages missing from pyproject.toml: {sorted(on_disk - packages)}"


def test_the_image_builds_the_console_and_the_api_finds_it():
    """The web console (issue 15) is built in the image's node stage and served from where the API looks for it:
    installed with pip, the API's own folder is in site-packages, not beside console/."""
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert "RUN npm ci" in dockerfile and "RUN npm run build" in dockerfile
    assert "COPY --from=console /console/dist console/dist" in dockerfile
    assert "JIEHU_CONSOLE_DIST=/app/console/dist" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text("utf-8").split()
    assert "console/node_modules" in ignored  # the host's modules never shadow the image's own npm ci
