"""decide/evolve: the rules of the closed loop, without Temporal or PostgreSQL.

A single command's rule reads as given events / when command / then events (`decider_spec`); the
stories of several commands and timers drive a `Petition` through its life (`domain_helpers`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.enums import Clock, CloseOutcome, Level, Resolution, Role, Status, VisitOutcome
from domain.errors import InvalidCommand, InvalidState, NotPermitted
from domain.events import event_data, event_from
from domain.evolve import fold
from domain.model import SYSTEM_ACTOR, PetitionState
from domain.policy import Span
from domain.workcalendar import CHINA
from tests.unit import decider_spec as spec
from tests.unit.decider_spec import (
    ACCEPT_DUE,
    COMMUNITY,
    COMMUNITY_STAFF,
    GRID,
    GRID_WORKER,
    OTHER_COMMUNITY_STAFF,
    RESOLVE_DUE,
    SUPERVISOR,
    WARN_AT,
    actor,
    given,
    reported,
)
from tests.unit.domain_helpers import DISPATCHER, VISITOR, Petition

MONDAY = spec.MONDAY


def at(text: str) -> datetime:
    """A moment in Beijing time: at("Mon 23 Nov 15:00") reads better than a datetime(...)."""
    return datetime.strptime(f"2026 {text}", "%Y %a %d %b %H:%M").replace(tzinfo=CHINA)


# --- given / when / then ------------------------------------------------------------------------


def test_a_report_assigns_the_first_rung_with_working_day_deadlines(demo_org) -> None:
    facts = reported(demo_org)
    r = facts[0]
    assert isinstance(r, ev.PetitionReported)
    report = cmd.Report(actor=r.actor, petition_id=r.petition_id, category=r.category, description=r.description,
                        grid_code=r.grid_code, channel=r.channel, policy_name=r.policy_name, rules=r.rules,
                        ladder=r.ladder, desk_code=r.desk_code, tracks_delivery=True)
    given().when(report, at=MONDAY).then(*facts)  # accept Mon 14:30, warned Tue 17:30, resolve Wed 17:30
    given(*facts).when(report).then_raises(InvalidState, "already been reported")


def test_the_handling_unit_accepts_in_time_or_late(demo_org) -> None:
    given(*reported(demo_org)).when(cmd.Accept(actor=GRID_WORKER), at=at("Mon 23 Nov 10:00")).then(
        ev.WorkOrderAccepted(at=at("Mon 23 Nov 10:00"), unit_code=GRID, in_time=True, actor=GRID_WORKER))
    given(*reported(demo_org)).when(cmd.Accept(actor=GRID_WORKER), at=at("Mon 23 Nov 15:00")).then(
        ev.WorkOrderAccepted(at=at("Mon 23 Nov 15:00"), unit_code=GRID, in_time=False, actor=GRID_WORKER))


def test_only_the_handling_unit_accepts_and_only_once(demo_org) -> None:
    other_grid = actor("rc-yuehe-taibai-g2", Role.GRID_WORKER)
    given(*reported(demo_org)).when(cmd.Accept(actor=other_grid)).then_raises(NotPermitted, "only the handling unit")
    given(*reported(demo_org)).when(cmd.Accept(actor=SUPERVISOR)).then_raises(NotPermitted, "accept needs one of")
    given(*reported(demo_org), spec.accepted()).when(cmd.Accept(actor=GRID_WORKER)).then_raises(
        InvalidState, "it must be dispatched")


def test_an_unaccepted_order_is_breached_and_urged_when_the_timer_fires(demo_org) -> None:
    given(*reported(demo_org)).when(cmd.Tick(), at=at("Mon 23 Nov 15:00")).then(
        ev.DeadlineBreached(at=at("Mon 23 Nov 15:00"), unit_code=GRID, deadline="accept", due=ACCEPT_DUE),
        ev.PetitionUrged(at=at("Mon 23 Nov 15:00"), unit_code=GRID, automatic=True, actor=SYSTEM_ACTOR,
                         note="not accepted in time / 超时未签收"),
    )
    given(*reported(demo_org)).when(cmd.Tick(), at=at("Mon 23 Nov 14:00")).then()  # nothing due yet


def test_return_only_within_the_window(demo_org) -> None:
    given(*reported(demo_org)).when(cmd.Return(actor=GRID_WORKER, reason="not ours"), at=at("Thu 26 Nov 09:00")) \
        .then_raises(InvalidCommand, "return window")


def test_an_extension_is_at_most_the_policy_limit(demo_org) -> None:
    given(*reported(demo_org), spec.accepted()).when(
        cmd.RequestExtension(actor=GRID_WORKER, duration={"whole_working_days": 11}, reason="施工"),
    ).then_raises(InvalidCommand, "at most 10 working day")


def extension_requested(days: int = 3) -> ev.ExtensionRequested:
    """The grid asked at 10:00 on MONDAY, in time: the rung above decides by Tue 17:30 and the grid's clock
    stands still with its 2 working days (and 1 before the warning) left."""
    return ev.ExtensionRequested(
        at=at("Mon 23 Nov 10:00"), unit_code=GRID, span=Span(seconds=days * 86_400, clock=Clock.WHOLE_WORKING_DAYS),
        reason="需协调施工队", actor=GRID_WORKER, decide_due=at("Tue 24 Nov 17:30"), resolve_left=2 * 86_400,
        warn_left=86_400)


def test_the_rung_above_grants_an_extension_on_the_held_clock(demo_org) -> None:
    # the 2 days left and the 3 granted count from the decision: Tue to Mon, due when the office closes
    given(*reported(demo_org), spec.accepted(), extension_requested()).when(
        cmd.DecideExtension(actor=COMMUNITY_STAFF, approve=True), at=at("Mon 23 Nov 11:00"),
    ).then(ev.ExtensionDecided(at=at("Mon 23 Nov 11:00"), unit_code=GRID, approved=True, note="", held=True,
                               warn_at=at("Fri 27 Nov 17:30"), resolve_due=at("Mon 30 Nov 17:30"),
                               actor=COMMUNITY_STAFF))


def test_a_denied_extension_gives_back_only_the_time_that_was_left(demo_org) -> None:
    given(*reported(demo_org), spec.accepted(), extension_requested()).when(
        cmd.DecideExtension(actor=COMMUNITY_STAFF, approve=False, note="可当天办结"), at=at("Mon 23 Nov 11:00"),
    ).then(ev.ExtensionDecided(at=at("Mon 23 Nov 11:00"), unit_code=GRID, approved=False, note="可当天办结", held=True,
                               warn_at=WARN_AT, resolve_due=RESOLVE_DUE, actor=COMMUNITY_STAFF))


def test_only_the_rung_above_decides_an_extension(demo_org) -> None:
    asked = given(*reported(demo_org), spec.accepted(), extension_requested())
    asked.when(cmd.DecideExtension(actor=GRID_WORKER, approve=True)).then_raises(
        NotPermitted, "extension-decision needs one of the roles")  # a grid worker never decides one
    asked.when(cmd.DecideExtension(actor=actor(GRID, Role.COMMUNITY_STAFF), approve=True)).then_raises(
        NotPermitted, "rung above")  # nor does an overseeing role of the unit that asked
    asked.when(cmd.DecideExtension(actor=OTHER_COMMUNITY_STAFF, approve=True)).then_raises(NotPermitted, "rung above")


def test_one_extension_only(demo_org) -> None:
    granted = ev.ExtensionDecided(at=at("Mon 23 Nov 11:00"), unit_code=GRID, approved=True, note="", held=True,
                                  warn_at=at("Fri 27 Nov 17:30"), resolve_due=at("Mon 30 Nov 17:30"),
                                  actor=COMMUNITY_STAFF)
    given(*reported(demo_org), spec.accepted(), extension_requested(), granted).when(
        cmd.RequestExtension(actor=GRID_WORKER, duration={"whole_working_days": 1}, reason="again"),
    ).then_raises(InvalidCommand, "none is left")


def test_supervisors_urge_any_open_order_and_overseeing_staff_only_the_one_below_them(demo_org) -> None:
    """The catalogue's rule for 督办/催办 (urge): supervisors, dispatchers and admins anywhere; community and
    street staff as the rung above; no other role, even of the rung above's unit."""
    for urger in (SUPERVISOR, spec.DISPATCHER, actor("jining", Role.ADMIN), COMMUNITY_STAFF):
        given(*reported(demo_org)).when(cmd.Urge(actor=urger, note="群众反映强烈, 请尽快处理")).then(
            ev.PetitionUrged(at=MONDAY, unit_code=GRID, note="群众反映强烈, 请尽快处理", automatic=False, actor=urger))
    given(*reported(demo_org)).when(cmd.Urge(actor=OTHER_COMMUNITY_STAFF, note="催办")).then_raises(
        NotPermitted, "the rung above may urge")
    for role in (Role.GRID_WORKER, Role.RETURN_VISITOR, Role.AUDITOR):  # of the rung above's unit, still refused
        given(*reported(demo_org)).when(cmd.Urge(actor=actor(COMMUNITY, role), note="催办")).then_raises(
            NotPermitted, "urge needs one of the roles")


def test_close_outcomes_are_explicit(demo_org) -> None:
    open_ = given(*reported(demo_org))
    open_.when(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.DUPLICATE)).then_raises(InvalidCommand, "explanation")
    open_.when(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.RESOLVED)).then_raises(
        InvalidState, "resolved as fixed")
    open_.when(cmd.Close(actor=GRID_WORKER, outcome=CloseOutcome.WITHDRAWN, explanation="群众撤回")).then_raises(
        NotPermitted, "close needs one of the roles")


def test_a_closed_petition_takes_no_command_but_a_reopen(demo_org) -> None:
    withdrawn = ev.PetitionClosed(at=at("Mon 23 Nov 10:00"), outcome=CloseOutcome.WITHDRAWN,
                                  visit_outcome=VisitOutcome.NOT_VISITED, explanation="群众来电撤回", actor=DISPATCHER)
    closed = given(*reported(demo_org), withdrawn)
    closed.when(cmd.Accept(actor=GRID_WORKER)).then_raises(InvalidState, "closed")
    closed.when(cmd.Tick(), at=at("Mon 30 Nov 10:00")).then()  # no clock runs on a closed petition
    closed.when(cmd.ReopenClosed(actor=DISPATCHER, reason="群众再次来电")).then_raises(
        InvalidState, "closed as withdrawn is not reopened")


# --- stories: several commands and timers -------------------------------------------------------


def accepted_petition(demo_org, **kwargs) -> Petition:
    p = Petition(demo_org, MONDAY, **kwargs)
    p.send(cmd.Accept(actor=p.handler))
    return p


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


def test_pause_needs_the_rung_above_and_shifts_the_deadline(demo_org) -> None:
    p = accepted_petition(demo_org)
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
    p = accepted_petition(demo_org)
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
    p = accepted_petition(demo_org)
    assert p.state.rules.dissatisfied_at_limit == "not_resolved"  # the shipped policy's rule, frozen at report
    events = _dissatisfied_to_the_limit(p)
    closed = next(e for e in events if e.type == "PetitionClosed")
    assert closed.outcome is CloseOutcome.CLOSED_NOT_RESOLVED and "未解决办结" in closed.explanation
    assert p.state.close_outcome is CloseOutcome.CLOSED_NOT_RESOLVED
    assert {e.close_outcome for e in events if e.type == "UnitEvaluated"} == {CloseOutcome.CLOSED_NOT_RESOLVED}


def test_petitions_reported_under_older_rules_still_close_as_resolved_at_the_limit(demo_org) -> None:
    p = accepted_petition(demo_org)
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
    p = accepted_petition(demo_org)
    p.send(cmd.Resolve(actor=p.handler, result="已修复"))
    for _ in range(2):
        p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
        assert p.state.status is Status.RESOLVED
        p.wait(timedelta(hours=2))  # the policy's least time between two tries
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
    assert p.state.status is Status.CLOSED and p.state.last_visit is VisitOutcome.UNREACHABLE


def test_a_second_unreachable_attempt_too_soon_is_refused_with_when_it_may_be_made(demo_org) -> None:
    """A retried 'unreachable' must not count as the next attempt (issue 11: retried commands)."""
    p = accepted_petition(demo_org)
    p.send(cmd.Resolve(actor=p.handler, result="已修复"))
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
    p.wait(timedelta(minutes=30))
    with pytest.raises(InvalidState, match=r"from \d{4}-\d\d-\d\d 1\d:\d\d:\d\d \(Beijing time\)"):
        p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
    assert p.state.visit_attempts == 1
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))  # a call that got through counts
    assert p.state.status is Status.CLOSED


def test_no_visit_in_the_window_closes_as_not_visited(demo_org) -> None:
    p = accepted_petition(demo_org)
    p.send(cmd.Resolve(actor=p.handler, resolution=Resolution.NOT_FIXED_EXPLAINED, result="需纳入改造计划"))
    p.wait(timedelta(days=10))
    assert p.state.close_outcome is CloseOutcome.CLOSED_WITHOUT_FIX
    assert p.state.last_visit is VisitOutcome.NOT_VISITED


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
    p = accepted_petition(demo_org)
    p.send(cmd.Resolve(actor=p.handler, result="已清运", evidence_urls=["https://x/1.jpg"]))
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    stored = [event_from(e.type, event_data(e)) for e in p.events]
    assert stored == p.events
    assert fold(PetitionState(id="P-1"), stored) == p.state


def test_a_close_by_the_system_explains_itself_in_chinese_first(demo_org) -> None:
    """Found in a trial (issue 11 §7): closes the system writes read in Chinese, like the others."""
    p = Petition(demo_org, datetime(2026, 11, 30, 9, tzinfo=CHINA), policy="fast")
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    for _ in range(p.state.rules.visit_attempts):
        p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
        p.now += timedelta(days=1)
    assert p.state.status is Status.CLOSED
    closed = next(e for e in p.events if e.type == "PetitionClosed")
    assert closed.explanation.startswith(f"{p.state.rules.visit_attempts}次回访均未联系上群众")


def test_a_unit_the_petition_moved_away_from_is_told_409_not_403(demo_org) -> None:
    """Two cadres at once (issue 16 §2): the grid asks to escalate while its colleague resolves. The escalation
    wins; the resolve, decided against the new state, is a conflict of state (409, InvalidState: the petition
    moved on), not a refusal of the unit's right (403) — the grid did hold it. A unit that never held it is
    still refused as before (NotPermitted)."""
    p = Petition(demo_org, MONDAY)
    grid = p.handler
    p.send(cmd.Accept(actor=grid))
    p.send(cmd.Escalate(actor=grid, reason="需社区协调"))
    assert p.state.rung.unit_code != grid.unit_code
    with pytest.raises(InvalidState, match="moved on"):
        p.send(cmd.Resolve(actor=grid, result="已处理"))
    with pytest.raises(NotPermitted, match="only the handling unit"):
        p.send(cmd.Resolve(actor=actor("rc-yuehe-taibai-g2", Role.GRID_WORKER), result="已处理"))
