"""`kill -9` of `jiehu dev` leaves PostgreSQL and Temporal running; the next start stops them, says
so in one line, and comes up on its own servers; Ctrl-C then leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from stack.embedded import pid_alive
from tests.e2e.test_dev_stack import REPORT, DevStack

pytestmark = pytest.mark.e2e


def wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not pid_alive(pid)


def test_a_killed_dev_stack_is_cleaned_up_by_the_next_start(tmp_path: Path) -> None:
    stack = DevStack(tmp_path / "data")
    stack.start()
    recorded = json.loads((stack.data_dir / "stack.json").read_text())
    pg_pid, temporal_pid = recorded["postgres"]["pid"], recorded["temporal"]["pid"]
    assert pid_alive(pg_pid) and pid_alive(temporal_pid)

    assert stack.process is not None
    os.kill(stack.process.pid, signal.SIGKILL)
    stack.process.wait(30)
    time.sleep(1)
    # the leftovers the issue describes: both servers outlive their jiehu dev
    assert pid_alive(pg_pid) and pid_alive(temporal_pid)
    assert (stack.data_dir / "postgres" / "postmaster.pid").exists()

    offset = stack.output.stat().st_size
    stack.start()
    said = stack.output.read_bytes()[offset:].decode(errors="replace")
    assert "Traceback" not in said, said
    lines = [line for line in said.splitlines() if "ended without stopping" in line]
    assert len(lines) == 1, said
    assert f"Temporal (pid {temporal_pid})" in lines[0] and f"PostgreSQL (pid {pg_pid})" in lines[0], said
    assert not pid_alive(pg_pid) and not pid_alive(temporal_pid)
    now = json.loads((stack.data_dir / "stack.json").read_text())
    new_pg, new_temporal = now["postgres"]["pid"], now["temporal"]["pid"]
    assert {new_pg, new_temporal}.isdisjoint({pg_pid, temporal_pid}) and pid_alive(new_temporal)

    try:
        with httpx.Client(base_url=stack.api, timeout=30,
                          headers=stack.token("grid_worker", REPORT["grid_code"])) as api:
            assert api.get("/readyz").status_code == 200
            reported = api.post("/v1/petitions", json=REPORT)
            assert reported.status_code == 201, reported.text
            pid = reported.json()["id"]
            assert api.post(f"/v1/petitions/{pid}/accept").status_code == 200
    finally:
        offset = stack.output.stat().st_size
        assert stack.stop() == 0
    said = stack.output.read_bytes()[offset:].decode(errors="replace")
    assert f"stopped Temporal (pid {new_temporal}) and PostgreSQL (pid {new_pg})" in said, said
    assert not (stack.data_dir / "postgres" / "postmaster.pid").exists()
    assert wait_gone(new_temporal) and wait_gone(new_pg)
    assert not (stack.data_dir / "stack.json").exists()
