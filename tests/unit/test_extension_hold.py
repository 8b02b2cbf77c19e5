"""An extension asked for in time holds the unit's deadline until the rung above decides (issue 11, 4).

Fast policy: grid 8 s to resolve, the rung above 5 s to decide, extensions up to 10 s."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import commands as cmd
from domain.enums import Status
from domain.errors import InvalidCommand, InvalidState
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from tests.unit.domain_helpers import Petition

START = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)


def asking_6s_before_the_deadline(demo_org, policy: str = "fast") -> Petition:
    p = Petition(demo_org, START, policy=policy)
    p.send(cmd.Accept(actor=p.handler))
    p.wait(timedelta(seconds=2))
    p.send(cmd.RequestExtension(actor=p.handler, duration={"seconds": 10}, reason="等配件"))
    return p


def test_a_late_approval_is_the_approvers_breach_and_the_unit_keeps_its_time(demo_org) -> None:
    p = asking_6s_before_the_deadline(demo_org)
    grid = p.handler
    fired = p.wait(timedelta(seconds=10))  # the grid's own deadline (8 s) passes while the request waits
    assert [(e.type, e.deadline, e.unit_code) for e in fired] == [("DeadlineBreached", "decision", "rc-yuehe-taibai")]
    assert p.state.rung.unit_code == grid.unit_code and p.state.escalations == 0  # no climb, no grid breach
    approved = p.send(cmd.DecideExtension(actor=p.overseer, approve=True))[-1]
    # the 6 s the grid had left, plus the 10 s granted, from the decision
    assert approved.resolve_due == p.now + timedelta(seconds=16) and approved.held
    record = p.state.units["rc-yuehe-taibai-g1"]
    assert (record.resolve_breaches, record.accept_breaches, record.extensions_granted) == (0, 0, 1)


def test_a_denial_restarts_the_held_clock_with_the_time_that_was_left(demo_org) -> None:
    p = asking_6s_before_the_deadline(demo_org)
    p.wait(timedelta(seconds=3))
    denied = p.send(cmd.DecideExtension(actor=p.overseer, approve=False, note="可按期办结"))[-1]
    assert denied.resolve_due == p.now + timedelta(seconds=6) and not denied.approved
    assert p.state.assignment.resolve_due == denied.resolve_due


def test_a_request_that_lapses_says_so_and_the_late_decider_gets_409_not_403(demo_org) -> None:
    p = asking_6s_before_the_deadline(demo_org)
    community = p.overseer
    events = p.send(cmd.Escalate(actor=p.handler, reason="需社区协调"))
    assert events[0].type == "ExtensionRequestLapsed" and "escalated" in events[0].reason
    with pytest.raises(InvalidState, match="lapsed at .*escalated"):
        p.send(cmd.DecideExtension(actor=community, approve=True))


def test_resolving_while_the_request_waits_is_in_time(demo_org) -> None:
    p = asking_6s_before_the_deadline(demo_org)
    p.wait(timedelta(seconds=9))  # past the original deadline, but the clock was held
    events = p.send(cmd.Resolve(actor=p.handler, result="已修复"))
    assert [e.type for e in events] == ["ExtensionRequestLapsed", "PetitionResolved"] and events[-1].in_time
    assert p.state.status is Status.RESOLVED


def test_rules_frozen_before_decision_deadlines_keep_the_old_behaviour(demo_org) -> None:
    p = Petition(demo_org, START, policy="fast")
    p.state = p.state.model_copy(update={"rules": p.state.rules.model_copy(update={"extension_decision": None})})
    p.send(cmd.Accept(actor=p.handler))
    p.wait(timedelta(seconds=2))
    p.send(cmd.RequestExtension(actor=p.handler, duration={"seconds": 10}, reason="等配件"))
    fired = p.wait(timedelta(seconds=10))
    assert "PetitionEscalated" in [e.type for e in fired]  # the deadline ran on, as it did for these petitions
    assert "ExtensionRequestLapsed" not in [e.type for e in fired]


def test_whole_working_days_are_asked_for_whole(demo_org) -> None:
    """A second trial: 1.5 whole working days was accepted and fell due at 13:45, not at closing."""
    p = Petition(demo_org, START)  # default policy: extensions in whole working days
    p.send(cmd.Accept(actor=p.handler))
    with pytest.raises(InvalidCommand, match="whole working days"):
        p.send(cmd.RequestExtension(actor=p.handler, duration={"seconds": 129_600, "clock": "whole_working_days"},
                                    reason="等配件"))


def test_while_the_request_holds_the_clock_the_row_shows_no_running_deadline(demo_org) -> None:
    p = asking_6s_before_the_deadline(demo_org)
    row = petition_row(p.state, updated_at=p.now.isoformat())
    assert row["resolve_due"] is None and row["warn_at"] is None and row["next_due"] is not None
