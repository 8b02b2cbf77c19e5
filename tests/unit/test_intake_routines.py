"""Issue 14 §1, §2, §6 in the pure domain: on the spot, triage at intake, linked callers, the channel a fact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.reference_data import load_policy
from domain import commands as cmd
from domain import events as ev
from domain.catalogue import decide
from domain.channels import ChannelRefused, channel_of
from domain.enums import (
    Channel,
    CloseOutcome,
    EmergencyLine,
    LegalChannel,
    RequestType,
    Role,
    Status,
    TriageOutcome,
    Urgency,
    VisitOutcome,
)
from domain.errors import InvalidCommand, InvalidState, NotPermitted
from domain.evolve import fold
from domain.model import PetitionState
from org.routing import dispatch_desk, ladder_for_report, ladder_from_unit
from tests.unit.decider_spec import MONDAY
from tests.unit.domain_helpers import CAL, DISPATCHER, GRID, VISITOR, Petition, unit_actor

RULES = load_policy("default").rules_for("sanitation", Urgency.NORMAL)


def _fields(org, **extra):
    return dict(petition_id="P-1", category="sanitation", description="垃圾堆积", grid_code=GRID, policy_name="default",
                rules=RULES, desk_code=dispatch_desk(org, GRID), tracks_delivery=True, **extra)


def _on_the_spot(org, actor=None):
    return cmd.ReportOnTheSpot(actor=actor or unit_actor(GRID), channel=Channel.GRID_WORKER,
                               ladder=ladder_from_unit(org, GRID, GRID, "sanitation"), result="已当场清理",
                               evidence_urls=["https://img.example.cn/after.jpg"], **_fields(org))


def _triaged(org, triage: TriageOutcome, **extra):
    return cmd.ReportTriaged(actor=DISPATCHER, channel=Channel.HOTLINE,
                             ladder=ladder_for_report(org, GRID, "sanitation"), triage=triage,
                             reporter_name="陈秀英", reporter_phone="13805371234",
                             **_fields(org, **extra))


def _run(command) -> tuple[list, PetitionState]:
    events = decide(PetitionState(id="P-1"), command, MONDAY, CAL)
    return events, fold(PetitionState(id="P-1"), events)


# --- §6: the channel follows from the reporter's role ----------------------------------------------


def test_the_channel_follows_from_the_role_and_open311_from_no_role() -> None:
    assert channel_of(Role.GRID_WORKER) is Channel.GRID_WORKER
    assert channel_of(Role.DISPATCHER) is Channel.HOTLINE
    assert channel_of(Role.COMMUNITY_STAFF) is Channel.STAFF
    assert channel_of(Role.DISPATCHER, Channel.WEB) is Channel.WEB
    with pytest.raises(ChannelRefused, match="grid_worker .*not hotline"):
        channel_of(Role.GRID_WORKER, Channel.HOTLINE)
    with pytest.raises(ChannelRefused, match="only the Open311 endpoint"):
        channel_of(Role.ADMIN, Channel.OPEN311)
    with pytest.raises(ChannelRefused, match="does not report"):
        channel_of(Role.RETURN_VISITOR)


# --- §1: on the spot --------------------------------------------------------------------------------


def test_on_the_spot_reports_accepts_and_resolves_in_one_step_and_is_still_visited(demo_org) -> None:
    events, state = _run(_on_the_spot(demo_org))
    assert [e.type for e in events] == ["PetitionReported", "WorkOrderAssigned", "WorkOrderAccepted",
                                        "PetitionResolved"]
    resolved = events[-1]
    assert resolved.on_the_spot and resolved.in_time and resolved.evidence_urls == ["https://img.example.cn/after.jpg"]
    assert state.status is Status.RESOLVED and state.visit_due is not None
    assert state.units[GRID].resolved_on_the_spot == 1 and state.units[GRID].resolved_in_time == 1
    closed = decide(state, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED), MONDAY, CAL)
    evaluated = [e for e in closed if isinstance(e, ev.UnitEvaluated)]
    assert closed[1].outcome is CloseOutcome.RESOLVED and evaluated[0].record.resolved_on_the_spot == 1


def test_only_the_grids_own_worker_resolves_on_the_spot(demo_org) -> None:
    with pytest.raises(NotPermitted, match="grid worker of grid"):
        _run(_on_the_spot(demo_org, unit_actor("rc-yuehe-taibai-g2")))
    with pytest.raises(NotPermitted, match="needs one of the roles: grid_worker"):
        _run(_on_the_spot(demo_org, unit_actor(GRID, Role.COMMUNITY_STAFF)))


def test_on_the_spot_needs_evidence(demo_org) -> None:
    with pytest.raises(ValueError, match="evidence_urls"):
        cmd.ReportOnTheSpot.model_validate({**_on_the_spot(demo_org).model_dump(), "evidence_urls": []})


# --- §2: triage at intake ---------------------------------------------------------------------------


@pytest.mark.parametrize(("triage", "extra", "closes"), [
    (TriageOutcome.ANSWERED, {"request_type": RequestType.CONSULTATION, "answer": "供暖费可在社区服务中心缴纳"},
     CloseOutcome.ANSWERED_AT_INTAKE),
    (TriageOutcome.EMERGENCY_HANDOVER, {"emergency_line": EmergencyLine.FIRE}, CloseOutcome.HANDED_OVER),
    (TriageOutcome.LEGAL_CHANNEL, {"legal_channel": LegalChannel.LITIGATION}, CloseOutcome.REFERRED_TO_LEGAL_CHANNEL),
    (TriageOutcome.OUTSIDE_DUTIES, {}, CloseOutcome.NOT_GOVERNMENT_RESPONSIBILITY),
])
def test_each_triage_outcome_is_an_event_with_its_reason_and_closes_without_an_order(demo_org, triage, extra,
                                                                                      closes) -> None:
    events, state = _run(_triaged(demo_org, triage, reason="按规定分流", **extra))
    assert [e.type for e in events] == ["PetitionReported", "IntakeTriaged", "PetitionClosed"]
    assert events[1].outcome is triage and events[1].reason == "按规定分流"
    assert state.status is Status.CLOSED and state.close_outcome is closes and state.assignment is None
    assert state.triage is triage and state.units == {}
    with pytest.raises(InvalidState, match="not reopened"):
        decide(state, cmd.ReopenClosed(actor=DISPATCHER, reason="again"), MONDAY, CAL)


def test_only_a_consultation_with_an_answer_is_answered_at_intake(demo_org) -> None:
    with pytest.raises(InvalidCommand, match="only a consultation"):
        _run(_triaged(demo_org, TriageOutcome.ANSWERED, reason="r", request_type=RequestType.COMPLAINT, answer="a"))
    with pytest.raises(InvalidCommand, match="answer"):
        _run(_triaged(demo_org, TriageOutcome.ANSWERED, reason="r", request_type=RequestType.CONSULTATION))
    with pytest.raises(InvalidCommand, match="emergency_line"):
        _run(_triaged(demo_org, TriageOutcome.EMERGENCY_HANDOVER, reason="r"))
    with pytest.raises(InvalidCommand, match="legal_channel"):
        _run(_triaged(demo_org, TriageOutcome.OUTSIDE_DUTIES, reason="r", legal_channel=LegalChannel.ARBITRATION))
    for triage in (TriageOutcome.DISPATCH, TriageOutcome.SAME_MATTER):
        with pytest.raises(InvalidCommand, match="does not close"):
            _run(_triaged(demo_org, triage, reason="r"))


def test_an_anonymous_caller_leaves_no_name_or_phone(demo_org) -> None:
    with pytest.raises(InvalidCommand, match="anonymous"):
        _run(_triaged(demo_org, TriageOutcome.OUTSIDE_DUTIES, reason="r", anonymous=True))


# --- §2: the same matter, no new facts --------------------------------------------------------------


def _resolved_with_a_linked_caller(org) -> Petition:
    p = Petition(org, MONDAY)
    p.send(cmd.LinkCaller(actor=DISPATCHER, reason="同一事项, 无新情况", caller_name="李四",
                          caller_phone="13900000000"))
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    return p


def test_a_linked_caller_is_visited_too_before_the_petition_closes(demo_org) -> None:
    p = _resolved_with_a_linked_caller(demo_org)
    assert p.state.linked_callers[0].caller == 1 and p.state.linked_callers[0].caller_name == "李四"
    assert [e.type for e in p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))] == [
        "ReturnVisitRecorded"]
    assert p.state.status is Status.RESOLVED and p.state.reporter_visited
    with pytest.raises(InvalidState, match="linked callers \\[1\\]"):
        decide(p.state, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED), p.now, CAL)
    events = p.send(cmd.VisitLinkedCaller(actor=VISITOR, caller=1, outcome=VisitOutcome.BASICALLY_SATISFIED))
    assert [e.type for e in events][:2] == ["LinkedCallerVisited", "PetitionClosed"]
    assert p.state.close_outcome is CloseOutcome.RESOLVED and p.state.last_visit is VisitOutcome.SATISFIED


def test_a_linked_caller_visited_first_lets_the_reporters_visit_close_it(demo_org) -> None:
    p = _resolved_with_a_linked_caller(demo_org)
    assert [e.type for e in p.send(cmd.VisitLinkedCaller(actor=VISITOR, caller=1,
                                                         outcome=VisitOutcome.SATISFIED))] == ["LinkedCallerVisited"]
    with pytest.raises(InvalidState, match="visited already"):
        decide(p.state, cmd.VisitLinkedCaller(actor=VISITOR, caller=1, outcome=VisitOutcome.SATISFIED), p.now, CAL)
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert p.state.status is Status.CLOSED


def test_the_visit_window_closes_with_the_reporters_answer_when_a_linked_caller_was_not_reached(demo_org) -> None:
    p = _resolved_with_a_linked_caller(demo_org)
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    p.wait(timedelta(days=30))
    assert p.state.status is Status.CLOSED and p.state.last_visit is VisitOutcome.SATISFIED


def test_linking_needs_a_phone_or_anonymity_and_an_anonymous_caller_is_not_waited_for(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    with pytest.raises(InvalidCommand, match="caller_phone"):
        decide(p.state, cmd.LinkCaller(actor=DISPATCHER, reason="同一事项"), p.now, CAL)
    with pytest.raises(NotPermitted):
        decide(p.state, cmd.LinkCaller(actor=VISITOR, reason="同一事项", anonymous=True), p.now, CAL)
    p.send(cmd.LinkCaller(actor=DISPATCHER, reason="同一事项", anonymous=True))
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    with pytest.raises(InvalidState, match="anonymous"):
        decide(p.state, cmd.VisitLinkedCaller(actor=VISITOR, caller=1, outcome=VisitOutcome.SATISFIED), p.now, CAL)
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert p.state.status is Status.CLOSED


def test_events_recorded_before_issue_14_decode_with_the_defaults(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    data = ev.event_data(p.events[0])
    for name in ("request_type", "anonymous"):
        data.pop(name)
    old = ev.event_from("PetitionReported", data)
    assert old.request_type is None and not old.anonymous
