"""Run the benchmark on a scratch embedded stack and report figures (and a JSON file)."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from api.main import create_app
from benchmarks.baselines import eventsourcing_recorder, raw_inserts, store_appends
from benchmarks.cadres import Cadres, Tally, pick_kind
from benchmarks.ceiling import bare_ceiling, jiehu_ceiling
from config.reference_data import DEMO_ORG
from config.settings import Settings
from eventstore.evaluation_projection import lag as evaluation_lag
from eventstore.evaluation_projection import run_projector
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from eventstore.store import count_events
from org.loader import load_org_file
from org.repository import save_org
from stack.embedded import EmbeddedPostgres, TemporalDevServer, free_port
from stack.workers import petition_worker
from workflows.connection import connect_temporal

SECRET = "bench-secret-0123456789abcdef0123456789"
CONCURRENCY, CEILING_S = 16, 20.0  # cadres working back to back for the saturation ceiling


def run_bench(duration: float, rate: float, json_path: Path | None, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="jiehu-bench-") as scratch:
        postgres = EmbeddedPostgres(Path(scratch) / "pg", free_port())
        temporal = TemporalDevServer(Path(scratch) / "temporal", free_port(), None)
        postgres.start()
        temporal.start()
        try:
            result = asyncio.run(_bench(postgres, temporal, duration, rate, seed))
        finally:
            temporal.stop()
            postgres.stop()
    _print(result)
    if json_path:
        json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        print(f"results written to {json_path}")
    return result


async def _bench(postgres: EmbeddedPostgres, temporal: TemporalDevServer, duration: float, rate: float,
                 seed: int) -> dict[str, Any]:
    pool = await create_pool(postgres.url(), max_size=20)
    async with pool.acquire() as conn:
        await migrate(conn)
        await save_org(conn, load_org_file(Path(str(DEMO_ORG))))
    print("baselines: raw single-row inserts, jiehu appends (without and with the read-model row) and the "
          "eventsourcing library's recorder, 8 writers, 5 s each ...", flush=True)
    raw = await raw_inserts(pool, 8, 5)
    appends = await store_appends(pool, 8, 5, with_row=False)
    appends_with_row = await store_appends(pool, 8, 5, with_row=True)
    recorder = await asyncio.to_thread(eventsourcing_recorder, "127.0.0.1", postgres.port, "jiehu", 8, 5)
    client = await connect_temporal(temporal.address)
    settings = Settings(database_url=postgres.url(), temporal_address=temporal.address, policy="fast",
                        jwt_secret=SECRET, intake_per_minute=0)  # measures capacity: no per-client limit
    app = create_app(settings)
    processes = _processes(postgres, temporal)
    tally, rng = Tally(), random.Random(seed)
    async with petition_worker(client, pool, settings.task_queue), app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                     timeout=60) as http:
            cadres = Cadres(http, SECRET, tally)
            events_before = await count_events(pool)
            cpu_before = {name: _cpu(procs) for name, procs in processes.items()}
            peak = {name: 0 for name in processes}
            stop = asyncio.Event()
            lister = asyncio.create_task(cadres.list_queries(stop))
            projector = asyncio.create_task(run_projector(pool, stop))  # as the worker runs it
            lag_seen: list[dict[str, float]] = []
            began, loops, next_progress = time.perf_counter(), [], time.perf_counter() + 5
            while (elapsed := time.perf_counter() - began) < duration:
                loops.append(asyncio.create_task(cadres.petition(pick_kind(rng))))
                for name, procs in processes.items():
                    peak[name] = max(peak[name], _rss(procs))
                if time.perf_counter() >= next_progress:
                    async with pool.acquire() as conn:
                        lag_seen.append(await evaluation_lag(conn))
                    print(f"  {elapsed:5.0f}s reported {len(loops)}, closed {sum(tally.closed.values())}, "
                          f"failed {sum(tally.failed.values())}", flush=True)
                    next_progress += 5
                await asyncio.sleep(rng.expovariate(rate))
            await asyncio.wait(loops, timeout=90)
            stop.set()
            await lister
            await projector
            seconds = time.perf_counter() - began
            events = await count_events(pool) - events_before
            cpu = {name: _cpu(procs) - cpu_before[name] for name, procs in processes.items()}
            history = await _history_lengths(client, tally.closed_ids[:20])
            print(f"ceiling: {CONCURRENCY} cadres back to back, then bare Temporal, {CEILING_S:.0f} s each ...",
                  flush=True)
            saturated = await jiehu_ceiling(Cadres(http, SECRET, Tally()), CONCURRENCY, CEILING_S)
            bare = await bare_ceiling(client, CONCURRENCY, CEILING_S)
    await pool.close()
    closed = sum(tally.closed.values())
    return {
        "duration_s": round(seconds, 1), "target_rate_per_s": rate,
        "reported": len(loops), "closed": closed, "failed": sum(tally.failed.values()),
        "closed_by_kind": dict(tally.closed), "failed_by_kind": dict(tally.failed),
        "closed_loops_per_s": round(closed / seconds, 2),
        "latency_ms": {op: _percentiles(values) for op, values in sorted(tally.latencies.items())},
        "events_appended_per_s": round(events / seconds, 1),
        "projection_lag": {
            "petitions": "none: the read-model row is written in the append statement",
            "evaluation_max_events_behind": max((lag["events"] for lag in lag_seen), default=0),
            "evaluation_max_seconds_behind": round(max((lag["seconds"] for lag in lag_seen), default=0.0), 2),
        },
        "history_events_per_petition": _summary(history),
        "cpu_seconds": {name: round(value, 1) for name, value in cpu.items()},
        "peak_rss_mb": {name: round(value / 2**20, 1) for name, value in peak.items()},
        "ceiling_closed_loops_per_s": round(saturated, 2), "baseline_bare_temporal_loops_per_s": round(bare, 2),
        "ratio_ceiling_to_bare_temporal": round(saturated / bare, 2) if bare else None,
        "baseline_raw_inserts_per_s": round(raw), "baseline_jiehu_appends_per_s": round(appends),
        "ratio_appends_to_raw": round(appends / raw, 2) if raw else None,
        "baseline_jiehu_appends_with_row_per_s": round(appends_with_row),
        "baseline_eventsourcing_recorder_per_s": round(recorder) if recorder else None,
        "ratio_appends_to_eventsourcing": round(appends / recorder, 2) if recorder else None,
        "ratio_appends_with_row_to_raw": round(appends_with_row / raw, 2) if raw else None,
    }


def _processes(postgres: EmbeddedPostgres, temporal: TemporalDevServer) -> dict[str, list[psutil.Process]]:
    me = psutil.Process()
    pg_pid = int((postgres.data_dir / "postmaster.pid").read_text().split()[0])
    pg = psutil.Process(pg_pid)
    tp = psutil.Process(temporal._process.pid) if temporal._process else None
    return {"jiehu (api + worker)": [me], "postgresql": [pg, *pg.children()], "temporal": [tp] if tp else []}


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


async def _history_lengths(client: Any, petition_ids: list[str]) -> list[int]:
    lengths = []
    for pid in petition_ids:
        description = await client.get_workflow_handle(pid).describe()
        lengths.append(description.raw_description.workflow_execution_info.history_length)
    return lengths


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(v * 1000 for v in values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def _summary(values: list[int]) -> dict[str, float]:
    return {"n": len(values), "median": statistics.median(values), "max": max(values)} if values else {"n": 0}


def _print(r: dict[str, Any]) -> None:
    print(f"\njiehu bench: {r['duration_s']}s at a target of {r['target_rate_per_s']}/s (fast policy)")
    print(f"  closed loops        {r['closed']} of {r['reported']} reported, {r['failed']} failed "
          f"-> {r['closed_loops_per_s']}/s  {r['closed_by_kind']}")
    print(f"  event appends       {r['events_appended_per_s']}/s during the run")
    print(f"  ceiling             {r['ceiling_closed_loops_per_s']} direct loops/s vs bare Temporal "
          f"{r['baseline_bare_temporal_loops_per_s']}/s (ratio {r['ratio_ceiling_to_bare_temporal']})")
    print(f"  append capacity     {r['baseline_jiehu_appends_per_s']}/s events only, "
          f"{r['baseline_jiehu_appends_with_row_per_s']}/s with the read-model row, vs raw inserts "
          f"{r['baseline_raw_inserts_per_s']}/s (ratios {r['ratio_appends_to_raw']} / "
          f"{r['ratio_appends_with_row_to_raw']}), 8 writers")
    if r["baseline_eventsourcing_recorder_per_s"]:
        print(f"  eventsourcing lib   {r['baseline_eventsourcing_recorder_per_s']}/s with 8 writers "
              f"(jiehu events-only appends are {r['ratio_appends_to_eventsourcing']}x that)")
    print(f"  projection lag      evaluation: at most {r['projection_lag']['evaluation_max_events_behind']} events, "
          f"{r['projection_lag']['evaluation_max_seconds_behind']} s behind (sampled every 5 s); petitions: none")
    print(f"  history per petition {r['history_events_per_petition']}")
    print("  latency ms           n     p50     p95     p99")
    for op, p in r["latency_ms"].items():
        print(f"    {op:16} {p['n']:6} {p['p50']:7} {p['p95']:7} {p['p99']:7}")
    print(f"  cpu seconds  {r['cpu_seconds']}")
    print(f"  peak rss MB  {r['peak_rss_mb']}")
