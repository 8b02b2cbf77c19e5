"""`jiehu dev` refuses ports that clash before it starts anything (a trial's API port was the Temporal UI's)."""

from __future__ import annotations

from pathlib import Path

from jiehu.devstack import DevOptions, _port_clash


def options(api: int, temporal: int, pg: int = 5432) -> DevOptions:
    return DevOptions(data_dir=Path("/nonexistent"), api_port=api, temporal_port=temporal, pg_port=pg,
                      policy="fast", dept_workers=[], jwt_secret="x", sdk_metrics_port=api + 1)


def test_the_temporal_ui_port_is_checked_against_the_api_port() -> None:
    assert "Temporal UI" in (_port_clash(options(8400, 7400)) or "")
    assert _port_clash(options(8000, 7233)) is None
    assert "--pg-port" in (_port_clash(options(8000, 7233, pg=8001)) or "")
