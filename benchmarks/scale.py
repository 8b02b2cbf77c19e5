"""The scale benchmark: a large history in the log, then rebuild, queries, and open petitions' timers.

    python -m benchmarks.scale --petitions 1000000 --timers 100000

1. Templates: `--templates` petition lives played by the pure domain on a simulated clock over the
   past year (the events a workflow records), appended through `EventStore.append` with their
   read-model rows — the real path, 8 writers.
2. Bulk: the templates cloned in SQL up to `--petitions` (new stream and event ids, the same
   events): a bulk path whose rows have the same columns and defaults as appended ones.
3. Rebuild of the read model from the whole log, exactly as `jiehu projections rebuild` does.
4. Every list and queue shape through the API (benchmarks.list_queries).
5. Timers: `--timers` open petitions whose accept deadlines fall in a window after `--lead`
   seconds; their workflows are started from snapshots (the continue-as-new path) on a Temporal
   dev server with `jiehu worker` in its own process. Prints the start rate, the worker's memory,
   and how late each deadline fired (from the events the workflows appended).

Scratch embedded PostgreSQL and Temporal; figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import psutil

from benchmarks.list_queries import time_queries
from config.reference_data import DEMO_ORG, load_policy
from domain.enums import Clock, Level, Urgency
from domain.events import event_data
from domain.model import PetitionState
from domain.policy import Span
from domain.timers import due_item
from evaluation.lives import Life, live, pick
from eventstore.migrate import migrate
from eventstore.petition_projection import petition_row, rebuild
from eventstore.pool import create_pool
from eventstore.store import EventStore, NewEvent
from org.loader import load_org_file
from org.model import OrgTree
from org.repository import save_org
from stack.embedded import EmbeddedPostgres, TemporalDevServer, free_port
from workflows.connection import connect_temporal
from workflows.inputs import PetitionInput
from workflows.petition import PetitionWorkflow

CLONE = """
INSERT INTO events (stream_id, version, event_id, type, data, metadata, occurred_at)
SELECT e.stream_id || '-' || k, e.version, gen_random_uuid(), e.type,
       CASE WHEN e.type = 'PetitionReported'
            THEN jsonb_set(e.data, '{petition_id}', to_jsonb(e.stream_id || '-' || k)) ELSE e.data END,
       e.metadata, e.occurred_at
FROM generate_series($1::int, $2::int) AS k
CROSS JOIN (SELECT * FROM events WHERE stream_id LIKE 'BT%' AND stream_id NOT LIKE 'BT%-%') AS e
ORDER BY k, e.stream_id, e.version
"""

URGENCIES = (Urgency.NORMAL,) * 8 + (Urgency.URGENT,) * 2


def grids_of(org: OrgTree) -> list[str]:
    return sorted(u.code for u in org.units.values() if u.kind.value == "grid")


async def append_lives(pool: asyncpg.Pool, lives: list[Life], writers: int = 8) -> float:
    """Append every life's events with its row through the real append path; returns appends/s."""
    store, queue = EventStore(pool), list(lives)

    async def writer() -> None:
        while queue:
            life = queue.pop()
            events = [NewEvent(event_id=str(uuid.uuid4()), type=e.type, data=event_data(e), occurred_at=e.at)
                      for e in life.events]
            await store.append(life.state.id, 0, events, petition_row(life.state, life.events[-1].at.isoformat()))

    began = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return len(lives) / (time.perf_counter() - began)


async def seed(pool: asyncpg.Pool, org: OrgTree, petitions: int, templates: int, rng: random.Random) -> None:
    policy, grids, categories = load_policy("default"), grids_of(org), sorted(org.categories)
    now = datetime.now(UTC)
    began = time.perf_counter()
    lives = []
    for i in range(templates):
        category = rng.choice(categories)
        urgency = rng.choice(URGENCIES)
        life = Life(f"BT{i:05d}", org, policy.rules_for(category, urgency), "default",
                    now - timedelta(days=rng.uniform(14, 365)), rng.choice(grids), category, urgency)
        lives.append(live(life, pick(rng), org, rng))
    events = sum(len(life.events) for life in lives)
    print(f"templates: {templates:,} lives, {events:,} events played by the domain in "
          f"{time.perf_counter() - began:.1f}s", flush=True)
    rate = await append_lives(pool, lives)
    print(f"  appended through EventStore.append with rows: {rate:,.0f} petitions/s "
          f"({rate * events / templates:,.0f} events/s), 8 writers", flush=True)
    clones = max(0, petitions // templates - 1)
    began, step = time.perf_counter(), max(1, 200_000 // templates)
    async with pool.acquire() as conn:
        for low in range(1, clones + 1, step):
            await conn.execute(CLONE, low, min(low + step - 1, clones))
            done = min(low + step - 1, clones) * templates
            print(f"  cloned {done:,} petitions ({time.perf_counter() - began:.0f}s)", flush=True)
        total = await conn.fetchval("SELECT count(*) FROM events")
        await conn.execute("ANALYZE events")
    seconds = time.perf_counter() - began
    print(f"bulk: {clones * templates:,} petitions cloned in {seconds:.1f}s "
          f"({clones * events / max(seconds, 1e-9):,.0f} events/s); the log holds {total:,} events", flush=True)


async def rebuild_read_model(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        report = await rebuild(conn)
        await conn.execute("ANALYZE petitions")
    print(f"rebuild: {report.events:,} events into {report.petitions:,} rows in {report.seconds:.1f}s "
          f"= {report.events_per_second:,.0f} events/s", flush=True)


def timer_lives(org: OrgTree, count: int, lead: float, window: float, rng: random.Random) -> list[Life]:
    """Open petitions, reported now, whose accept deadlines fall `lead`..`lead + window` s from now."""
    fast, grids, now = load_policy("fast"), grids_of(org), datetime.now(UTC)
    lives = []
    for i in range(count):
        accept = lead + window * i / max(count, 1)
        rules = fast.rules_for("sanitation", Urgency.NORMAL).model_copy(update={
            "accept": Span(seconds=accept, clock=Clock.NATURAL),
            # the first due item is the accept deadline: the yellow card and resolve come long after
            "resolve": {level: Span(seconds=accept * 4 + 3600, clock=Clock.NATURAL) for level in Level},
        })
        lives.append(Life(f"BM{i:06d}", org, rules, "fast", now, rng.choice(grids), "sanitation"))
    return lives


async def open_timers(pool: asyncpg.Pool, org: OrgTree, database_url: str, scratch: Path, count: int,
                      lead: float, window: float, observe: float, rng: random.Random) -> None:
    began = time.perf_counter()
    lives = timer_lives(org, count, lead, window, rng)
    rate = await append_lives(pool, lives)
    print(f"timers: {count:,} open petitions played and appended in {time.perf_counter() - began:.0f}s "
          f"({rate:,.0f} appends/s)", flush=True)
    temporal = TemporalDevServer(scratch / "temporal", free_port(), None)
    temporal.start()
    env = {**os.environ, "JIEHU_DATABASE_URL": database_url, "JIEHU_TEMPORAL_ADDRESS": temporal.address,
           "JIEHU_TASK_QUEUE": "scale", "JIEHU_LOG_LEVEL": "warning", "JIEHU_METRICS_PORT": str(free_port())}
    worker = await asyncio.create_subprocess_exec(str(Path(sys.executable).with_name("jiehu")), "worker", env=env)
    try:
        client = await connect_temporal(temporal.address)
        due = {life.state.id: (life.state.version, _next_at(life.state)) for life in lives}
        pending, peak_rss, started = list(lives), [0], time.perf_counter()

        async def starter() -> None:
            while pending:
                life = pending.pop()
                await client.start_workflow(PetitionWorkflow.run, PetitionInput(petition_id=life.state.id,
                                                                                snapshot=life.state),
                                            id=life.state.id, task_queue="scale")

        async def watch(stop: asyncio.Event) -> None:
            proc = psutil.Process(worker.pid)
            while not stop.is_set():
                peak_rss[0] = max(peak_rss[0], proc.memory_info().rss)
                await asyncio.sleep(1)

        stop = asyncio.Event()
        watcher = asyncio.create_task(watch(stop))
        await asyncio.gather(*(starter() for _ in range(32)))
        seconds = time.perf_counter() - started
        first_due = min(at for _, at in due.values())
        print(f"  started {count:,} workflows in {seconds:.0f}s ({count / seconds:,.0f}/s); the first deadline "
              f"is {(first_due - datetime.now(UTC)).total_seconds():+.0f}s from now", flush=True)
        # a city's deadlines are spread over days: watch those falling due in `observe` s once all are started
        begin = max(first_due, datetime.now(UTC) + timedelta(seconds=10))
        watched = {pid: at for pid, (_, at) in due.items() if begin <= at <= begin + timedelta(seconds=observe)}
        last_due = max(watched.values())
        while True:
            fired = await pool.fetchval(
                "SELECT count(DISTINCT stream_id) FROM events WHERE stream_id LIKE 'BM%' AND version > 2")
            now = datetime.now(UTC)
            print(f"  {fired:,} of {count:,} deadlines fired; worker RSS {peak_rss[0] / 2**20:.0f} MB peak", flush=True)
            if fired >= count or now > last_due + timedelta(seconds=60):
                break
            await asyncio.sleep(10)
        stop.set()
        await watcher
        rows = await pool.fetch("SELECT stream_id, version, occurred_at FROM events WHERE stream_id LIKE 'BM%' "
                                "AND version > 2 ORDER BY stream_id, version")
        first: dict[str, datetime] = {}
        for r in rows:
            if r["version"] == due[r["stream_id"]][0] + 1:
                first[r["stream_id"]] = r["occurred_at"]
        late = sorted((first[pid] - at).total_seconds() for pid, at in watched.items() if pid in first)
        print(f"  {len(watched):,} deadlines fell due while watched ({len(watched) / observe:.1f}/s); "
              f"{len(watched) - len(late):,} of them had not fired 60 s after the last one")
        if late:
            q = lambda f: late[min(len(late) - 1, int(f * len(late)))]  # noqa: E731
            print(f"  timer lateness over {len(late):,} deadlines: p50 {q(0.5):.2f}s p95 {q(0.95):.2f}s "
                  f"p99 {q(0.99):.2f}s max {late[-1]:.2f}s; within 1 s: "
                  f"{sum(1 for x in late if x <= 1) / len(late):.1%}; mean {statistics.mean(late):.2f}s")
        print(f"  worker peak RSS {peak_rss[0] / 2**20:.0f} MB with {count:,} open petitions; "
              f"Temporal server RSS {psutil.Process(temporal._process.pid).memory_info().rss / 2**20:.0f} MB"
              if temporal._process else "")
    finally:
        worker.terminate()
        await worker.wait()
        temporal.stop()


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    org = load_org_file(Path(str(DEMO_ORG)))
    with tempfile.TemporaryDirectory(prefix="jiehu-scale-") as scratch:
        postgres = EmbeddedPostgres(Path(scratch) / "pg", free_port())
        postgres.start()
        try:
            pool = await create_pool(postgres.url(), max_size=16)
            async with pool.acquire() as conn:
                await migrate(conn)
                await save_org(conn, org)
            if args.petitions:
                await seed(pool, org, args.petitions, args.templates, rng)
                await rebuild_read_model(pool)
                grid = await pool.fetchval("SELECT grid_code FROM petitions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
                print(f"queries (grid {grid}, the busiest; {args.repeats} repeats each):", flush=True)
                await time_queries(postgres.url(), pool, org, args.repeats, grid=grid)
            if args.timers:
                await open_timers(pool, org, postgres.url(), Path(scratch), args.timers, args.lead, args.window,
                                  args.observe, rng)
            await pool.close()
        finally:
            postgres.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--petitions", type=int, default=1_000_000)
    parser.add_argument("--templates", type=int, default=2000, help="distinct lives played by the domain")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--timers", type=int, default=100_000, help="open petitions with pending deadlines")
    parser.add_argument("--lead", type=float, default=3000, help="seconds before the first deadline falls due")
    parser.add_argument("--window", type=float, default=86400, help="seconds over which the deadlines fall")
    parser.add_argument("--observe", type=float, default=600, help="seconds of deadlines to watch fire")
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(main(parser.parse_args()))


def _next_at(state: PetitionState) -> datetime:
    """The instant of an open petition's next deadline (the lives started here are all open)."""
    item = due_item(state)
    assert item is not None, f"{state.id} has no running deadline"
    return item.at

