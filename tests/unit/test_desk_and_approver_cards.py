"""Breaches that are not the holder's count on the right unit's card (issue 11 §3, §4).

The dispatch desk's missed re-dispatch deadline and its time holding a returned order are on the
desk's (district's) card; an extension decision past its deadline is on the approver's card. Default
policy, Jining winter office hours (08:30–12:00, 13:30–17:30), re-dispatch and decisions within 1
whole working day."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import commands as cmd
from domain.enums import CloseOutcome, Level, Role, VisitOutcome
from domain.evaluation import ScoringWeights, scorecard
from domain.model import Actor
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from org.routing import ladder_from_unit
from tests.unit.domain_helpers import DISPATCHER, VISITOR, Petition
from tests.unit.test_scorecards import IN_TIME

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)
GRID, COMMUNITY, DESK = "rc-yuehe-taibai-g1", "rc-yuehe-taibai", "rencheng"
COMMUNITY_STAFF = Actor(id="c", name="社区干部", unit_code=COMMUNITY, role=Role.COMMUNITY_STAFF)


def closed_after_a_late_redispatch_and_a_late_decision(demo_org) -> Petition:
    p = Petition(demo_org, MONDAY)
    p.now = MONDAY + timedelta(minutes=30)
    p.send(cmd.Accept(actor=p.handler))
    p.now = MONDAY + timedelta(hours=1)  # Mon 10:00: the grid returns it; the desk has until Tue 17:30
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    fired = p.wait(timedelta(days=2))  # Wed 10:00: nobody re-dispatched it in time
    assert [(e.type, e.unit_code) for e in fired] == [("DeadlineWarned", DESK), ("DeadlineBreached", DESK)]
    p.send(cmd.Dispatch(actor=DISPATCHER, ladder=ladder_from_unit(demo_org, GRID, GRID, "sanitation")))
    p.now += timedelta(minutes=30)
    p.send(cmd.Accept(actor=p.handler))
    p.now += timedelta(minutes=30)  # Wed 11:00: asks in time; the community must decide by Thu 17:30
    p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 2}, reason="等配件"))
    fired = p.wait(timedelta(hours=46))  # Fri 09:00
    assert [(e.type, e.deadline, e.unit_code) for e in fired] == [("DeadlineBreached", "decision", COMMUNITY)]
    p.send(cmd.DecideExtension(actor=COMMUNITY_STAFF, approve=True))
    p.now += timedelta(hours=1)
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    p.now += timedelta(hours=1)
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert p.state.close_outcome is CloseOutcome.RESOLVED
    return p


def records(p: Petition) -> dict:
    return {e.record.unit_code: e.record for e in p.events if e.type == "UnitEvaluated"}


def test_the_desk_and_the_approver_are_evaluated_on_their_own_part(demo_org) -> None:
    evaluated = records(closed_after_a_late_redispatch_and_a_late_decision(demo_org))
    assert set(evaluated) == {GRID, COMMUNITY, DESK}
    desk = evaluated[DESK]  # the district: no rung of the ladder, so no level, named by its code
    assert (desk.level, desk.unit_name, desk.received) == (None, DESK, 0)
    # held from the return (Mon 10:00) to the re-dispatch (Wed 10:00): 48 hours, elapsed
    assert (desk.redispatch_breaches, desk.returns_held, desk.seconds_holding_returns) == (1, 1, 48 * 3600)
    approver = evaluated[COMMUNITY]  # a rung of the ladder above the grid: named and levelled from it
    assert (approver.level, approver.received, approver.decision_breaches) == (Level.COMMUNITY, 0, 1)
    assert approver.unit_name != COMMUNITY and approver.redispatch_breaches == 0
    grid = evaluated[GRID]  # neither breach is the grid's: its clock was held, the desk's wait not its own
    assert (grid.accept_breaches, grid.resolve_breaches, grid.resolved_in_time, grid.returns) == (0, 0, 1, 1)
    assert (grid.redispatch_breaches, grid.decision_breaches, grid.returns_held) == (0, 0, 0)


def test_hand_computed_cards_of_the_desk_the_approver_and_the_grid(demo_org) -> None:
    p = closed_after_a_late_redispatch_and_a_late_decision(demo_org)
    facts = {code: {**r.model_dump(mode="json"), "close_outcome": "resolved"} for code, r in records(p).items()}
    weights = ScoringWeights()

    desk = scorecard({"unit_code": DESK, "kind": "district"}, [facts[DESK]], weights)
    # it held no petition: no rates, no score; its breach and its 48 hours are on its card
    assert (desk.petitions, desk.received, desk.rated, desk.response_due) == (0, 0, 0, 0)
    assert (desk.response_rate, desk.resolution_rate, desk.satisfaction_rate, desk.score) == (None, None, None, None)
    assert (desk.breaches, desk.redispatch_breaches, desk.decision_breaches) == (1, 1, 0)
    assert (desk.returns_held, desk.hours_holding_returns, desk.hours_per_return_held) == (1, 48.0, 48.0)

    # the community also held a petition of its own, handled in time: its rates are that petition's alone
    community = scorecard({"unit_code": COMMUNITY, "kind": "community"}, [facts[COMMUNITY], IN_TIME], weights)
    assert (community.petitions, community.received, community.rated) == (1, 1, 1)
    assert (community.response_rate, community.resolution_rate, community.in_time_rate) == (1.0, 1.0, 1.0)
    assert community.satisfaction_rate == 1.0 and community.score == 100.0  # the late decision is no rate
    assert (community.breaches, community.decision_breaches, community.redispatch_breaches) == (1, 1, 0)
    assert community.returns_held == 0 and community.hours_holding_returns is None

    grid = scorecard({"unit_code": GRID, "kind": "grid"}, [facts[GRID]], weights)
    assert (grid.petitions, grid.received, grid.breaches, grid.returns) == (1, 2, 0, 1)
    assert (grid.response_rate, grid.resolution_rate, grid.in_time_rate, grid.score) == (1.0, 1.0, 1.0, 100.0)


def test_a_returned_order_closed_at_the_desk_is_the_desks_time(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    p.now += timedelta(hours=1)
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    p.now += timedelta(hours=3)  # in time: no breach, but three hours at the desk
    p.send(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.NOT_GOVERNMENT_RESPONSIBILITY, explanation="非政府职责"))
    desk = records(p)[DESK]
    assert (desk.returns_held, desk.seconds_holding_returns, desk.redispatch_breaches) == (1, 3 * 3600, 0)


def test_a_desk_or_approver_is_not_among_the_units_that_handled_the_petition(demo_org) -> None:
    p = closed_after_a_late_redispatch_and_a_late_decision(demo_org)
    assert set(p.state.units) == {GRID, COMMUNITY, DESK}
    assert petition_row(p.state, p.now.isoformat())["handled_units"] == [GRID]  # who sees the petition is unchanged


def test_records_evaluated_before_these_figures_still_decode() -> None:
    from domain.model import UnitRecord

    old = UnitRecord.model_validate({"unit_code": GRID, "unit_name": "太白网格", "level": "grid", "received": 1})
    assert (old.returns_held, old.seconds_holding_returns, old.redispatch_breaches, old.decision_breaches) == (
        0, None, 0, 0)
