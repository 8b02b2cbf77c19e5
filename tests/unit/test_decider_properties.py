"""Any sequence of commands, valid or not, folds to a valid state (property-based)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as cmd
from domain.enums import CloseOutcome, PauseReason, Status, VisitOutcome
from domain.errors import DomainError
from domain.timers import due_item
from domain.workcalendar import CHINA
from tests.unit.domain_helpers import DISPATCHER, VISITOR, Petition, unit_actor

START = datetime(2026, 11, 23, 9, tzinfo=CHINA)

WHO = st.sampled_from(["handler", "overseer", "dispatcher", "visitor", "stranger"])


def _command(kind: str, who, p: Petition, choice: int):
    actor = {"handler": p.handler if p.state.rung else unit_actor("x"), "overseer": p.overseer if p.state.rung
             else unit_actor("x"), "dispatcher": DISPATCHER, "visitor": VISITOR,
             "stranger": unit_actor("rc-jiyang-caoqiao-g1")}[who]
    return {
        "accept": lambda: cmd.Accept(actor=actor),
        "return": lambda: cmd.Return(actor=actor, reason="misrouted"),
        "escalate": lambda: cmd.Escalate(actor=actor, reason="beyond us"),
        "extension_request": lambda: cmd.RequestExtension(actor=actor, duration={"whole_working_days": 1 + choice % 12},
                                                          reason="needs time"),
        "extension_decision": lambda: cmd.DecideExtension(actor=actor, approve=choice % 2 == 0),
        "pause": lambda: cmd.Pause(actor=actor, reason="waiting", reason_kind=PauseReason.WAITING_RESIDENT,
                                   approve=choice % 3 != 0),
        "resume": lambda: cmd.Resume(actor=actor),
        "progress": lambda: cmd.NoteProgress(actor=actor, note="on it"),
        "resolve": lambda: cmd.Resolve(actor=actor, result="done"),
        "urge": lambda: cmd.Urge(actor=actor, note="hurry"),
        "return_visit": lambda: cmd.RecordReturnVisit(actor=actor, outcome=list(VisitOutcome)[choice % 5]),
        "close": lambda: cmd.Close(actor=actor, outcome=list(CloseOutcome)[choice % 5], explanation="because"),
    }[kind]()


STEP = st.tuples(
    st.sampled_from(["accept", "return", "escalate", "extension_request", "extension_decision", "pause", "resume",
                     "progress", "resolve", "urge", "return_visit", "close", "wait"]),
    WHO,
    st.integers(min_value=0, max_value=100),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, max_size=30))
def test_any_command_sequence_folds_to_a_valid_state(demo_org, steps) -> None:
    p = Petition(demo_org, START)
    for kind, who, choice in steps:
        if kind == "wait":
            p.wait(timedelta(hours=choice))
            continue
        before = p.state
        try:
            p.send(_command(kind, who, p, choice))
        except DomainError:
            assert p.state == before  # a rejected command changes nothing
        p.now += timedelta(minutes=5)
    s = p.state
    assert s.version == len(p.events)
    assert s.assignment is None or 0 <= s.assignment.rung_index < len(s.ladder)
    assert s.extensions_granted <= s.rules.max_extensions and s.reopens <= s.rules.max_reopens
    if s.status is Status.CLOSED:
        assert due_item(s) is None and s.close_outcome is not None
        evaluated = [e for e in p.events if e.type == "UnitEvaluated"]
        assert {e.record.unit_code for e in evaluated} == set(s.units)
    if s.status is Status.PAUSED:
        assert s.paused is not None and due_item(s) is None
    if s.status is Status.RESOLVED:
        assert s.resolution is not None and s.visit_due is not None
