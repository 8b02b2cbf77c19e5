"""The faults, by kind, on a `FaultStack`: each takes a part down the hard way and brings it back.

| kind | what |
|---|---|
| worker_kill | kill -9 the petition worker (workflows, appends, the notifier), restart it seconds later |
| api_kill | kill -9 the API in the middle of requests, restart it |
| temporal_restart | stop the Temporal dev server and start it again on its SQLite file (its state survives) |
| postgres_crash | `pg_ctl -m immediate` (no checkpoint: crash recovery on start), then start PostgreSQL again |
| dept_worker_stop | kill -9 the department's worker and keep it away longer than the department's deadlines |
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.faults.processes import FaultStack

KINDS = ("worker_kill", "api_kill", "temporal_restart", "postgres_crash", "dept_worker_stop")
DEPT_AWAY_S = 15.0  # longer than the fast policy's department deadlines (accept 6 s, resolve 12 s)


@dataclass(frozen=True)
class Fault:
    """One fault injected: its kind, when it began (epoch seconds) and how long the part was away (seconds)."""

    kind: str
    began: float
    seconds: float


def inject(stack: FaultStack, kind: str, rng: random.Random) -> Fault:
    """Inject one fault of `kind` (KINDS) and bring the part back (blocking; run it in a thread)."""
    began, clock = time.time(), time.monotonic()
    actions: dict[str, Callable[[], None]] = {
        "worker_kill": lambda: _bounce(stack.worker.kill, stack.worker.start, rng.uniform(2, 10)),
        "api_kill": lambda: _bounce(stack.api.kill, _start_api(stack), rng.uniform(0.5, 3)),
        "temporal_restart": lambda: _bounce(stack.temporal.stop, stack.temporal.start, rng.uniform(0.5, 3)),
        "postgres_crash": lambda: _bounce(stack.postgres.crash, stack.postgres.start, rng.uniform(0.5, 3)),
        "dept_worker_stop": lambda: _bounce(stack.dept_worker.kill, stack.dept_worker.start, DEPT_AWAY_S),
    }
    actions[kind]()
    return Fault(kind, began, round(time.monotonic() - clock, 1))


def schedule(per_kind: int, rng: random.Random) -> list[str]:
    """`per_kind` faults of every kind, in rounds of one of each kind in a shuffled order."""
    order: list[str] = []
    for _ in range(per_kind):
        round_ = list(KINDS)
        rng.shuffle(round_)
        order += round_
    return order


async def run_faults(stack: FaultStack, per_kind: int, gap: float, rng: random.Random,
                     stop: asyncio.Event) -> list[Fault]:
    """Inject `per_kind` faults of each kind, `gap` seconds (±50 %) apart, until done or `stop` is set."""
    done: list[Fault] = []
    for kind in schedule(per_kind, rng):
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(gap / 2, gap * 1.5))
            return done
        except TimeoutError:
            pass
        print(f"  fault: {kind}", flush=True)
        done.append(await asyncio.to_thread(inject, stack, kind, rng))
    return done


def _bounce(down: Callable[[], object], up: Callable[[], object], away: float) -> None:
    down()
    time.sleep(away)
    up()


def _start_api(stack: FaultStack) -> Callable[[], None]:
    def start() -> None:
        stack.api.start()
        stack.wait_for_api()

    return start
