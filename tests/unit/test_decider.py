"""decide/evolve: the rules of the closed loop, without Temporal or PostgreSQL."""

from __future__ import annotations

from datetime import (
    datetime,  # noqa: E402, I001
    timedelta,
)

import pytest

from domain import commands as cmd
from domain.enums import CloseOutcome, Level, Resolution, Role, Status, VisitOutcome
from domain.errors import InvalidCommand, InvalidState, NotPermitted
from domain.events import event_data, event_from
from domain.evolve import fold
from domain.model import PetitionState
from domain.workcalendar import CHINA
from tests.unit.domain_helpers import CAL, DISPATCHER, VISITOR, Petition, unit_actor

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)


def accepted(demo_org, **kwargs) -> Petition:
    p = Petition(demo_org, MONDAY, **kwargs)
    p.send(cmd.Accept(actor=p.handler))
    return p


def test_report_assigns_the_first_rung_with_working_day_deadlines(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    a = p.state.assignment
    assert p.state.status is Status.DISPATCHED and a.rung.level is Level.GRID
    assert a.accept_due == datetime(2026, 11, 23, 14, 30, tzinfo=CHINA)  # 4 office hours: 09:00-12:00, 13:30-14:30
    # 2 whole working days from the next working day (Tue, Wed), due when the office closes
    assert a.resolve_due == datetime(2026, 11, 25, 17, 30, tzinfo=CHINA)
    assert a.warn_at == datetime(2026, 11, 24, 17, 30, tzinfo=CHINA)  # one working day before


def test_deadline_across_national_day(demo_org) -> None:
    p = Petition(demo_org, datetime(2026, 9, 30, 10, tzinfo=CHINA))
    # 2 whole working days from the next working day: 1-7 Oct are holidays, so Thu 8 and Fri 9 Oct, to 17:30
    # (winter hours from 1 October)
    assert p.state.assignment.resolve_due == datetime(2026, 10, 9, 17, 30, tzinfo=CHINA)


def test_unaccepted_order_is_breached_and_urged_then_climbs(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    fired = p.wait(timedelta(hours=6))  # Mon 15:00: accept was due at 14:30 (4 office hours)
    assert [e.type for e in fired] == ["DeadlineBreached", "PetitionUrged"]
    fired = p.wait(timedelta(days=2, hours=3))  # Wed 18:00: warned at Tue's close, the grid missed Wed 17:30
    assert [e.type for e in fired] == ["DeadlineWarned", "DeadlineBreached", "PetitionEscalated", "WorkOrderAssigned"]
    assert p.state.rung.level is Level.COMMUNITY
    grid = p.state.units["rc-yuehe-taibai-g1"]
    assert (grid.accept_breaches, grid.resolve_breaches, grid.escalations_by_deadline) == (1, 1, 1)


def test_at_the_top_a_breach_is_urged_not_escalated(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    p.wait(timedelta(days=40))
    assert p.state.rung.level is Level.DEPARTMENT and p.state.escalations == 3
    assert p.events[-1].type == "PetitionUrged" and p.state.assignment.resolve_breached
    with pytest.raises(InvalidState, match="top of the ladder"):
        p.send(cmd.Escalate(actor=p.handler, reason="still cannot"))


def test_return_only_within_the_window(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    p.now += timedelta(days=3)
    with pytest.raises(InvalidCommand, match="return window"):
        p.send(cmd.Return(actor=p.handler, reason="not ours"))


def test_extension_rules(demo_org) -> None:
    p = accepted(demo_org)
    with pytest.raises(InvalidCommand, match="at most 10 working day"):
        p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 11}, reason="施工"))
    p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 3}, reason="需协调施工队"))
    with pytest.raises(NotPermitted, match="needs one of the roles"):  # a grid worker never decides one
        p.send(cmd.DecideExtension(actor=p.handler, approve=True))
    with pytest.raises(NotPermitted, match="rung above"):  # nor does an overseeing role of the holding unit
        p.send(cmd.DecideExtension(actor=unit_actor(p.state.rung.unit_code, Role.COMMUNITY_STAFF), approve=True))
    due = p.state.assignment.resolve_due
    p.send(cmd.DecideExtension(actor=p.overseer, approve=True))
    assert p.state.assignment.resolve_due == CAL.add(due, 3 * 86_400, p.state.rules.max_extension.clock)
    with pytest.raises(InvalidCommand, match="none is left"):
        p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 1}, reason="again"))


def test_denied_extension_keeps_the_deadline(demo_org) -> None:
    p = accepted(demo_org)
    due = p.state.assignment.resolve_due
    p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 2}, reason="等材料"))
    p.send(cmd.DecideExtension(actor=p.overseer, approve=False, note="可当天办结"))
    assert p.state.assignment.resolve_due == due and p.state.extensions_granted == 0


def test_pause_needs_the_rung_above_and_shifts_the_deadline(demo_org) -> None:
    p = accepted(demo_org)
    due = p.state.assignment.resolve_due
    p.send(cmd.Pause(actor=p.handler, reason="等待群众提供材料"))
    assert p.state.status is Status.ACCEPTED and p.state.pending_pause is not None
    p.send(cmd.Pause(actor=p.overseer))
    assert p.state.status is Status.PAUSED
    assert p.wait(timedelta(days=10)) == []  # no clock runs while paused
    p.send(cmd.Resume(actor=p.handler))
    assert p.state.status is Status.ACCEPTED
    assert p.state.assignment.resolve_due > due + timedelta(days=9)


def test_dissatisfied_reopens_at_the_same_unit_up_to_the_limit(demo_org) -> None:
    p = accepted(demo_org)
    for round_ in range(3):
        p.send(cmd.Resolve(actor=p.handler, result="已清运"))
        p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED))
        if round_ < 2:
            assert p.state.status is Status.DISPATCHED and p.state.rung.unit_code == "rc-yuehe-taibai-g1"
            p.send(cmd.Accept(actor=p.handler))
    assert p.state.status is Status.CLOSED and p.state.reopens == 2
    assert p.state.last_visit is VisitOutcome.DISSATISFIED
    assert p.state.units["rc-yuehe-taibai-g1"].reopens == 2


def _dissatisfied_to_the_limit(p: Petition) -> list:
    for round_ in range(3):
        p.send(cmd.Resolve(actor=p.handler, result="已清运"))
        events = p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED))
        if round_ < 2:
            p.send(cmd.Accept(actor=p.handler))
    return events


def test_still_dissatisfied_at_the_reopen_limit_closes_not_resolved(demo_org) -> None:
    p = accepted(demo_org)
    assert p.state.rules.dissatisfied_at_limit == "not_resolved"  # the shipped policy's rule, frozen at report
    events = _dissatisfied_to_the_limit(p)
    closed = next(e for e in events if e.type == "PetitionClosed")
    assert closed.outcome is CloseOutcome.CLOSED_NOT_RESOLVED and "未解决办结" in closed.explanation
    assert p.state.close_outcome is CloseOutcome.CLOSED_NOT_RESOLVED
    assert {e.close_outcome for e in events if e.type == "UnitEvaluated"} == {CloseOutcome.CLOSED_NOT_RESOLVED}


def test_petitions_reported_under_older_rules_still_close_as_resolved_at_the_limit(demo_org) -> None:
    p = accepted(demo_org)
    old_rules = p.state.rules.model_copy(update={"dissatisfied_at_limit": None})  # frozen before the rule existed
    p.state = p.state.model_copy(update={"rules": old_rules})
    events = _dissatisfied_to_the_limit(p)
    closed = next(e for e in events if e.type == "PetitionClosed")
    assert closed.outcome is CloseOutcome.RESOLVED
    assert closed.explanation == "reopen limit reached; resident still dissatisfied"


def test_rules_frozen_before_the_reopen_limit_rule_decode_with_the_old_behaviour(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    reported = event_data(p.events[0])
    del reported["rules"]["dissatisfied_at_limit"]
    assert event_from("PetitionReported", reported).rules.dissatisfied_at_limit is None


def test_unreachable_after_the_last_attempt_closes(demo_org) -> None:
    p = accepted(demo_org)
    p.send(cmd.Resolve(actor=p.handler, result="已修复"))
    for _ in range(2):
        p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
        assert p.state.status is Status.RESOLVED
        p.wait(timedelta(hours=2))  # the policy's least time between two tries
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
    assert p.state.status is Status.CLOSED and p.state.last_visit is VisitOutcome.UNREACHABLE


def test_a_second_unreachable_attempt_too_soon_is_refused_with_when_it_may_be_made(demo_org) -> None:
    """A retried 'unreachable' must not count as the next attempt (issue 11: retried commands)."""
    p = accepted(demo_org)
    p.send(cmd.Resolve(actor=p.handler, result="已修复"))
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
    p.wait(timedelta(minutes=30))
    with pytest.raises(InvalidState, match=r"from \d{4}-\d\d-\d\d 1\d:\d\d:\d\d \(Beijing time\)"):
        p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
    assert p.state.visit_attempts == 1
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))  # a call that got through counts
    assert p.state.status is Status.CLOSED


def test_no_visit_in_the_window_closes_as_not_visited(demo_org) -> None:
    p = accepted(demo_org)
    p.send(cmd.Resolve(actor=p.handler, resolution=Resolution.NOT_FIXED_EXPLAINED, result="需纳入改造计划"))
    p.wait(timedelta(days=10))
    assert p.state.close_outcome is CloseOutcome.CLOSED_WITHOUT_FIX
    assert p.state.last_visit is VisitOutcome.NOT_VISITED


def test_close_outcomes_are_explicit(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    with pytest.raises(InvalidCommand, match="explanation"):
        p.send(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.DUPLICATE))
    with pytest.raises(InvalidState, match="resolved as fixed"):
        p.send(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.RESOLVED))
    with pytest.raises(NotPermitted, match="roles"):
        p.send(cmd.Close(actor=p.handler, outcome=CloseOutcome.WITHDRAWN, explanation="群众撤回"))
    events = p.send(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.WITHDRAWN, explanation="群众来电撤回"))
    assert [e.type for e in events] == ["PetitionClosed", "UnitEvaluated"]
    with pytest.raises(InvalidState, match="closed"):
        p.send(cmd.Accept(actor=p.handler))


def test_every_unit_that_held_it_is_evaluated_for_its_own_part(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    p.wait(timedelta(days=3))  # the grid misses its deadlines; the community holds it now
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    events = p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    records = {e.record.unit_code: e.record for e in events if e.type == "UnitEvaluated"}
    grid, community = records["rc-yuehe-taibai-g1"], records["rc-yuehe-taibai"]
    assert (grid.resolve_breaches, grid.resolved, grid.visit_outcome) == (1, 0, None)
    assert (community.resolve_breaches, community.resolved_in_time) == (0, 1)
    assert community.visit_outcome is VisitOutcome.SATISFIED


def test_events_round_trip_and_fold_to_the_same_state(demo_org) -> None:
    p = accepted(demo_org)
    p.send(cmd.Resolve(actor=p.handler, result="已清运", evidence_urls=["https://x/1.jpg"]))
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    stored = [event_from(e.type, event_data(e)) for e in p.events]
    assert stored == p.events
    assert fold(PetitionState(id="P-1"), stored) == p.state
