"""Work that must sit in somebody's list (issue 10): returned orders have a re-dispatch deadline of
the dispatch desk's, department deliveries are tracked, and every petition has a next deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import commands as cmd
from domain.enums import DeadlineState, Status, VisitOutcome
from domain.model import SYSTEM_ACTOR
from domain.timers import deadline_state, due_item, next_due
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from org.routing import ladder_from_unit
from tests.unit.domain_helpers import DISPATCHER, VISITOR, Petition

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)


def returned(demo_org, **kwargs) -> Petition:
    p = Petition(demo_org, MONDAY, **kwargs)
    p.now += timedelta(hours=1)
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    return p


def test_a_returned_order_has_a_redispatch_deadline_of_the_desk(demo_org) -> None:
    p = returned(demo_org)
    returned_event = p.events[-1]
    assert returned_event.type == "WorkOrderReturned" and returned_event.desk_code == "rencheng"
    # default policy: 1 whole working day from the next working day (Tue, to the office's close at 17:30),
    # the yellow card at 80 % of it
    assert returned_event.redispatch_due == datetime(2026, 11, 24, 17, 30, tzinfo=CHINA)
    assert returned_event.redispatch_warn_at == datetime(2026, 11, 24, 16, tzinfo=CHINA)  # 6 of 7.5 office hours
    assert p.state.status is Status.RETURNED and due_item(p.state).kind == "redispatch_warn"
    assert next_due(p.state) == returned_event.redispatch_due
    assert deadline_state(p.state) is DeadlineState.OK


def test_the_redispatch_deadline_warns_then_breaches_against_the_desk_not_the_grid(demo_org) -> None:
    p = returned(demo_org)
    fired = p.wait(timedelta(days=2))
    assert [(e.type, e.deadline, e.unit_code) for e in fired] == [
        ("DeadlineWarned", "redispatch", "rencheng"), ("DeadlineBreached", "redispatch", "rencheng")]
    assert deadline_state(p.state) is DeadlineState.OVERDUE and due_item(p.state) is None
    grid = p.state.units["rc-yuehe-taibai-g1"]
    assert (grid.accept_breaches, grid.resolve_breaches) == (0, 0)  # the grid returned it in time
    row = petition_row(p.state, updated_at=p.now.isoformat())
    assert row["deadline_state"] == "overdue" and row["redispatch_due"] is not None


def test_redispatch_stops_the_desk_clock_and_starts_the_new_units(demo_org) -> None:
    p = returned(demo_org)
    ladder = ladder_from_unit(demo_org, "rc-yuehe-yuehe-g1", "rc-yuehe-taibai-g1", "sanitation")
    p.send(cmd.Dispatch(actor=DISPATCHER, ladder=ladder))
    assert p.state.redispatch is None and p.state.status is Status.DISPATCHED
    assert petition_row(p.state, updated_at=p.now.isoformat())["redispatch_due"] is None
    assert due_item(p.state).kind == "accept"


def test_petitions_reported_under_older_rules_keep_them(demo_org) -> None:
    """Rules are frozen at report: a petition whose rules have no re-dispatch deadline never gets one."""
    p = Petition(demo_org, MONDAY)
    p.state = p.state.model_copy(update={"rules": p.state.rules.model_copy(update={"redispatch": None})})
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    assert p.events[-1].redispatch_due is None and p.state.redispatch is None
    assert due_item(p.state) is None and next_due(p.state) is None


def test_next_due_is_the_nearest_deadline_of_any_kind(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    assert next_due(p.state) == p.state.assignment.accept_due  # not accepted: accept comes first
    p.send(cmd.Accept(actor=p.handler))
    assert next_due(p.state) == p.state.assignment.resolve_due
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    assert next_due(p.state) == p.state.visit_due
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.UNREACHABLE))
    row = petition_row(p.state, updated_at=p.now.isoformat())
    assert row["visit_attempts"] == 1 and row["next_due"] is not None
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert next_due(p.state) is None


def test_a_department_order_is_pending_until_its_delivery_is_confirmed(demo_org) -> None:
    p = returned(demo_org)
    ladder = ladder_from_unit(demo_org, "rencheng-urban-management", "rc-yuehe-taibai-g1", "sanitation")
    p.send(cmd.Dispatch(actor=DISPATCHER, ladder=ladder))
    assigned_at = p.state.assignment.assigned_at
    assert p.state.delivery_pending_since == assigned_at
    assert p.send(cmd.ConfirmDelivery(actor=SYSTEM_ACTOR, delivery_id=f"{p.state.id}@1999-01-01")) == []
    delivered = p.send(cmd.ConfirmDelivery(actor=SYSTEM_ACTOR, delivery_id=f"{p.state.id}@{assigned_at.isoformat()}"))
    assert [e.type for e in delivered] == ["WorkOrderDelivered"] and p.state.delivery_pending_since is None
    assert p.send(cmd.ConfirmDelivery(actor=SYSTEM_ACTOR, delivery_id=f"{p.state.id}@{assigned_at.isoformat()}")) == []


def test_the_reporter_is_on_the_row(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    assert petition_row(p.state, updated_at=p.now.isoformat())["reported_by"] == p.events[0].actor.id
