"""`jiehu faults`: a scratch stack, simulated cadres, faults of every kind, then the invariants, printed.

The run is bounded: `petitions` lives reported at `rate` per second, `faults_per_kind` faults of each kind
spread over the acting phase, every command retried for at most RETRY_FOR seconds, the lives cut off after
`max_seconds`, the settling after the faults bounded too; then everything stops and the scratch dir goes.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.faults.cadres import PAIRS, RETRY_FOR, Cadres, Journal, pick_life
from benchmarks.faults.hub import Hub
from benchmarks.faults.injectors import KINDS, Fault, run_faults
from benchmarks.faults.invariants import check, closed, conflicts_not_raced
from benchmarks.faults.processes import FaultStack
from benchmarks.faults.snapshot import settle, take
from config.reference_data import DEMO_ORG
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from org.loader import load_org_file
from org.repository import save_org
from workflows.connection import connect_temporal

SECRET = "faults-secret-0123456789abcdef0123456789"


@dataclass(frozen=True)
class FaultOptions:
    """How big the run is: petitions, their rate (per second), faults of each kind, the cap on the acting phase
    (seconds), the seed, and where to keep the journal (None: not kept)."""

    petitions: int = 300
    rate: float = 1.0
    faults_per_kind: int = 3
    max_seconds: float = 480.0
    seed: int = 20261130
    journal: Path | None = None


_RUNNING: list[FaultStack] = []  # the stack a SIGTERM must stop


def run_suite(options: FaultOptions) -> dict[str, Any]:
    """Run the suite on a scratch stack and print its figures; the result says each invariant's violations."""
    scratch = Path(tempfile.mkdtemp(prefix="jiehu-faults-"))
    result: dict[str, Any] = {}
    # SIGTERM (a CI timeout, `kill`): stop the suite's own stack and go, instead of leaving it running as orphans
    # (a fresh tester's finding); the scratch directory stays, as after any run cut short
    def terminated(*_: object) -> None:
        if _RUNNING:
            _RUNNING[-1].stop()
        print(f"jiehu faults: terminated; stopped its stack, kept {scratch}", flush=True)
        os._exit(143)

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        result = asyncio.run(_suite(scratch, options))
    finally:
        if result and not any(result["violations"].values()):
            shutil.rmtree(scratch, ignore_errors=True)
        else:  # the data dirs and the processes' logs, to find the cause
            print(f"jiehu faults: kept {scratch} (PostgreSQL data, Temporal's SQLite file, the processes' logs)")
        signal.signal(signal.SIGTERM, previous)
    print_result(result)
    return result


async def _suite(scratch: Path, options: FaultOptions) -> dict[str, Any]:
    began, rng = time.monotonic(), random.Random(options.seed)
    hub = Hub()
    await hub.start()
    stack = FaultStack(scratch, SECRET, hub.url)
    _RUNNING.append(stack)
    try:
        await asyncio.to_thread(stack.start_servers)
        pool = await create_pool(stack.postgres.url(), max_size=4)
        async with pool.acquire() as conn:
            await migrate(conn)
            await save_org(conn, load_org_file(Path(str(DEMO_ORG))))
        await pool.close()
        await asyncio.to_thread(stack.start_children)
        print(f"jiehu faults: stack up in {time.monotonic() - began:.0f}s; {options.petitions} petitions at "
              f"{options.rate}/s, {options.faults_per_kind} fault(s) of each kind", flush=True)
        journal = Journal()
        acting_began = time.monotonic()
        faults, died = await _act(stack, journal, options, rng)
        acting = time.monotonic() - acting_began
        pool = await create_pool(stack.postgres.url(), max_size=4)
        try:
            settled = await settle(pool, within=150)
            client = await connect_temporal(stack.temporal.address)
            snapshot = await take(pool, client, journal, hub.received)
        finally:
            await pool.close()
        if options.journal:
            journal.write(options.journal)
    finally:
        await asyncio.to_thread(stack.stop)
        _RUNNING.remove(stack)
        await hub.stop()
    violations = check(snapshot)
    violations["no part died on its own"] = died
    return {
        "petitions": len(journal.petitions), "closed": closed(snapshot), "lives": dict(sorted(journal.lives.items())),
        "events": len(snapshot.events),
        "commands": len(journal.commands), "answers": journal.answer_classes(),
        "attempts": len(journal.attempts), "retried_commands": sum(1 for c in journal.commands if c.attempts > 1),
        "conflict_pairs": {p: sum(1 for c in journal.commands if c.pair.startswith(p + ":")) // 2 for p in PAIRS},
        "conflicts_not_raced": conflicts_not_raced(snapshot),
        "faults": {kind: sum(1 for f in faults if f.kind == kind) for kind in KINDS},
        "notifications": len(snapshot.notifications), "hub_posts": sum(hub.received.values()),
        "hub_repeats": sum(n - 1 for n in hub.received.values() if n > 1),
        "violations": violations,
        "acting_seconds": round(acting, 1), "settle_seconds": round(settled, 1),
        "wall_seconds": round(time.monotonic() - began, 1),
    }


async def _act(stack: FaultStack, journal: Journal, options: FaultOptions, rng: random.Random
               ) -> tuple[list[Fault], list[str]]:
    """Report the petitions and live their lives while the faults run; returns the faults injected and the parts
    found dead that no fault had killed (restarted, so the checks can run)."""
    cadres = Cadres(stack.base_url, SECRET, journal, rng)
    stop = asyncio.Event()
    spread = options.petitions / options.rate
    gap = max(2.0, spread / max(1, options.faults_per_kind * len(KINDS)) - 8)  # a fault itself takes ~8 s
    faulting = asyncio.create_task(run_faults(stack, options.faults_per_kind, gap, rng, stop))
    lives: list[asyncio.Task[str]] = []
    deadline = time.monotonic() + options.max_seconds
    for n in range(options.petitions):
        if time.monotonic() > deadline:
            break
        lives.append(asyncio.create_task(cadres.life(pick_life(rng))))
        if n % 25 == 24:
            print(f"  {n + 1} petitions reported, {len(journal.commands)} commands", flush=True)
        await asyncio.sleep(rng.expovariate(options.rate))
    if lives:
        await asyncio.wait(lives, timeout=max(1.0, deadline - time.monotonic()))
    await asyncio.wait({faulting}, timeout=max(1.0, deadline - time.monotonic()))
    stop.set()  # the cap: no further fault; the one under way finishes
    faults = await faulting
    cadres.closing = True  # no further step; a command in flight gets its answer (RETRY_FOR at most)
    if lives:
        await asyncio.wait(lives, timeout=RETRY_FOR + 45)
    for task in lives:
        task.cancel()  # none should be left: a command cut off here shows as unanswered
    await asyncio.gather(*lives, return_exceptions=True)
    await cadres.aclose()
    died = [f"{child.name} exited on its own ({child.log_path})"
            for child in (stack.api, stack.worker, stack.dept_worker) if not child.alive]
    for child in (stack.worker, stack.dept_worker, stack.api):
        if not child.alive:
            child.start()
    await asyncio.to_thread(stack.wait_for_api)
    return faults, died


def print_result(r: dict[str, Any]) -> None:
    """Print the figures and every invariant with its violations (the first few of each named)."""
    answers = r["answers"]
    print(f"\njiehu faults: {r['petitions']} petitions ({r['closed']} closed) {r['lives']}")
    print(f"  commands      {r['commands']}: 2xx {answers['2xx']}, 4xx {answers['4xx']}, 5xx {answers['5xx']}, "
          f"no answer {answers['none']}; {r['attempts']} attempts, {r['retried_commands']} commands retried")
    print(f"  conflicts     {r['conflict_pairs']} pairs sent at once; of them no clean race: "
          f"{r['conflicts_not_raced']}")
    print(f"  faults        {r['faults']}")
    print(f"  events        {r['events']}; notifications {r['notifications']}, hub POSTs {r['hub_posts']} "
          f"({r['hub_repeats']} repeats of a delivery id)")
    print(f"  time          {r['wall_seconds']}s wall ({r['acting_seconds']}s acting, {r['settle_seconds']}s "
          "settling)")
    total = 0
    for name, found in r["violations"].items():
        total += len(found)
        print(f"  {len(found):>5}  {name}")
        for line in found[:5]:
            print(f"           {line}")
    print(f"  violations    {total}")
