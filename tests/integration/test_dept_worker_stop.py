"""`jiehu dept-worker` waits for an unreachable Temporal and stops promptly on Ctrl-C meanwhile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from stack.embedded import free_port


def test_dept_worker_stops_on_ctrl_c_while_temporal_is_down(postgres, tmp_path):
    output = tmp_path / "dept-worker.log"
    with open(output, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jiehu", "dept-worker", "--dept", "rencheng-water"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "JIEHU_DATABASE_URL": postgres.url(),
                 "JIEHU_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "JIEHU_TEMPORAL_SDK_METRICS": ""})
    try:
        deadline = time.monotonic() + 60
        while "waiting for it" not in output.read_text(errors="replace"):
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.2)
        time.sleep(1)  # inside its wait, between attempts or in one
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0, output.read_text()
        assert time.monotonic() - stopped_at < 10
        text = output.read_text()
        assert "stopped" in text and "Traceback" not in text, text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
