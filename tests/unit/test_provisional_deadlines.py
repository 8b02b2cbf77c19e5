"""Deadlines counted in a year without an official holiday arrangement are marked provisional on the
events that set them, in the folded state and on the read-model row (issue 11)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import commands as cmd
from domain.enums import Urgency
from domain.events import WorkOrderAssigned, event_from
from domain.timers import deadlines_provisional
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from tests.unit.domain_helpers import DISPATCHER, Petition

MID_DECEMBER = datetime(2026, 12, 14, 9, tzinfo=CHINA)  # Monday; 2026 is official, 2027 is not
LAST_DAYS = datetime(2026, 12, 30, 10, tzinfo=CHINA)  # Wednesday


def _row_flag(p: Petition) -> bool:
    return petition_row(p.state, updated_at=p.now.isoformat())["deadlines_provisional"]


def test_deadlines_inside_an_official_year_are_not_provisional(demo_org) -> None:
    p = Petition(demo_org, MID_DECEMBER)
    assert p.events[-1].type == "WorkOrderAssigned" and not p.events[-1].provisional
    assert not p.state.assignment.provisional and not _row_flag(p)


def test_a_clock_from_2026_that_ends_in_2027_is_provisional(demo_org) -> None:
    # 2 whole working days from the next working day: Thu 31 Dec, then (1 Jan, weekend) Mon 4 Jan, to 17:30
    p = Petition(demo_org, LAST_DAYS)
    assigned = p.events[-1]
    assert assigned.resolve_due == datetime(2027, 1, 4, 17, 30, tzinfo=CHINA)
    assert assigned.provisional and p.state.assignment.provisional and _row_flag(p)
    # the flag is stored with the event and folds back from the log
    assert event_from(assigned.type, assigned.model_dump(mode="json", exclude={"type"})).provisional


def test_a_natural_clock_is_never_provisional(demo_org) -> None:
    p = Petition(demo_org, LAST_DAYS, urgency=Urgency.EMERGENCY)  # 15 minutes and 2 hours of natural time
    p.wait(timedelta(days=3))  # climbs on natural clocks into 2027
    assigned = [e for e in p.events if isinstance(e, WorkOrderAssigned)]
    assert len(assigned) > 1 and not any(e.provisional for e in assigned)


def test_an_approved_extension_into_2027_is_provisional(demo_org) -> None:
    p = Petition(demo_org, datetime(2026, 12, 21, 9, tzinfo=CHINA))  # due Wed 23 Dec
    p.send(cmd.Accept(actor=p.handler))
    assert not p.state.assignment.provisional
    p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 10}, reason="等材料"))
    decided = p.send(cmd.DecideExtension(actor=p.overseer, approve=True, note="同意"))[-1]
    assert decided.resolve_due.year == 2027 and decided.provisional
    assert p.state.assignment.provisional and _row_flag(p)


def test_a_clock_resumed_at_the_end_of_the_year_is_provisional(demo_org) -> None:
    p = Petition(demo_org, MID_DECEMBER)
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Pause(actor=p.overseer, reason="等待群众返乡"))
    p.now = LAST_DAYS
    resumed = p.send(cmd.Resume(actor=p.handler))[-1]
    assert resumed.type == "ClockResumed" and resumed.provisional and _row_flag(p)


def test_returned_and_resolved_petitions_carry_the_flag_of_their_own_deadline(demo_org) -> None:
    p = Petition(demo_org, datetime(2026, 12, 31, 10, tzinfo=CHINA))  # Thu
    returned = p.send(cmd.Return(actor=p.handler, reason="不属于本网格"))[-1]
    assert returned.redispatch_due.year == 2027 and returned.provisional and _row_flag(p)
    p.send(cmd.Dispatch(actor=DISPATCHER, ladder=p.state.ladder, note="重新分办"))
    p.send(cmd.Accept(actor=p.handler))
    resolved = p.send(cmd.Resolve(actor=p.handler, result="已清运"))[-1]
    assert resolved.type == "PetitionResolved" and resolved.provisional and deadlines_provisional(p.state)


def test_events_recorded_before_the_flag_fold_as_not_provisional(demo_org) -> None:
    p = Petition(demo_org, LAST_DAYS)
    data = p.events[-1].model_dump(mode="json", exclude={"type", "provisional"})
    assert event_from("WorkOrderAssigned", data).provisional is False
