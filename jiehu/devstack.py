"""`jiehu dev`: the whole stack in one command, embedded (no Docker, no system services)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import structlog
import uvicorn

from api.auth import issue_token
from api.main import create_app
from domain.enums import Role
from eventstore.evaluation_projection import run_projector
from eventstore.migrate import migrate
from eventstore.pool import connect, create_pool
from jiehu.embedded import EmbeddedPostgres, TemporalDevServer
from jiehu.gauges import OrgLevels, refresh_gauges
from jiehu.reference_data import DEMO_ORG, load_scoring
from jiehu.settings import Settings
from jiehu.temporal import connect_temporal, department_worker, ensure_monthly_close, petition_worker
from org.loader import load_org_file
from org.repository import org_is_empty, save_org

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


def run_dev(options: DevOptions) -> None:
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
    try:
        postgres.start()
        temporal.start()
        settings = Settings(database_url=postgres.url(), temporal_address=temporal.address, policy=options.policy,
                            api_port=options.api_port, jwt_secret=options.jwt_secret,
                            temporal_sdk_metrics=f"127.0.0.1:{options.sdk_metrics_port}")
        asyncio.run(_serve(settings, options, temporal, started))
    finally:
        temporal.stop()
        postgres.stop()
        print("jiehu dev: stopped PostgreSQL and Temporal", flush=True)


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
    levels = OrgLevels()
    workers = [petition_worker(client, pool, settings.task_queue, load_scoring(settings.scoring), levels)]
    workers += [department_worker(client, code, pool=pool) for code in options.dept_workers]
    # one process: the worker's Temporal runtime serves the SDK metrics, the API's must not bind them again
    app = create_app(settings.model_copy(update={"temporal_sdk_metrics": ""}))
    server = uvicorn.Server(uvicorn.Config(app, host=settings.api_host, port=settings.api_port,
                                           log_level="warning"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # we handle Ctrl-C below
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(w.run()) for w in workers] + [asyncio.create_task(server.serve())]
    tasks.append(asyncio.create_task(run_projector(pool, stop)))
    tasks.append(asyncio.create_task(refresh_gauges(pool, client, levels, stop, interval=5)))
    while not server.started:  # uvicorn offers no event to wait on
        await asyncio.sleep(0.05)
    _banner(settings, options, temporal, time.monotonic() - started)
    await stop.wait()
    server.should_exit = True
    for worker in workers:
        await worker.shutdown()
    for task in tasks:
        with contextlib.suppress(Exception):
            await task
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


def _banner(settings: Settings, options: DevOptions, temporal: TemporalDevServer, seconds: float) -> None:
    api = f"http://127.0.0.1:{settings.api_port}"
    env = f"JIEHU_DATABASE_URL={settings.database_url} JIEHU_TEMPORAL_ADDRESS={settings.temporal_address}"
    jiehu = f"{sys.executable} -m jiehu"
    admin = issue_token(options.jwt_secret, subject="admin", name="管理员", role=Role.ADMIN, unit="", hours=24 * 30)
    print(f"""
jiehu dev is up in {seconds:.1f}s (policy: {settings.policy}, data: {options.data_dir})
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
  A department's worker, in another shell:
    {env} {jiehu} dept-worker --dept rencheng-urban-management
Ctrl-C stops everything.""", flush=True)
