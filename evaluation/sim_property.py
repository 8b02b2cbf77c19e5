"""物业110 in the simulated month (issue 14 §3): calls about Qufu's old compounds, played by the pure domain like
`evaluation/lives.py` plays petitions, for `evaluation/simulate.py` to append.

A call becomes its compound's company's order. The company mostly answers within its hour and finishes within
its two days; sometimes it lets the order lie and the order climbs to the community, which finishes it. The
company's customer service calls back most residents of the orders it resolved (客服回访), and the district's
return visitor makes the official visit; a dissatisfied resident sends it back once. It may not write anything
itself: the caller appends the events.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from config.reference_data import work_calendar
from domain import commands as cmd
from domain.enums import Channel, CloseOutcome, RequestType, Role, UnitKind, Urgency, VisitOutcome
from domain.errors import DomainError
from domain.model import Actor
from domain.policy import Policy
from domain.timeline import Timeline
from evaluation.lives import Life, staff
from org.model import OrgTree
from services.intake_command import Intake, report_command, route

# the share of a simulated month's petitions that are 物业110 calls about Qufu's compounds
PROPERTY_SHARE = 0.05
# how often a company lets an order lie past its deadline (the order climbs to the community)
LETS_LIE = 0.12
CALLED_BACK = 0.9  # of the orders a company resolved, the share its customer service calls back
CATEGORY = "property_management"
PROBLEMS = ("楼道灯不亮", "下水道堵塞", "楼顶漏雨", "单元门禁损坏", "垃圾清运不及时", "绿化带无人修剪")


def compounds_of(org: OrgTree, district: str = "qufu") -> list[str]:
    """The codes of `district`'s compounds (小区), sorted: where the simulated 物业110 calls come from."""
    return sorted(u.code for u in org.units.values() if u.kind is UnitKind.COMPOUND and u.district_code == district)


class PropertyCall(Life):
    """A 物业110 call about `compound` taken by its company's customer service at `reported_at` (aware), reported
    (not yet played: `play_call`). InvalidCommand if the org cannot route it (no such compound, no property
    category)."""

    def __init__(self, petition_id: str, org: OrgTree, policy: Policy, reported_at: datetime, compound: str,
                 rng: random.Random) -> None:
        Timeline.__init__(self, petition_id, reported_at, work_calendar())
        company = org.units[compound].property_company or ""
        desk = Actor(id=f"sim-{company}", name="物业110客服", unit_code=company, role=Role.PROPERTY_STAFF)
        urgency = Urgency.URGENT if rng.random() < 0.05 else Urgency.NORMAL
        grid = org.units[compound].parent_code or ""
        intake = Intake(actor=desk, category=CATEGORY, description=f"{rng.choice(PROBLEMS)} (物业110)",
                        channel=Channel.PROPERTY_HOTLINE, grid_code=grid, address=org.units[compound].name,
                        urgency=urgency, reporter_name="李四", reporter_phone="13900000000",
                        request_type=RequestType.HELP, compound=compound)
        self.send(report_command(intake, petition_id, route(org, grid, CATEGORY, compound=compound), policy.name,
                                 policy.rules_for(CATEGORY, urgency), tracks_delivery=False))


def property_call(petition_id: str, org: OrgTree, policy: Policy, reported_at: datetime, compound: str,
                  rng: random.Random) -> Life:
    """A 物业110 call about `compound` at `reported_at` (aware), played to its close: the events a workflow would
    have recorded (`life.events`), for the simulated month to append."""
    return play_call(PropertyCall(petition_id, org, policy, reported_at, compound, rng), rng)


def play_call(life: Life, rng: random.Random) -> Life:
    """Carry a 物业110 order from its report to its close (see the module's story); every life ends closed."""
    for visit in range(2):
        _handle(life, rng, lets_lie=visit == 0 and rng.random() < LETS_LIE)
        if not life.state.open or life.state.resolution is None:
            break
        resolution = life.state.resolution
        resolver = resolution.unit_code
        if life.state.ladder[resolution.rung_index].kind is UnitKind.PROPERTY_COMPANY and rng.random() < CALLED_BACK:
            life.later(timedelta(hours=rng.uniform(1, 20)))
            company = Actor(id=f"sim-{resolver}", name="物业客服", unit_code=resolver, role=Role.PROPERTY_STAFF)
            _try(life, cmd.CompanyCallback(actor=company, outcome=rng.choice(
                [VisitOutcome.SATISFIED] * 8 + [VisitOutcome.BASICALLY_SATISFIED] + [VisitOutcome.DISSATISFIED])))
        life.later(timedelta(hours=rng.uniform(4, 40)))
        if not life.state.open:
            break
        satisfied = rng.random() < (0.85 if visit == 0 else 0.95)
        visitor = Actor(id="sim-visitor", name="回访员", unit_code=life.state.desk_code, role=Role.RETURN_VISITOR)
        _try(life, cmd.RecordReturnVisit(actor=visitor, outcome=VisitOutcome.SATISFIED if satisfied
                                         else VisitOutcome.DISSATISFIED))
        if not life.state.open:
            break
    if life.state.open:  # what the story left open, the desk closes
        life.later(timedelta(hours=rng.uniform(1, 8)))
    if life.state.open:
        dispatcher = Actor(id="sim-dispatcher", name="派单员", unit_code=life.state.desk_code, role=Role.DISPATCHER)
        fixed = life.state.status.value == "resolved"
        life.send(cmd.Close(actor=dispatcher, outcome=CloseOutcome.RESOLVED if fixed else
                            CloseOutcome.CLOSED_WITHOUT_FIX, explanation="" if fixed else "模拟结束：由派单员结案"))
    return life


def _handle(life: Life, rng: random.Random, lets_lie: bool) -> None:
    """The holder accepts and resolves within its deadlines; a company that lets the order lie waits past its
    own, and the rung above (the community) handles it."""
    for _ in range(5):
        a = life.state.assignment
        if a is None or not life.state.open or life.state.status.value == "resolved":
            return
        if lets_lie and a.rung.kind is UnitKind.PROPERTY_COMPANY:
            life.advance_to(a.resolve_due + timedelta(minutes=1))  # it climbs
            continue
        if a.accepted_at is None:
            life.later((a.accept_due - life.now) * rng.uniform(0.1, 0.9) if a.accept_due > life.now else
                       timedelta(0))
            if not _try(life, cmd.Accept(actor=_holder(life))):
                continue
        a = life.state.assignment
        assert a is not None
        if a.resolve_due > life.now:
            life.later((a.resolve_due - life.now) * rng.uniform(0.1, 0.9))
        if _try(life, cmd.Resolve(actor=_holder(life), result="已处理")):
            return


def _holder(life: Life) -> Actor:
    """A staff member of the unit holding the order (property staff at a company)."""
    assert life.state.assignment is not None
    rung = life.state.assignment.rung
    if rung.kind is UnitKind.PROPERTY_COMPANY:
        return Actor(id=f"sim-{rung.unit_code}", name="物业维修", unit_code=rung.unit_code, role=Role.PROPERTY_STAFF)
    return staff(rung.unit_code)


def _try(life: Life, command: cmd.Command) -> bool:
    """Send `command`; False (nothing changed) if a deadline moved the order meanwhile and the decider refuses."""
    try:
        life.send(command)
    except DomainError:
        return False
    return True
