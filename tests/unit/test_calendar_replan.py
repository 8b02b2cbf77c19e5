"""Loading a year's official holiday arrangement re-plans the deadlines still ahead (issue 11 §1):
given a petition's events, when the arrangement is loaded, then the moved deadlines are an event with
their old and new instants; passed deadlines and recorded breaches stay."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from config.statutory_holidays import statutory_holidays
from domain import commands as cmd
from domain.arrangements import Arrangement, apply_arrangements, check_arrangement, in_force
from domain.enums import Status
from domain.errors import InvalidCommand, InvalidState
from domain.events import DeadlinesReplanned
from domain.model import SYSTEM_ACTOR
from domain.workcalendar import CHINA
from eventstore.petition_projection import petition_row
from tests.unit.domain_helpers import CAL, DISPATCHER, Petition

# the workflow sends the re-plan as itself (`calendar_changed`); the catalogue grants it to the system only
OPERATOR = SYSTEM_ACTOR
LAST_DAYS = datetime(2026, 12, 30, 10, tzinfo=CHINA)  # Wednesday; resolve due Mon 2027-01-04 17:30 (provisional)
STATUTORY_2027 = statutory_holidays(2027)


def arrangement(extra_holidays: dict[date, str] | None = None, workdays: list[date] | None = None,
                sequence: int = 1) -> Arrangement:
    return Arrangement(year=2027, holidays={**STATUTORY_2027, **(extra_holidays or {})}, workdays=workdays or [],
                       source="国办发明电〔2026〕X号 (test)", loaded_by=OPERATOR,
                       loaded_at=datetime(2026, 11, 25, 9, tzinfo=CHINA), sequence=sequence)


def test_a_bridge_day_moves_a_provisional_deadline_and_makes_it_official(demo_org) -> None:
    p = Petition(demo_org, LAST_DAYS)
    a = p.state.assignment
    assert a.resolve_due == datetime(2027, 1, 4, 17, 30, tzinfo=CHINA) and a.provisional
    old_accept, old_warn = a.accept_due, a.warn_at
    p.now += timedelta(minutes=5)
    [replanned] = p.send(cmd.ReplanDeadlines(actor=OPERATOR, arrangement=arrangement({date(2027, 1, 4): "元旦"})))
    assert isinstance(replanned, DeadlinesReplanned) and not replanned.provisional
    moves = {m.deadline: m for m in replanned.moves}
    assert moves["resolve"].old == datetime(2027, 1, 4, 17, 30, tzinfo=CHINA)
    assert moves["resolve"].new == datetime(2027, 1, 5, 17, 30, tzinfo=CHINA)  # the bridge day is skipped
    assert moves["resolve"].unit_code == a.rung.unit_code
    assert "accept" not in moves  # due the same afternoon: no changed day lies before it
    state = p.state.assignment
    assert state.resolve_due == moves["resolve"].new and state.accept_due == old_accept and not state.provisional
    assert (state.warn_at == moves["warn"].new) if "warn" in moves else state.warn_at == old_warn
    assert not petition_row(p.state, updated_at=p.now.isoformat())["deadlines_provisional"]


def test_an_arrangement_that_moves_nothing_still_ends_the_provisional_mark_once(demo_org) -> None:
    p = Petition(demo_org, LAST_DAYS)
    [replanned] = p.send(cmd.ReplanDeadlines(actor=OPERATOR, arrangement=arrangement()))
    assert replanned.moves == [] and not replanned.provisional and not p.state.assignment.provisional
    # the same arrangement again (a retried load): nothing to do
    assert p.send(cmd.ReplanDeadlines(actor=OPERATOR, arrangement=arrangement(sequence=2))) == []


def test_a_passed_deadline_and_its_breach_stay_as_they_were(demo_org) -> None:
    p = Petition(demo_org, LAST_DAYS)
    p.wait(timedelta(days=2))  # Fri 1 Jan: the accept deadline (same day) has passed and was breached
    assert p.state.assignment.accept_breached
    accept_due = p.state.assignment.accept_due
    [replanned] = p.send(cmd.ReplanDeadlines(actor=OPERATOR, arrangement=arrangement({date(2027, 1, 4): "元旦"})))
    assert {m.deadline for m in replanned.moves} <= {"warn", "resolve"}
    assert p.state.assignment.accept_due == accept_due and p.state.assignment.accept_breached


def test_a_returned_order_waiting_for_the_desk_is_re_planned(demo_org) -> None:
    p = Petition(demo_org, LAST_DAYS)
    p.wait(timedelta(days=1))  # Thu 31 Dec 10:00: 1 whole working day for the desk ends Mon 4 Jan 17:30
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    assert p.state.status is Status.RETURNED
    due = p.state.redispatch.due
    assert due == datetime(2027, 1, 4, 17, 30, tzinfo=CHINA) and p.state.redispatch.provisional
    events = p.send(cmd.ReplanDeadlines(actor=OPERATOR, arrangement=arrangement({date(2027, 1, 4): "元旦"})))
    moves = {m.deadline: m for m in events[0].moves}
    assert moves["redispatch"].old == due and moves["redispatch"].new == datetime(2027, 1, 5, 17, 30, tzinfo=CHINA)
    assert not p.state.redispatch.provisional
    assert moves["redispatch"].unit_code == p.state.desk_code and p.state.redispatch.due == moves["redispatch"].new


def test_the_same_days_as_today_move_no_deadline_on_any_clock(demo_org) -> None:
    """Re-planning on an identical calendar is the identity (all clocks: add(between) is exact)."""
    official_2026 = CAL.years[2026]
    same = Arrangement(year=2026, holidays={d: official_2026.names.get(d, "节日") for d in official_2026.holidays},
                       workdays=sorted(official_2026.workdays), source="same", loaded_by=OPERATOR,
                       loaded_at=LAST_DAYS, sequence=1)
    for start in (datetime(2026, 9, 30, 16, tzinfo=CHINA), datetime(2026, 4, 30, 11, 55, tzinfo=CHINA),
                  datetime(2026, 2, 13, 22, tzinfo=CHINA)):
        for policy in ("default", "fast"):
            p = Petition(demo_org, start, policy=policy)
            p.now += timedelta(seconds=1)
            assert p.send(cmd.ReplanDeadlines(actor=OPERATOR, arrangement=same)) == []


def test_a_closed_petition_has_nothing_to_re_plan(demo_org) -> None:
    p = Petition(demo_org, LAST_DAYS)
    p.send(cmd.Close(actor=DISPATCHER, outcome="withdrawn", explanation="群众撤回"))
    with pytest.raises(InvalidState):
        p.send(cmd.ReplanDeadlines(actor=OPERATOR, arrangement=arrangement()))


@pytest.mark.parametrize(("holidays", "workdays", "says"), [
    ({date(2028, 1, 1): "元旦"}, [], "not in 2027"),
    ({date(2027, 1, 4): "元旦"}, [date(2027, 1, 4)], "both as a holiday and as a working day"),
    ({}, [date(2027, 2, 10)], "Saturday or Sunday"),
    ({date(2027, 2, 13): " "}, [], "readable name"),
    ({date(2027, 2, 13): "\u200b"}, [], "readable name"),  # invisible
    ({}, [date(2027, 3, 6), date(2027, 3, 6)], "listed twice"),
])
def test_an_arrangement_that_cannot_be_the_state_councils_is_refused(holidays, workdays, says) -> None:
    with pytest.raises(InvalidCommand, match=says):
        check_arrangement(2027, {**STATUTORY_2027, **holidays}, workdays, STATUTORY_2027)


def test_an_arrangement_must_keep_every_statutory_holiday() -> None:
    without_chuxi = {d: n for d, n in STATUTORY_2027.items() if d != date(2027, 2, 5)}
    with pytest.raises(InvalidCommand, match=r"2027-02-05 \(春节\) is a statutory holiday"):
        check_arrangement(2027, without_chuxi, [], STATUTORY_2027)
    check_arrangement(2027, {**STATUTORY_2027, date(2027, 2, 9): "春节"}, [date(2027, 2, 20)], STATUTORY_2027)


def test_the_last_loaded_arrangement_of_a_year_is_in_force() -> None:
    first, second = arrangement(sequence=1), arrangement({date(2027, 1, 4): "元旦"}, sequence=2)
    assert in_force([second, first])[2027] is second
    calendar = apply_arrangements(CAL, [first, second])
    assert not calendar.is_working_day(date(2027, 1, 4)) and not calendar.is_provisional(date(2027, 6, 1))


def test_a_yellow_card_keeps_its_time_of_day_and_stays_before_its_deadline(demo_org) -> None:
    """Found in a trial: the desk's yellow card at 16:00 (80 % of a whole working day) was re-planned onto
    its deadline at 17:30, because a begun day counts as spent on the whole-working-days clock."""
    p = Petition(demo_org, datetime(2026, 11, 30, 6, 2, tzinfo=CHINA))  # Monday
    p.send(cmd.Return(actor=p.handler, reason="职能不符"))
    clock = p.state.redispatch
    assert (clock.warn_at, clock.due) == (datetime(2026, 12, 1, 16, tzinfo=CHINA), datetime(2026, 12, 1, 17, 30,
                                                                                            tzinfo=CHINA))
    official = CAL.years[2026]
    bridge = Arrangement(year=2026, holidays={**{d: official.names.get(d, "节日") for d in official.holidays},
                                              date(2026, 12, 1): "测试补假"},
                         workdays=sorted(official.workdays), source="test", loaded_by=OPERATOR,
                         loaded_at=p.now, sequence=1)
    [replanned] = p.send(cmd.ReplanDeadlines(actor=SYSTEM_ACTOR, arrangement=bridge))
    moves = {m.deadline: m.new for m in replanned.moves}
    assert moves == {"redispatch_warn": datetime(2026, 12, 2, 16, tzinfo=CHINA),
                     "redispatch": datetime(2026, 12, 2, 17, 30, tzinfo=CHINA)}
