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


def test_workers_started_while_postgresql_is_away_wait_for_it(postgres, tmp_path):
    """Found by the fault suite (a department worker restarted during PostgreSQL's crash recovery died with a
    ConnectionRefusedError traceback, and `jiehu worker` would too): both wait, saying so once; the department
    worker still stops on Ctrl-C meanwhile."""
    away = f"postgresql://postgres@127.0.0.1:{free_port()}/jiehu"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "JIEHU_DATABASE_URL": away,
           "JIEHU_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "JIEHU_TEMPORAL_SDK_METRICS": "",
           "JIEHU_METRICS_PORT": "0"}
    commands = {"worker": ["worker"], "dept-worker": ["dept-worker", "--dept", "rencheng-water"]}
    processes, outputs = {}, {}
    for name, args in commands.items():
        outputs[name] = tmp_path / f"{name}.log"
        with open(outputs[name], "wb") as log:
            processes[name] = subprocess.Popen([sys.executable, "-m", "jiehu", *args], stdout=log,
                                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 60
        for name, process in processes.items():
            while "PostgreSQL is not reachable" not in outputs[name].read_text(errors="replace"):
                assert process.poll() is None, outputs[name].read_text()
                assert time.monotonic() < deadline, outputs[name].read_text()
                time.sleep(0.2)
        time.sleep(5)  # a few tries later, both still wait
        for name, process in processes.items():
            assert process.poll() is None, outputs[name].read_text()
        processes["dept-worker"].send_signal(signal.SIGINT)
        assert processes["dept-worker"].wait(15) == 0, outputs["dept-worker"].read_text()
        for name in processes:
            text = outputs[name].read_text()
            assert text.count("PostgreSQL is not reachable") == 1 and "Traceback" not in text, text
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
