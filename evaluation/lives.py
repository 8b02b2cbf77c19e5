"""Petition lives driven by the pure domain on a simulated clock: the events a workflow would record.

The simulated month (`evaluation/simulate.py`, `jiehu simulate-month`) plays them to give the evaluation real
data, and benchmarks (which import this module; it imports none of them) seed the log with them instead
of running a million workflows: the events are the ones `decide` produces, so rebuilds and queries see
what production would. It may not write anything itself: callers append the events.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from config.reference_data import work_calendar
from domain import commands as cmd
from domain.enums import (
    Channel,
    EmergencyLine,
    LegalChannel,
    Level,
    RequestType,
    Role,
    TriageOutcome,
    Urgency,
    VisitOutcome,
)
from domain.model import Actor
from domain.policy import Rules
from domain.timeline import Timeline
from org.model import OrgTree
from org.routing import ladder_from_unit
from services.intake_command import Intake, OnTheSpot, Triage, report_command, route

DISPATCHER = Actor(id="bench-dispatcher", name="派单员", unit_code="rencheng", role=Role.DISPATCHER)
VISITOR = Actor(id="bench-visitor", name="回访员", unit_code="rencheng", role=Role.RETURN_VISITOR)
# closed lives in real proportions, and open ones at the stages a live city has them
KINDS = (("direct", 0.62), ("escalated", 0.08), ("returned", 0.04), ("reopened", 0.04),
         ("open_dispatched", 0.12), ("open_accepted", 0.10))


# how reports come in (issue 14): a grid worker's report, resolved on the spot or not; a 12345 call dispatched,
# answered at intake (a consultation) or triaged away; staff who found it; the web platform. Rencheng's
# grids settle most matters near home; the hotline brings about a third.
WAYS = (("grid_worker", 0.45), ("on_the_spot", 0.20), ("hotline", 0.22), ("hotline_answered", 0.05),
        ("hotline_triaged", 0.02), ("staff", 0.04), ("web", 0.02))
_TRIAGES = (Triage(TriageOutcome.EMERGENCY_HANDOVER, "燃气泄漏, 已转119", emergency_line=EmergencyLine.FIRE),
            Triage(TriageOutcome.LEGAL_CHANNEL, "劳动争议, 引导劳动仲裁", legal_channel=LegalChannel.ARBITRATION),
            Triage(TriageOutcome.OUTSIDE_DUTIES, "商业纠纷, 非政府职责"))


def staff(code: str) -> Actor:
    """A simulated cadre of unit `code` (as a grid worker: the role the simulated lives' commands need)."""
    return Actor(id=f"bench-{code}", name="工作人员", unit_code=code, role=Role.GRID_WORKER)


def intake_of(way: str, petition_id: str, grid: str, category: str, urgency: Urgency, rng: random.Random) -> Intake:
    """The intake of a report that came in the way named `way` (see WAYS) in `grid` about `category`."""
    desk = Actor(id="bench-hotline", name="话务员", unit_code="rencheng", role=Role.DISPATCHER)
    base: dict[str, Any] = {"category": category, "description": f"{category} 群众反映", "grid_code": grid,
                            "address": f"{grid} {petition_id[-4:]}号楼", "urgency": urgency,
                            "reporter_name": "张三", "reporter_phone": "13800000000"}
    if way == "on_the_spot":
        return Intake(actor=staff(grid), channel=Channel.GRID_WORKER, **base, on_the_spot=OnTheSpot(
            "现场已处理", (f"https://media.example/{petition_id}.jpg",)))
    if way.startswith("hotline"):
        triage = (Triage(TriageOutcome.ANSWERED, "政策咨询", answer="已当场解答") if way == "hotline_answered"
                  else rng.choice(_TRIAGES) if way == "hotline_triaged" else None)
        kind = RequestType.CONSULTATION if triage and triage.outcome is TriageOutcome.ANSWERED else rng.choice(
            [RequestType.HELP, RequestType.COMPLAINT, RequestType.REPORT])
        return Intake(actor=desk, channel=Channel.HOTLINE, **base, request_type=kind, triage=triage)
    if way == "staff":
        return Intake(actor=staff(grid), channel=Channel.STAFF, **base)
    if way == "web":
        return Intake(actor=desk, channel=Channel.WEB, **base)
    return Intake(actor=staff(grid), channel=Channel.GRID_WORKER, **base)


class Life(Timeline):
    """One petition, its state and its events, with a clock that only moves forward."""

    def __init__(self, petition_id: str, org: OrgTree, rules: Rules, policy_name: str, reported_at: datetime,
                 grid: str, category: str, urgency: Urgency = Urgency.NORMAL, way: str = "grid_worker",
                 rng: random.Random | None = None) -> None:
        super().__init__(petition_id, reported_at, work_calendar())
        if way == "on_the_spot" and org.categories[category].start_level is not Level.GRID:
            way = "grid_worker"  # a grid settles on the spot only what is a grid's to handle
        intake = intake_of(way, petition_id, grid, category, urgency, rng or random.Random(0))
        where = route(org, grid, category, from_grid=intake.on_the_spot is not None)
        # no workflow runs a simulated life: no department delivery is ever confirmed
        self.send(report_command(intake, petition_id, where, policy_name, rules, tracks_delivery=False))

    def before(self, due: datetime | None, rng: random.Random) -> None:
        """Act somewhere in the first 80 % of the time left before `due` (units mostly act in time)."""
        if due is not None and due > self.now:
            self.later((due - self.now) * rng.uniform(0.05, 0.8))

    @property
    def holder(self) -> Actor:
        """A staff member of the unit holding the petition now."""
        assert self.state.assignment is not None
        return staff(self.state.assignment.rung.unit_code)


def live(life: Life, kind: str, org: OrgTree, rng: random.Random) -> Life:
    """Carry `life` through the story named `kind` (see KINDS); a petition closed at intake (triaged) has
    none, one resolved on the spot only its return visits."""
    if not life.state.open or kind == "open_dispatched":
        return life
    if life.state.resolution is None or not life.state.resolution.on_the_spot:
        if kind == "escalated":
            life.later(timedelta(days=12))  # the grid misses its deadlines; the rung above takes it
        elif kind == "returned":
            life.later(timedelta(minutes=rng.uniform(5, 120)))
            life.send(cmd.Return(actor=life.holder, reason="不属本网格"))
            other = rng.choice([u.code for u in org.units.values() if u.kind.value == "community"])
            life.send(cmd.Dispatch(actor=DISPATCHER, ladder=ladder_from_unit(org, other, life.state.grid_code,
                                                                               life.state.category)))
        _accept_and_resolve(life, rng, stop_after_accept=kind == "open_accepted")
        if kind == "open_accepted":
            return life
    if kind == "reopened":
        life.before(life.state.visit_due, rng)
        life.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED))
        _accept_and_resolve(life, rng)
    life.before(life.state.visit_due, rng)
    life.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=rng.choice(
        [VisitOutcome.SATISFIED] * 8 + [VisitOutcome.BASICALLY_SATISFIED] * 2)))
    return life


def _accept_and_resolve(life: Life, rng: random.Random, stop_after_accept: bool = False) -> None:
    assert life.state.assignment is not None
    life.before(life.state.assignment.accept_due, rng)
    life.send(cmd.Accept(actor=life.holder))
    if stop_after_accept:
        return
    assert life.state.assignment is not None
    life.before(life.state.assignment.resolve_due, rng)
    life.send(cmd.Resolve(actor=life.holder, result="已处理"))


def pick(rng: random.Random, shares: tuple[tuple[str, float], ...] = KINDS) -> str:
    """A name drawn with the weights of `shares` ((name, share) pairs summing to 1)."""
    roll, total = rng.random(), 0.0
    for kind, share in shares:
        total += share
        if roll < total:
            return kind
    return shares[0][0]
