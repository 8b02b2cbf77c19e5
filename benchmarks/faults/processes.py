"""The fault suite's stack: embedded PostgreSQL and Temporal (both durable on disk), and `jiehu api`,
`jiehu worker` and `jiehu dept-worker` as child processes on loopback, each one killable and restartable.

Every server listens on 127.0.0.1 on a free port; everything lives under one scratch directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from stack.embedded import EmbeddedPostgres, TemporalDevServer, free_port

DEPARTMENT = "rencheng-urban-management"  # served by `jiehu dept-worker` (orders into department_inbox)


class Child:
    """One `python -m jiehu <args>` child process with its output in `<dir>/<name>.log`."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], directory: Path) -> None:
        self.name, self.args, self.env, self.log_path = name, args, env, directory / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (it keeps running until killed or stopped)."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "jiehu", *self.args], env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def kill(self) -> None:
        """kill -9: no graceful shutdown, whatever it was doing is cut off."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def alive(self) -> bool:
        """Whether the process runs."""
        return self.process is not None and self.process.poll() is None


class FaultStack:
    """PostgreSQL, Temporal (with `--db-filename`: a restart keeps its state), the API, the petition worker and
    one department's worker, under `scratch`; `env` extra JIEHU_* settings for the children."""

    def __init__(self, scratch: Path, secret: str, hub_url: str) -> None:
        self.scratch = scratch
        self.postgres = EmbeddedPostgres(scratch / "pg", free_port())
        self.temporal = TemporalDevServer(scratch / "temporal", free_port(), None)
        self.api_port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "JIEHU_DATABASE_URL": self.postgres.url(), "JIEHU_TEMPORAL_ADDRESS": self.temporal.address,
               "JIEHU_POLICY": "fast", "JIEHU_JWT_SECRET": secret, "JIEHU_API_HOST": "127.0.0.1",
               "JIEHU_API_PORT": str(self.api_port), "JIEHU_METRICS_PORT": "0", "JIEHU_TEMPORAL_SDK_METRICS": "",
               "JIEHU_LOG_LEVEL": "WARNING", "JIEHU_NOTIFY_WEBHOOK_URL": hub_url,
               "JIEHU_NOTIFY_WEBHOOK_SECRET": "faults-hub-secret", "JIEHU_NOTIFY_MAX_BACKOFF_SECONDS": "2",
               "JIEHU_ANCHOR_SECONDS": "15", "JIEHU_DB_POOL_SIZE": "8"}
        for name in [n for n in env if n.startswith("JIEHU_") and n not in _OURS]:
            env.pop(name)  # the caller's own JIEHU_* settings do not leak into the scratch stack
        self.api = Child("api", ["api"], env, scratch)
        self.worker = Child("worker", ["worker"], env, scratch)
        self.dept_worker = Child("dept-worker", ["dept-worker", "--dept", DEPARTMENT], env, scratch)

    @property
    def base_url(self) -> str:
        """The API's base URL on loopback."""
        return f"http://127.0.0.1:{self.api_port}"

    def start_servers(self) -> None:
        """Start PostgreSQL and Temporal (the children need a migrated database first: see `start_children`)."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self.temporal.start()

    def start_children(self) -> None:
        """Start the worker, the department's worker and the API; return once the API answers /healthz."""
        self.worker.start()
        self.dept_worker.start()
        self.api.start()
        self.wait_for_api()

    def wait_for_api(self, timeout: float = 120.0) -> None:
        """Wait until the API answers `GET /healthz` (RuntimeError after `timeout` seconds or if it died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.api.alive:
                raise RuntimeError(f"the API exited; see {self.api.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"the API did not answer within {timeout:.0f}s; see {self.api.log_path}")

    def stop(self) -> None:
        """Stop everything (children first), whatever state each is in."""
        for child in (self.api, self.dept_worker, self.worker):
            with contextlib.suppress(Exception):
                child.stop()
        with contextlib.suppress(Exception):
            self.temporal.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop()


_OURS = {"JIEHU_DATABASE_URL", "JIEHU_TEMPORAL_ADDRESS", "JIEHU_POLICY", "JIEHU_JWT_SECRET", "JIEHU_API_HOST",
         "JIEHU_API_PORT", "JIEHU_METRICS_PORT", "JIEHU_TEMPORAL_SDK_METRICS", "JIEHU_LOG_LEVEL",
         "JIEHU_NOTIFY_WEBHOOK_URL", "JIEHU_NOTIFY_WEBHOOK_SECRET", "JIEHU_NOTIFY_MAX_BACKOFF_SECONDS",
         "JIEHU_ANCHOR_SECONDS", "JIEHU_DB_POOL_SIZE"}
