"""退单 ping-pong (issue 11, 3): an order sent back to the unit that returned it is final (终审) and its
clock continues; only a supervisor lets it be returned again. Default policy: grid 2 whole working days."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import commands as cmd
from domain.enums import Role
from domain.errors import InvalidState, NotPermitted
from domain.model import Actor
from domain.workcalendar import CHINA
from org.routing import ladder_from_unit
from tests.unit.domain_helpers import CAL, DISPATCHER, Petition

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)
GRID = "rc-yuehe-taibai-g1"
SUPERVISOR = Actor(id="s", name="督查员", unit_code="rencheng", role=Role.SUPERVISOR)


def sent_back(demo_org, p: Petition) -> None:
    p.send(cmd.Dispatch(actor=DISPATCHER, ladder=ladder_from_unit(demo_org, GRID, GRID, "sanitation")))


def test_sent_back_after_a_return_the_order_is_final_and_its_clock_runs_on(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    grid = p.handler
    first_due = p.state.assignment.resolve_due  # 2 whole working days from the next: Tue, Wed 17:30
    p.now += timedelta(days=1, hours=1)  # Tue 10:00: the grid has begun (spent) the first of its 2 days
    p.send(cmd.Return(actor=grid, reason="职能不符"))
    p.now += timedelta(hours=3)  # the dispatch desk's time, not the grid's
    sent_back(demo_org, p)
    assigned = p.events[-1]
    clock = p.state.rules.resolve[assigned.rung.level].clock
    assert assigned.final and assigned.resolve_due == CAL.add(p.now, 2 * 86_400 - 86_400, clock) == first_due
    assert assigned.resolve_due < CAL.add(p.now, 2 * 86_400, clock)  # a fresh clock would run to Thu 17:30
    with pytest.raises(InvalidState, match="终审"):
        p.send(cmd.Return(actor=grid, reason="职能不符"))
    with pytest.raises(NotPermitted):
        p.send(cmd.AllowReturn(actor=DISPATCHER, reason="确属职能不符"))
    p.send(cmd.AllowReturn(actor=SUPERVISOR, reason="确属职能不符"))
    assert p.send(cmd.Return(actor=grid, reason="职能不符"))[-1].type == "WorkOrderReturned"


def test_four_rounds_of_ping_pong_do_not_buy_time(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    first_due = p.state.assignment.resolve_due
    p.now += timedelta(hours=1)
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    sent_back(demo_org, p)
    assert p.state.assignment.resolve_due <= first_due  # sent back at once: no later than the first deadline
    with pytest.raises(InvalidState):
        p.send(cmd.Return(actor=p.handler, reason="职能不符"))


def test_older_rules_keep_fresh_clocks_and_repeatable_returns(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    p.state = p.state.model_copy(update={"rules": p.state.rules.model_copy(update={
        "return_final_when_sent_back": False, "return_keeps_clock": False})})
    for _ in range(4):
        p.now += timedelta(hours=1)
        p.send(cmd.Return(actor=p.handler, reason="职能不符"))
        sent_back(demo_org, p)
        assert not p.state.assignment.final
        assert p.state.assignment.resolve_due == CAL.add(p.now, 2 * 86_400, p.state.rules.resolve[
            p.state.assignment.rung.level].clock)


def test_a_sent_back_order_must_be_accepted_before_it_must_be_resolved(demo_org) -> None:
    """A second trial: the fresh accept deadline fell after the resolve deadline the unit kept."""
    p = Petition(demo_org, MONDAY, policy="fast")  # 6 s to accept, 8 s to resolve
    p.now += timedelta(seconds=7)
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    sent_back(demo_org, p)
    assert p.state.assignment.accept_due <= p.state.assignment.resolve_due


def test_dispatching_to_the_unit_that_holds_it_is_a_state_conflict(demo_org) -> None:
    """User trial: it answered 422 (a malformed command); the command is fine, the petition's state is not."""
    p = Petition(demo_org, MONDAY)
    with pytest.raises(InvalidState, match=r"already with .*\(rc-yuehe-taibai-g1\).*another unit"):
        sent_back(demo_org, p)
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    sent_back(demo_org, p)  # returned, it may go back to the same unit (终审)
    assert p.state.rung.unit_code == GRID and p.state.assignment.final


def test_sent_back_to_a_unit_that_had_accepted_it_signs_for_the_order_again(demo_org) -> None:
    """docs/deadline-rules.md, "Returns": a send-back (终审) is a new dispatch of the order, and 12345
    platforms have every dispatched order signed for (签收) by the unit that receives it — also one it had
    signed before returning it. So the unit gets a fresh accept deadline (4 office hours), never later than
    the resolve time it has left; its resolve clock runs on from the time it had used."""
    p = Petition(demo_org, MONDAY)
    grid = p.handler
    p.now += timedelta(hours=1)
    p.send(cmd.Accept(actor=grid))  # signed for on Monday
    p.now = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA)  # Tue 10:00: returned, the first day spent
    p.send(cmd.Return(actor=grid, reason="职能不符"))
    p.now = datetime(2026, 11, 24, 16, 0, tzinfo=CHINA)  # Tue 16:00: the desk sends it back
    sent_back(demo_org, p)
    a = p.state.assignment
    assert a.final and a.accepted_at is None and p.state.status.value == "dispatched"
    assert a.accept_due == CAL.add(p.now, p.state.rules.accept.seconds, p.state.rules.accept.clock)
    assert a.accept_due == datetime(2026, 11, 25, 11, 0, tzinfo=CHINA)  # Tue 16:00–17:30, Wed 08:30–11:00
    assert a.accept_due <= a.resolve_due == datetime(2026, 11, 25, 17, 30, tzinfo=CHINA)  # Wed: its 2nd day
    p.send(cmd.Accept(actor=grid))
    assert p.state.units[GRID].received == 2 and p.state.units[GRID].accepted == 2
