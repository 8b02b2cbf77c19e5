"""Duplicates and bursts in the simulated month (issue 14 §5): petition lives played by the pure domain, like
`evaluation/lives.py`'s, that the simulated month appends with the others.

- A few duplicates merged: a grid worker reports a problem, a second report of the same problem in the same grid
  follows within hours, and the dispatcher merges it into the first (`MergeInto` closing it as a duplicate,
  `AbsorbMerged` linking its reporter to the survivor); the survivor is resolved, and its reporter and the merged
  reporter are return-visited before it closes.
- One burst: a water main breaks; the first report is a petition, the dispatcher declares a burst on it, and 39
  calls in the next hour join it (`JoinBurst`) instead of starting 39 ladders; the street resolves it and the
  return visitors call all 40 reporters.

Pure play: no I/O; the caller appends the events. Streams are named `<prefix>-<n>` by the caller's prefix.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from domain import commands as cmd
from domain.decider import merged_reporters
from domain.enums import CloseOutcome, RequestType, Urgency, VisitOutcome
from domain.errors import DomainError
from domain.policy import Policy
from evaluation.lives import DISPATCHER, VISITOR, Life
from org.model import OrgTree

BURST_CALLS = 40  # reports of the burst: the first petition and 39 calls joining it
BURST_CATEGORY = "water_supply"
MERGED_PER_PETITIONS = 100  # one merged duplicate per hundred simulated petitions, at least two a month
LEFT_OPEN = "模拟结束：未在模拟期内办结，由派单员结案"


def duplicate_lives(org: OrgTree, policy: Policy, start: datetime, span: timedelta, petitions: int, prefix: str,
                    rng: random.Random) -> list[Life]:
    """The month's duplicates and burst: `max(2, petitions // 100)` pairs of a survivor and a duplicate merged into
    it, and one burst of `BURST_CALLS` reports, reported between `start` and `start + span` (aware, UTC);
    every life closed. Ids `<prefix>-<n>`, from 0."""
    grids = sorted(u.code for u in org.units.values() if u.kind.value == "grid")
    at_grid = sorted(code for code, c in org.categories.items() if c.start_level.value == "grid")
    lives: list[Life] = []
    for _ in range(max(2, petitions // MERGED_PER_PETITIONS)):
        reported_at = _office_hours(start + timedelta(seconds=rng.uniform(0, span.total_seconds())), rng)
        grid, category = rng.choice(grids), rng.choice(at_grid)
        n = len(lives)
        lives += _merged_pair(org, policy, f"{prefix}-{n:05d}", f"{prefix}-{n + 1:05d}", reported_at, grid,
                              category, rng)
    if BURST_CATEGORY in org.categories:
        reported_at = _office_hours(start + timedelta(seconds=rng.uniform(0, span.total_seconds())), rng)
        lives.append(_burst(org, policy, f"{prefix}-{len(lives):05d}", reported_at, rng.choice(grids), rng))
    for life in lives:
        _close_what_is_left(life)
    return lives


def _office_hours(moment: datetime, rng: random.Random) -> datetime:
    """`moment`'s day at a random time between 08:00 and 17:59 Beijing time, in UTC (as live events record)."""
    return moment.astimezone(UTC).replace(hour=rng.randint(0, 9), minute=rng.randint(0, 59))


def _merged_pair(org: OrgTree, policy: Policy, first: str, second: str, reported_at: datetime, grid: str,
                 category: str, rng: random.Random) -> list[Life]:
    rules = policy.rules_for(category, Urgency.NORMAL)
    survivor = Life(first, org, rules, policy.name, reported_at, grid, category)
    _accept(survivor, rng)
    duplicate = Life(second, org, rules, policy.name, reported_at + timedelta(hours=rng.uniform(0.5, 5)), grid,
                     category, way="hotline", rng=rng)  # a resident calls 12345 about what the grid reported
    duplicate.later(timedelta(minutes=rng.uniform(10, 90)))  # the desk sees it among the candidates
    survivor.advance_to(duplicate.now)
    try:
        survivor.send(cmd.AbsorbMerged(actor=DISPATCHER, merged_id=second, merged_desk_code=duplicate.state.desk_code,
                                       reporters=merged_reporters(duplicate.state), reason="同一事项, 合并办理"))
        duplicate.send(cmd.MergeInto(actor=DISPATCHER, into=first, reason="同一事项, 合并办理"))
    except DomainError:  # the survivor moved on meanwhile (closed): both are carried on their own
        pass
    _resolve_and_visit(survivor, rng)
    return [survivor, duplicate]


def _burst(org: OrgTree, policy: Policy, petition_id: str, reported_at: datetime, grid: str,
           rng: random.Random) -> Life:
    life = Life(petition_id, org, policy.rules_for(BURST_CATEGORY, Urgency.NORMAL), policy.name, reported_at, grid,
                BURST_CATEGORY, way="hotline", rng=rng)  # the first call
    life.later(timedelta(minutes=rng.uniform(3, 10)))
    life.send(cmd.DeclareBurst(actor=DISPATCHER, until=life.now + timedelta(hours=2), reason="供水主管道爆裂, 集中来电",
                               keywords=["停水", "爆管", "冒水"]))
    for i in range(1, BURST_CALLS):
        life.later(timedelta(seconds=rng.uniform(30, 3600 / BURST_CALLS * 1.5)))
        life.send(cmd.JoinBurst(actor=DISPATCHER, category=BURST_CATEGORY, description=f"第{i}位来电: 家里停水",
                                grid_code=grid, reporter_name="来电群众", reporter_phone=f"139{i:08d}",
                                request_type=RequestType.HELP))
    _accept(life, rng)
    _resolve_and_visit(life, rng)
    return life


def _accept(life: Life, rng: random.Random) -> None:
    a = life.state.assignment
    if a is not None and a.accepted_at is None and life.state.open:
        life.before(a.accept_due, rng)
        life.send(cmd.Accept(actor=life.holder))


def _resolve_and_visit(life: Life, rng: random.Random) -> None:
    """Resolve (accepting first if need be), then the reporter's and every linked reporter's return visit."""
    _accept(life, rng)
    a = life.state.assignment
    if a is None or not life.state.open:
        return
    life.before(a.resolve_due, rng)
    if life.state.status.value != "accepted":
        return
    life.send(cmd.Resolve(actor=life.holder, result="已办结"))
    life.later(timedelta(hours=rng.uniform(2, 20)))
    if life.state.status.value != "resolved":
        return
    life.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=rng.choice(
        [VisitOutcome.SATISFIED] * 4 + [VisitOutcome.BASICALLY_SATISFIED])))
    for caller in [c.caller for c in life.state.linked_callers if c.callable and c.visit_outcome is None]:
        if not life.state.open:
            break
        life.later(timedelta(minutes=rng.uniform(1, 6)))
        life.send(cmd.VisitLinkedCaller(actor=VISITOR, caller=caller, outcome=rng.choice(
            [VisitOutcome.SATISFIED] * 5 + [VisitOutcome.BASICALLY_SATISFIED] * 2 + [VisitOutcome.UNREACHABLE])))


def _close_what_is_left(life: Life) -> None:
    """A simulated petition has no workflow to keep its clocks: the desk closes what its story left open."""
    if life.state.open:
        life.send(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.CLOSED_WITHOUT_FIX, explanation=LEFT_OPEN))
