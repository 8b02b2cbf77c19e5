"""结案后重办: a resident calls again about a closed petition (issue 11, section 6)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from config.reference_data import load_policy
from domain import commands as cmd
from domain import events as ev
from domain.catalogue import decide
from domain.enums import Channel, CloseOutcome, Role, Status, Urgency, VisitOutcome
from domain.errors import InvalidState, NotPermitted
from domain.evaluation import ScoringWeights, scorecard
from domain.events import event_from
from domain.evolve import fold
from domain.model import Actor, PetitionState
from domain.workcalendar import CHINA
from tests.unit.domain_helpers import CAL, DISPATCHER, GRID, VISITOR, Petition, unit_actor

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)
SUPERVISOR = Actor(id="s", name="督办员", unit_code="rencheng", role=Role.SUPERVISOR)


def closed(demo_org) -> Petition:
    p = Petition(demo_org, MONDAY)
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert p.state.status is Status.CLOSED
    return p


def reopen(**kwargs) -> cmd.ReopenClosed:
    return cmd.ReopenClosed(**{"actor": DISPATCHER, "reason": "居民再次来电: 垃圾又堆起来了",
                               "contact_name": "陈秀英", "contact_phone": "13805379999", **kwargs})


def test_a_dispatcher_reopens_a_closed_petition_to_the_unit_that_resolved_it(demo_org) -> None:
    p = closed(demo_org)
    p.now += timedelta(days=3)
    reopened, assigned = p.send(reopen())
    assert isinstance(reopened, ev.PetitionReopened) and reopened.after_close
    assert reopened.contact_phone == "13805379999" and reopened.actor == DISPATCHER
    assert isinstance(assigned, ev.WorkOrderAssigned) and assigned.cause == "reopen"
    s = p.state
    assert s.status is Status.DISPATCHED and s.rung.unit_code == "rc-yuehe-taibai-g1"
    assert s.assignment.assigned_at == p.now and s.assignment.resolve_due > p.now  # fresh clocks
    assert s.closed_at is None and s.close_outcome is None and s.resolution is None
    assert s.reopens == 1 and s.reopened_after_close == 1 and s.units["rc-yuehe-taibai-g1"].reopens == 1
    # the loop runs again: resolved, return-visited, closed a second time
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已再次清运"))
    closing = p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert p.state.status is Status.CLOSED
    [record] = [e for e in closing if isinstance(e, ev.UnitEvaluated)]
    assert record.record.reopens == 1 and record.record.received == 2
    assert sum(isinstance(e, ev.PetitionClosed) for e in p.events) == 2


def test_a_supervisor_may_reopen_but_not_a_grid_worker_or_return_visitor(demo_org) -> None:
    p = closed(demo_org)
    for actor in (unit_actor("rc-yuehe-taibai-g1"), VISITOR):
        with pytest.raises(NotPermitted):
            p.send(reopen(actor=actor))
    p.send(reopen(actor=SUPERVISOR))
    assert p.state.status is Status.DISPATCHED


def test_outside_the_window_it_is_refused_and_says_until_when(demo_org) -> None:
    p = closed(demo_org)
    p.now += timedelta(days=30, minutes=1)  # default: 30 natural days after closing
    with pytest.raises(InvalidState, match="could be reopened until"):
        p.send(reopen())


def test_rules_frozen_before_the_window_existed_do_not_allow_it(demo_org) -> None:
    p = closed(demo_org)
    p.state = p.state.model_copy(update={"rules": p.state.rules.model_copy(update={"reopen_after_close": None})})
    with pytest.raises(InvalidState, match="do not allow reopening"):
        p.send(reopen())


@pytest.mark.parametrize("outcome", [CloseOutcome.DUPLICATE, CloseOutcome.WITHDRAWN])
def test_duplicates_and_withdrawn_petitions_are_not_reopened(demo_org, outcome) -> None:
    p = Petition(demo_org, MONDAY)
    p.send(cmd.Close(actor=DISPATCHER, outcome=outcome, explanation="重复/撤回"))
    with pytest.raises(InvalidState, match=outcome.value):
        p.send(reopen())


def test_closed_without_a_resolution_goes_back_to_the_rung_that_held_it_last(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    p.send(cmd.Escalate(actor=p.handler, reason="需要社区协调"))
    held = p.state.rung.unit_code
    p.send(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.NOT_GOVERNMENT_RESPONSIBILITY, explanation="私人纠纷"))
    p.send(reopen())
    assert p.state.rung.unit_code == held and p.state.status is Status.DISPATCHED


def test_only_a_closed_petition_is_reopened_this_way(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    with pytest.raises(InvalidState, match="not closed"):
        p.send(reopen())


def test_reopens_recorded_before_the_new_fields_still_decode() -> None:
    old = event_from("PetitionReopened", {"at": MONDAY.isoformat(), "unit_code": "g", "reopen_count": 1,
                                          "note": "不满意"})
    assert not old.after_close and old.contact_phone == "" and old.actor is None


def test_a_petition_reported_as_following_a_closed_one_records_the_link(demo_org) -> None:
    first = closed(demo_org)
    rules = load_policy("default").rules_for("sanitation", Urgency.NORMAL)
    events = decide(PetitionState(id="P-2"), cmd.Report(
        actor=unit_actor(GRID), petition_id="P-2", category="sanitation", description="垃圾又堆积", grid_code=GRID,
        channel=Channel.HOTLINE, policy_name="default", rules=rules, ladder=first.state.ladder, follows="P-1",
        follows_unit=GRID), MONDAY + timedelta(days=2), CAL)
    assert [type(e).__name__ for e in events] == ["PetitionReported", "FollowUpReported", "WorkOrderAssigned"]
    assert events[1].follows == "P-1" and events[1].unit_code == GRID
    assert fold(PetitionState(id="P-2"), events).follows == "P-1"
    # the unit charged sees the follow-up among its reopens (facts of the followed petition carry it)
    record = first.state.units[GRID].model_dump()
    card = scorecard({"unit_code": GRID}, [{**record, "follow_ups": 1}], ScoringWeights())
    assert card.reopens == 1 and card.follow_ups == 1
    assert scorecard({"unit_code": GRID}, [record], ScoringWeights()).reopens == 0  # facts without the column


def test_the_what_if_replays_a_reopen_after_close(demo_org) -> None:
    from evaluation.whatif import replay

    p = closed(demo_org)
    p.now += timedelta(days=1)
    p.send(reopen())
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已再次清运"))
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    state, _ = replay(p.events, CAL, None)  # (the closes by a visit count as skipped Close commands, as before)
    assert state.status is Status.CLOSED and state.reopened_after_close == 1
    assert state.units[GRID].reopens == 1


def _reopened_after_close_then_dissatisfied(p: Petition) -> list:
    p.now += timedelta(days=3)
    p.send(reopen())
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已再次清运"))
    return p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED))


def test_a_reopen_after_close_does_not_use_up_the_dissatisfied_reopen_limit(demo_org) -> None:
    """The limit (`max_reopens`) is on how many times a dissatisfied resident sends the work back at a
    return visit; a supervisor's or dispatcher's reopen after close is not one of them. With a limit of 1,
    the first dissatisfied visit after a reopen after close reopens the petition (before: it closed as
    closed_not_resolved at once)."""
    p = closed(demo_org)
    p.state = p.state.model_copy(update={"rules": p.state.rules.model_copy(update={"max_reopens": 1})})
    assert p.state.rules.after_close_counts_to_limit is False  # the shipped policy's choice, frozen at report
    events = _reopened_after_close_then_dissatisfied(p)
    assert [e.type for e in events] == ["ReturnVisitRecorded", "PetitionReopened", "WorkOrderAssigned"]
    assert p.state.reopens == 2 and p.state.reopened_after_close == 1
    # the next dissatisfied visit is at the limit: closed, not resolved
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="第三次清运"))
    last = p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.DISSATISFIED))
    assert p.state.close_outcome is CloseOutcome.CLOSED_NOT_RESOLVED and last[0].type == "ReturnVisitRecorded"


def test_petitions_reported_before_the_choice_keep_counting_a_reopen_after_close(demo_org) -> None:
    p = closed(demo_org)
    frozen = p.state.rules.model_dump(mode="json")
    del frozen["after_close_counts_to_limit"]  # rules frozen before the field existed
    p.state = p.state.model_copy(update={"rules": type(p.state.rules).model_validate(frozen | {"max_reopens": 1})})
    assert p.state.rules.after_close_counts_to_limit is True
    _reopened_after_close_then_dissatisfied(p)
    assert p.state.close_outcome is CloseOutcome.CLOSED_NOT_RESOLVED
