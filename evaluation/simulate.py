"""A simulated month (`jiehu simulate-month`): petitions played by the pure domain with units that
behave differently and reports coming in every way a district has (`evaluation.lives.WAYS`: grid workers,
on the spot, the 12345 hotline, staff, the web), appended through the real append path, so that
scorecards and rankings have something credible to show. Streams are named `SIM<yyyymm>-<n>`; they have
no running workflows, so every simulated petition is carried to its close.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from config.reference_data import load_policy
from domain import commands as cmd
from domain.enums import CloseOutcome, Urgency, VisitOutcome
from domain.errors import DomainError
from domain.evaluation import Period
from domain.events import event_data
from domain.workcalendar import CHINA
from evaluation.lives import DISPATCHER, VISITOR, WAYS, Life, pick
from evaluation.sim_duplicates import duplicate_lives
from evaluation.sim_property import PROPERTY_SHARE, compounds_of, property_call
from eventstore.evaluation_projection import catch_up
from eventstore.petition_projection import petition_row
from eventstore.store import EventStore, NewEvent
from org.model import OrgTree
from org.routing import ladder_from_unit

# simulated events' ids: fixed by their stream and place in it, so a month played again writes nothing twice, and
# two months (whatever their seeds) never share an id
SIM_EVENTS = uuid.UUID("4d2f1a9e-7c3b-4e8a-9f1d-3b6c2e5a8d70")


def sim_event_id(stream_id: str, version: int) -> str:
    """The event id of the `version`th event of simulated stream `stream_id` (uuid5: the same on every run)."""
    return str(uuid.uuid5(SIM_EVENTS, f"{stream_id}/{version}"))


# categories a grid often cannot handle: returned, then dispatched to the district department
MISROUTED = {"public_order": 0.6, "noise": 0.35}


@dataclass(frozen=True)
class Behaviour:
    """How a unit works: how much of each deadline it uses, how residents judge its work."""

    slowest: float  # fraction of the time left it may take (above 1: it misses the deadline)
    satisfied: float

    @classmethod
    def of(cls, unit_code: str) -> Behaviour:
        """How a simulated unit behaves, fixed by its code (a hash): a fifth struggle (slow, less satisfied), half
        are average, the rest good."""
        roll = int(hashlib.sha256(unit_code.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        if roll < 0.2:
            return cls(slowest=1.35, satisfied=0.70)  # a struggling unit
        if roll < 0.7:
            return cls(slowest=0.95, satisfied=0.88)
        return cls(slowest=0.6, satisfied=0.96)


def _holder_acts(life: Life, due: datetime, rng: random.Random) -> bool:
    """The holder acts before (or after) `due`; False if a deadline moved the petition meanwhile."""
    assert life.state.assignment is not None
    assigned = life.state.assignment.assigned_at
    behaviour = Behaviour.of(life.state.assignment.rung.unit_code)
    if due > life.now:
        life.later((due - life.now) * rng.uniform(0.05, behaviour.slowest))
    return life.state.assignment is not None and life.state.assignment.assigned_at == assigned


# what the desk writes when it closes a simulated petition its story left open
LEFT_OPEN = "模拟结束：未在模拟期内办结，由派单员结案"


def play(life: Life, org: OrgTree, rng: random.Random) -> Life:
    """Carry one petition from report to close, unit by unit: a simulated petition has no workflow
    to keep its clocks, so every one ends closed (the desk closes what its story left open)."""
    _play(life, org, rng)
    if life.state.open:
        life.later(timedelta(hours=rng.uniform(1, 8)))
    if life.state.open:
        resolution = life.state.resolution
        fixed = (life.state.status.value == "resolved" and resolution is not None
                 and resolution.kind.value == "fixed")
        outcome = CloseOutcome.RESOLVED if fixed else CloseOutcome.CLOSED_WITHOUT_FIX
        life.send(cmd.Close(actor=DISPATCHER, outcome=outcome, explanation="" if fixed else LEFT_OPEN))
    return life


def _play(life: Life, org: OrgTree, rng: random.Random) -> Life:
    grid = org.units[life.state.grid_code]
    misrouted = MISROUTED.get(life.state.category, 0.0)
    waits = life.state.status.value == "dispatched"  # not resolved on the spot, nor closed at intake
    if waits and life.state.assignment and life.state.assignment.rung.level.value == "grid" \
            and rng.random() < misrouted:
        life.later(timedelta(minutes=rng.uniform(10, 240)))
        life.send(cmd.Return(actor=life.holder, reason="不属网格职责"))
        department = org.department(grid.district_code or "", org.categories[life.state.category].department_function)
        if department is not None:
            life.later(timedelta(minutes=rng.uniform(10, 120)))
            life.send(cmd.Dispatch(actor=DISPATCHER, note="派区直部门", ladder=ladder_from_unit(
                org, department.code, grid.code, life.state.category)))
    for visit in range(2):
        _accept_and_resolve(life, rng)
        if not life.state.open:
            return life
        behaviour = Behaviour.of(life.state.resolution.unit_code if life.state.resolution else "")
        # a reopened petition, handled again, pleases more residents the second time, not all
        satisfied = rng.random() < (behaviour.satisfied if visit == 0 else (1 + behaviour.satisfied) / 2)
        life.later(timedelta(hours=rng.uniform(2, 30)))
        if not life.state.open:
            return life
        outcome = (rng.choice([VisitOutcome.SATISFIED] * 3 + [VisitOutcome.BASICALLY_SATISFIED]) if satisfied
                   else VisitOutcome.DISSATISFIED)
        life.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=outcome))
        if not life.state.open:
            return life
    return life


def _accept_and_resolve(life: Life, rng: random.Random) -> None:
    for _ in range(8):  # at most once per rung, with room for escalations on the way
        a = life.state.assignment
        if a is None or not life.state.open or life.state.status.value == "resolved":
            return
        if a.accepted_at is None:
            if not _holder_acts(life, a.accept_due, rng):
                continue
            life.send(cmd.Accept(actor=life.holder))
        a = life.state.assignment
        assert a is not None
        if not _holder_acts(life, a.resolve_due, rng):
            continue
        try:
            life.send(cmd.Resolve(actor=life.holder, result="已办结"))
        except DomainError:
            continue
        return


async def simulate_month(pool: asyncpg.Pool, org: OrgTree, month: Period, petitions: int, seed: int,
                         first: int = 0, *, visit_days: bool = True, duplicates: bool = False) -> dict:
    """Play and append `petitions` reported during `month`, numbered from `first`, and (`visit_days`) the month's
    visit rounds of every team with their matters (`evaluation/sim_visits.py`; a round already simulated is
    left alone); returns what was written. `duplicates` (`jiehu simulate-month` sets it): also the month's
    duplicates merged and its burst (issue 14 §5, `evaluation/sim_duplicates.py`), as streams SIMD<yyyymm>-<n>
    beside the `petitions` (not counted in them)."""
    rng = random.Random(seed)
    policy = load_policy("default")
    grids = sorted(u.code for u in org.units.values() if u.kind.value == "grid")
    categories = sorted(org.categories)
    compounds = compounds_of(org) if "property_management" in org.categories else []  # issue 14 §3
    start = datetime.combine(month.months[0], datetime.min.time(), CHINA)
    span = timedelta(days=28)  # reports over the month's first four weeks, so most close within it
    store, prefix = EventStore(pool), f"SIM{month.months[0]:%Y%m}"
    written = events = 0
    channels: dict[str, int] = {}  # the month's petitions by channel (how they came in)
    for n in range(first, first + petitions):
        reported_at = start + timedelta(seconds=rng.uniform(0, span.total_seconds()))
        reported_at = reported_at.replace(hour=rng.randint(8, 18))
        reported_at = reported_at.astimezone(UTC)  # office hours in Beijing; events record UTC like live ones
        if compounds and rng.random() < PROPERTY_SHARE:  # issue 14 §3: a 物业110 call about a Qufu compound
            life = property_call(f"{prefix}-{n:05d}", org, policy, reported_at, rng.choice(compounds), rng)
        else:
            category, urgency = rng.choice(categories), rng.choice([Urgency.NORMAL] * 9 + [Urgency.URGENT])
            life = Life(f"{prefix}-{n:05d}", org, policy.rules_for(category, urgency), "default", reported_at,
                        rng.choice(grids), category, urgency, way=pick(rng, WAYS), rng=rng)
            play(life, org, rng)
        stored = [NewEvent(event_id=sim_event_id(life.state.id, i), type=e.type, data=event_data(e),
                           occurred_at=e.at) for i, e in enumerate(life.events, start=1)]
        result = await store.append(life.state.id, 0, stored, petition_row(life.state, life.events[-1].at.isoformat()))
        written += not result.already_appended
        events += len(stored)
        channels[life.state.channel.value] = channels.get(life.state.channel.value, 0) + 1
    # issue 14 §5: the month's duplicates merged and its burst (evaluation/sim_duplicates.py), streams SIMD<yyyymm>-<n>
    # (once per month: a run adding petitions to a month already simulated, `first` > 0, adds none)
    routine = duplicate_lives(org, policy, start, span, petitions, f"SIMD{month.months[0]:%Y%m}", rng) \
        if duplicates and first == 0 else []
    for life in routine:
        stored = [NewEvent(event_id=sim_event_id(life.state.id, i), type=e.type, data=event_data(e),
                           occurred_at=e.at) for i, e in enumerate(life.events, start=1)]
        await store.append(life.state.id, 0, stored, petition_row(life.state, life.events[-1].at.isoformat()))
        events += len(stored)
    merged = {"petitions": len(routine), "merged": sum(1 for life in routine if life.state.merged_into),
              "burst_reporters": sum(len(life.state.linked_callers) + 1 for life in routine if life.state.burst)}
    # issue 14 §4: the month's 民意"5"来听 visit rounds and their matters (evaluation/sim_visits.py)
    from evaluation.sim_visits import simulate_visit_days  # it plays petitions with this module's `play`
    visits = await simulate_visit_days(pool, org, month, seed) if visit_days else None
    async with pool.acquire() as conn:
        await catch_up(conn)
    return {"month": month.text, "petitions": petitions, "written": written, "events": events, "channels": channels,
            **({"visit_days": visits} if visits is not None else {}),
            **({"duplicates": merged} if duplicates else {})}

