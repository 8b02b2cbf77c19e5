"""Schemathesis fuzzes every operation of a running `jiehu dev` from its OpenAPI schema: no 5xx, ever."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_dev_stack import DevStack

pytestmark = pytest.mark.e2e


def test_no_input_gets_a_server_error(tmp_path: Path) -> None:
    stack = DevStack(tmp_path / "data")
    stack.start()
    try:
        admin = stack.token("admin", "")["authorization"]
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", f"{stack.api}/openapi.json",
             "-H", f"Authorization: {admin}", "--checks", "not_a_server_error", "--max-examples", "25",
             "--workers", "1", "--seed", "20261128", "--max-time", "90", "--output-truncate", "true"],
            capture_output=True, text=True, timeout=300,
        )
        summary = run.stdout[run.stdout.find("SUMMARY"):]
        print(summary)
        assert run.returncode == 0, run.stdout[-6000:]
        assert "passed" in summary
    finally:
        stack.stop()
