"""`jiehu dev`: the whole stack in one command, embedded (no Docker, no system services)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import structlog
import uvicorn

from api.auth import issue_token
from api.main import create_app
from api.routes.console import console_dist
from config.reference_data import DEMO_ORG, load_scoring
from config.settings import Settings
from domain.enums import Role
from eventstore.evaluation_projection import run_projector
from eventstore.migrate import migrate
from eventstore.pool import connect, create_pool
from org.loader import load_org_file
from org.model import OrgTree
from org.repository import load_org, org_is_empty, save_org
from services.gauges import OrgLevels, refresh_gauges
from stack.department_workers import WebhookWorkers
from stack.embedded import EmbeddedPostgres, TemporalDevServer, cmdline, pid_alive, terminate
from stack.workers import (
    department_worker,
    ensure_monthly_close,
    ensure_visit_days,
    notifications,
    petition_worker,
)
from workflows.connection import connect_temporal

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DevOptions:
    data_dir: Path
    api_port: int
    temporal_port: int
    pg_port: int
    policy: str
    dept_workers: list[str]
    jwt_secret: str
    sdk_metrics_port: int


def _port_clash(options: DevOptions) -> str | None:
    """Two of the stack's servers asked to listen on one port (the Temporal UI takes the Temporal port
    + 1000): say which, before anything starts."""
    ports = {"--api-port": options.api_port, "the SDK metrics (API port + 1)": options.sdk_metrics_port,
             "--temporal-port": options.temporal_port, "the Temporal UI (Temporal port + 1000)":
             options.temporal_port + 1000, "--pg-port": options.pg_port}
    seen: dict[int, str] = {}
    for name, port in ports.items():
        if port in seen:
            return f"{seen[port]} and {name} are both {port}; choose other ports"
        seen[port] = name
    return None


def run_dev(options: DevOptions) -> None:
    if clash := _port_clash(options):
        raise SystemExit(f"jiehu dev: {clash}")
    started = time.monotonic()
    options.data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(options.data_dir / ".lock", "w")  # noqa: SIM115 - held for the life of the stack
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"jiehu dev: {options.data_dir} is in use by another jiehu dev (still running or "
                         "still stopping); wait for it, or use another --data-dir") from None
    postgres = EmbeddedPostgres(options.data_dir / "postgres", options.pg_port)
    temporal = TemporalDevServer(options.data_dir / "temporal", options.temporal_port, options.temporal_port + 1000)
    leftovers = _stop_leftovers(options.data_dir, postgres, temporal)
    if leftovers:
        print(f"jiehu dev: a previous jiehu dev on {options.data_dir} ended without stopping its servers; "
              f"stopped {leftovers}", flush=True)
    failure = None
    try:
        postgres.start()
        temporal.start()
        _write_stack_file(options, postgres, temporal)
        settings = Settings(database_url=postgres.url(), temporal_address=temporal.address, policy=options.policy,
                            api_port=options.api_port, jwt_secret=options.jwt_secret,
                            console_url=f"http://127.0.0.1:{options.api_port}",
                            temporal_sdk_metrics=f"127.0.0.1:{options.sdk_metrics_port}")
        asyncio.run(_serve(settings, options, temporal, started))
    except (RuntimeError, TimeoutError) as error:  # a server that would not start: say why in one line
        failure = str(error)
    except KeyboardInterrupt:  # Ctrl-C before the stack was up
        pass
    finally:
        stopped = [f"Temporal (pid {pid})" for pid in [temporal.stop()] if pid]
        stopped += [f"PostgreSQL (pid {pid})" for pid in [postgres.stop()] if pid]
        (options.data_dir / STACK_FILE).unlink(missing_ok=True)
        print(f"jiehu dev: stopped {' and '.join(stopped) if stopped else 'nothing (no server was running)'}",
              flush=True)
    if failure:
        raise SystemExit(f"jiehu dev: could not start: {failure}")


STACK_FILE = "stack.json"  # what the running stack started, for whoever finds it left over


def _write_stack_file(options: DevOptions, postgres: EmbeddedPostgres, temporal: TemporalDevServer) -> None:
    stack = {"owner_pid": os.getpid(),
             "postgres": {"pid": postgres.running_pid(), "port": postgres.port, "data_dir": str(postgres.data_dir)},
             "temporal": {"pid": temporal.pid, "port": temporal.port, "db_file": str(temporal.db_file)},
             "api_port": options.api_port}
    (options.data_dir / STACK_FILE).write_text(json.dumps(stack, indent=2))


def _stop_leftovers(data_dir: Path, postgres: EmbeddedPostgres, temporal: TemporalDevServer) -> str:
    """Servers of this data dir still running after their jiehu dev died (kill -9): we hold the data
    dir's lock, so nobody owns them. Stops them and says which, or '' when there were none. Only
    processes on this data dir's files are touched (PostgreSQL's postmaster.pid and command line,
    Temporal's --db-filename); the pids in stack.json are checked the same way."""
    stopped = []
    recorded: dict = {}
    with contextlib.suppress(OSError, ValueError):
        recorded = json.loads((data_dir / STACK_FILE).read_text())
    candidates = set(temporal.leftover_pids())
    pid = (recorded.get("temporal") or {}).get("pid")
    if isinstance(pid, int) and pid_alive(pid) and str(temporal.db_file) in cmdline(pid):
        candidates.add(pid)
    for pid in sorted(candidates):
        terminate(pid)
        stopped.append(f"Temporal (pid {pid})")
    if postgres.running_pid() is not None:
        pid = postgres.stop()
        stopped.append(f"PostgreSQL (pid {pid})")
    (data_dir / STACK_FILE).unlink(missing_ok=True)
    return " and ".join(stopped)


async def _serve(settings: Settings, options: DevOptions, temporal: TemporalDevServer, started: float) -> None:
    conn = await connect(settings.database_url)
    try:
        await migrate(conn)
        if await org_is_empty(conn):
            await save_org(conn, load_org_file(Path(str(DEMO_ORG))))
            log.info("loaded the Jining demo org")
    finally:
        await conn.close()
    pool = await create_pool(settings.database_url)
    client = await _connect_with_retry(settings)
    await ensure_monthly_close(client, settings.task_queue)
    await ensure_visit_days(client, settings.task_queue)
    levels = OrgLevels()
    workers = [petition_worker(client, pool, settings.task_queue, load_scoring(settings.scoring), levels)]
    workers += [department_worker(client, code, pool=pool) for code in options.dept_workers]
    webhooks = WebhookWorkers(client, pool, settings)  # departments whose org data says `delivery: webhook`
    # who is told what: one line per delivery in this output (no endpoint configured: the log channel)
    notifier, delivery_worker, channels = notifications(client, pool, settings)
    workers.append(delivery_worker)
    # one process: the worker's Temporal runtime serves the SDK metrics, the API's must not bind them again
    app = create_app(settings.model_copy(update={"temporal_sdk_metrics": ""}), dev_tokens=True)  # the role picker
    server = uvicorn.Server(uvicorn.Config(app, host=settings.api_host, port=settings.api_port,
                                           log_level="warning"))
    server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]  # we handle Ctrl-C below
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(w.run()) for w in workers] + [asyncio.create_task(server.serve())]
    tasks.append(asyncio.create_task(run_projector(pool, stop)))
    tasks.append(asyncio.create_task(webhooks.run(stop)))
    tasks.append(asyncio.create_task(refresh_gauges(pool, client, levels, stop, interval=5)))
    tasks.append(asyncio.create_task(notifier.run(stop)))
    while not server.started:  # uvicorn offers no event to wait on
        await asyncio.sleep(0.05)
    departments = department_lines(await load_org(pool), settings, options.dept_workers,
                                   f"http://127.0.0.1:{settings.api_port}")
    _banner(settings, options, temporal, time.monotonic() - started, departments)
    await stop.wait()
    server.should_exit = True
    for worker in workers:
        await worker.shutdown()
    for task in tasks:
        with contextlib.suppress(Exception):
            await task
    await channels.aclose()
    await pool.close()


async def _connect_with_retry(settings: Settings):  # noqa: ANN202
    for _ in range(60):
        try:
            return await connect_temporal(settings.temporal_address, settings.temporal_namespace,
                                          settings.temporal_sdk_metrics)
        except RuntimeError as error:
            if "metrics" in str(error).lower() or "address" in str(error).lower():
                raise  # the SDK metrics port is taken: retrying will not help
            await asyncio.sleep(0.5)
    return await connect_temporal(settings.temporal_address, settings.temporal_namespace,
                                  settings.temporal_sdk_metrics)


CONTRACT_PAGE = "docs/department-contract.md"


def department_lines(org: OrgTree, settings: Settings, dept_workers: list[str], api: str) -> list[str]:
    """The banner's lines on district departments: which are served by a webhook (and whether jiehu holds
    the secret that signs their orders), which by a worker, and where the contract of their systems is."""
    lines = []
    for code, unit in sorted(org.units.items()):
        system = unit.system
        if system is None or system.delivery != "webhook":
            continue
        key = system.keys[0] if system.keys else ""
        missing = "" if key in settings.department_keys.get(code, {}) else \
            f"  (no secret for key {key!r} in JIEHU_DEPARTMENT_KEYS: its orders wait)"
        lines.append(f"    {code} ({unit.name}): webhook {system.url}{missing}")
    for code in dept_workers:
        lines.append(f"    {code}: jiehu dept-worker (--dept-worker), orders into department_inbox")
    if not lines:
        lines.append("    none served by a webhook or worker: every department works in the API (org data: "
                     "department_systems)")
    return [*lines, f"    connecting a department's system: {CONTRACT_PAGE} (callback schema: {api}/docs#/departments)"]


def _banner(settings: Settings, options: DevOptions, temporal: TemporalDevServer, seconds: float,
            departments: list[str]) -> None:
    api = f"http://127.0.0.1:{settings.api_port}"
    env = f"JIEHU_DATABASE_URL={settings.database_url} JIEHU_TEMPORAL_ADDRESS={settings.temporal_address}"
    jiehu = f"{sys.executable} -m jiehu"
    admin = issue_token(options.jwt_secret, subject="admin", name="管理员", role=Role.ADMIN, unit="", hours=24 * 30)
    console_note = "" if (console_dist(settings) / "index.html").is_file() else \
        "; not built yet: cd console && npm ci && npm run build"
    print(f"""
jiehu dev is up in {seconds:.1f}s (policy: {settings.policy}, data: {options.data_dir})
  Console      {api}/console/#token={admin}
               (signed in as the admin; 切换角色 picks any role and unit{console_note})
  API docs     {api}/docs   (Authorize with a token below)
  Temporal UI  http://127.0.0.1:{temporal.ui_port}
  Metrics      {api}/metrics (jiehu) and http://{settings.temporal_sdk_metrics}/metrics (Temporal SDK)
  PostgreSQL   {settings.database_url}
  Admin token (30 days):
    {admin}
  A token for any role and unit:
    {jiehu} token --data-dir {options.data_dir} --role grid_worker --unit rc-yuehe-taibai-g1
  Report a petition as that grid worker:
    T=$({jiehu} token --data-dir {options.data_dir} --role grid_worker --unit rc-yuehe-taibai-g1)
    curl -s -X POST {api}/v1/petitions -H "authorization: Bearer $T" -H 'content-type: application/json' \\
      -d '{{"category": "sanitation", "description": "小区门口垃圾堆积", "grid_code": "rc-yuehe-taibai-g1"}}'
  The jiehu commands (simulate-month, audit verify, projections …) on this stack, in another shell:
    export {env}
  Departments (who takes their work orders):
{chr(10).join(departments)}
  A department's worker, in another shell:
    {env} {jiehu} dept-worker --dept rencheng-urban-management
Ctrl-C stops everything.""", flush=True)
