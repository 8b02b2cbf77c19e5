"""Issue 11 §2: office hours, and whole working days counted from the next working day (次日起算).

Jining's office hours (config/data/office_hours.yaml): winter 08:30-12:00 and 13:30-17:30, summer
(1 May - 30 September) 08:30-12:00 and 14:00-18:00. The default policy accepts within 4 office hours
and gives each rung N whole working days from the next working day, due when the office closes on
the last of them; the yellow card one working day before that.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from config.reference_data import DATA, DEMO_ORG, load_office_hours, load_policy, work_calendar
from domain import commands as cmd
from domain.enums import Clock, Level, Status, Urgency
from domain.errors import InvalidCommand
from domain.policy import Policy, Rules, Span
from domain.workcalendar import CHINA, DAY, OfficeHours, OfficeSchedule, WorkCalendar
from org.loader import load_org_file
from org.model import OrgTree
from tests.unit.domain_helpers import CAL, Petition

OFFICE, WHOLE = Clock.OFFICE, Clock.WHOLE_WORKING_DAYS
HOUR = 3600


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


# --- the cases, through the default policy (a sanitation petition at a grid) ----------------------------

def test_a_report_on_friday_at_17_00() -> None:
    p = Petition(_org(), at(2026, 11, 27, 17))  # Fri, winter hours
    a = p.state.assignment
    # 4 office hours: 17:00-17:30 on Friday, then Monday 08:30-12:00
    assert a.accept_due == at(2026, 11, 30, 12)
    # 2 whole working days from the next working day: Mon 30 Nov and Tue 1 Dec, due when the office closes
    assert a.resolve_due == at(2026, 12, 1, 17, 30)
    assert a.warn_at == at(2026, 11, 30, 17, 30)  # one working day before: the close of Monday


def test_a_report_on_friday_at_22_00() -> None:
    p = Petition(_org(), at(2026, 11, 27, 22))
    a = p.state.assignment
    # nothing counts after hours: Monday 08:30-12:00 and 13:30-14:00 (today's main: Mon 02:00)
    assert a.accept_due == at(2026, 11, 30, 14)
    assert a.resolve_due == at(2026, 12, 1, 17, 30)  # the same two whole days as at 17:00


@pytest.mark.parametrize(("reported", "due"), [
    (at(2026, 11, 25, 11, 55), at(2026, 11, 25, 17, 25)),  # winter: 5 min, lunch 12:00-13:30, 3 h 55 min
    (at(2026, 6, 3, 11, 55), at(2026, 6, 3, 17, 55)),  # summer: lunch until 14:00
], ids=["winter", "summer"])
def test_a_report_at_11_55_before_lunch(reported: datetime, due: datetime) -> None:
    a = Petition(_org(), reported).state.assignment
    assert a.accept_due == due
    assert CAL.add(reported, 2 * HOUR, OFFICE) == due - timedelta(hours=2)  # 2 office hours: 15:25 / 15:55


def test_a_report_on_the_last_working_days_before_spring_festival_2026() -> None:
    # 春节 2026: Sun 15 - Mon 23 Feb off; Sat 14 Feb and Sat 28 Feb are make-up working days (调休上班)
    friday = Petition(_org(), at(2026, 2, 13, 16)).state.assignment
    assert friday.accept_due == at(2026, 2, 14, 11)  # 16:00-17:30 Friday, 08:30-11:00 on the make-up Saturday
    assert friday.resolve_due == at(2026, 2, 24, 17, 30)  # Sat 14 Feb, then Tue 24 Feb
    saturday = Petition(_org(), at(2026, 2, 14, 15)).state.assignment  # the very last working day
    assert saturday.accept_due == at(2026, 2, 24, 10)  # 15:00-17:30, then 08:30-10:00 after the holiday
    assert saturday.resolve_due == at(2026, 2, 25, 17, 30)  # Tue 24 and Wed 25 Feb
    assert saturday.warn_at == at(2026, 2, 24, 17, 30)


def test_the_same_across_a_make_up_saturday() -> None:
    a = Petition(_org(), at(2026, 2, 26, 10)).state.assignment  # Thu
    assert a.resolve_due == at(2026, 2, 28, 17, 30)  # Fri 27 and the make-up Sat 28 Feb, with its office hours
    late = Petition(_org(), at(2026, 2, 27, 16)).state.assignment  # Fri
    assert late.accept_due == at(2026, 2, 28, 11)  # 16:00-17:30, then 08:30-11:00 on Saturday
    assert late.resolve_due == at(2026, 3, 2, 17, 30)  # Sat 28 Feb and Mon 2 Mar
    # five whole working days (a street's) from Tue 24 Feb: 25, 26, 27, Sat 28 Feb and Mon 2 Mar
    assert CAL.add(at(2026, 2, 24, 10), 5 * DAY, WHOLE) == at(2026, 3, 2, 17, 30)


def test_monday_plus_five_working_days_is_the_close_of_the_fifth_working_day_after_it() -> None:
    assert CAL.add(at(2026, 11, 23, 10), 5 * DAY, WHOLE) == at(2026, 11, 30, 17, 30)
    assert CAL.add(at(2026, 11, 23, 10), 5 * DAY, Clock.WORKING) == at(2026, 11, 30, 10)  # legacy: 5 x 24 h


# --- running petitions keep the rules they started with ---------------------------------------------------------

def test_rules_frozen_before_the_change_keep_24_hour_working_days() -> None:
    # a petition reported before this change froze {working_hours: 4} and {working_days: 2} (Clock.WORKING):
    # its new clocks (escalation, extension, re-dispatch) are counted exactly as before
    assert CAL.add(at(2026, 11, 27, 22), 4 * HOUR, Clock.WORKING) == at(2026, 11, 30, 2)
    assert CAL.add(at(2026, 11, 27, 22), 2 * DAY, Clock.WORKING) == at(2026, 12, 1, 22)
    assert Span.parse({"working_days": 2}).clock is Clock.WORKING
    assert Span.parse({"working_hours": 4}) == Span(seconds=4 * HOUR, clock=Clock.WORKING)


def test_a_running_petition_on_24_hour_working_days_climbs_on_them() -> None:
    p = Petition(_org(), at(2026, 11, 27, 22), rules=_legacy_rules())
    assert p.state.assignment.accept_due == at(2026, 11, 30, 2)  # as today's main: Fri 22:00 + 4/24 day
    assert p.state.assignment.resolve_due == at(2026, 12, 1, 22)
    p.wait(timedelta(days=4, hours=1))  # Tue 22:00 missed: the community gets 3 x 24 working hours from then
    assert p.state.rung.level is Level.COMMUNITY
    assert p.state.assignment.resolve_due == at(2026, 12, 4, 22)


def test_the_what_if_asks_a_recorded_extension_again_in_the_candidate_s_working_days() -> None:
    from evaluation.whatif import replay

    p = Petition(_org(), at(2026, 11, 23, 9), rules=_legacy_rules())
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.RequestExtension(actor=p.handler, duration={"working_days": 3}, reason="需协调施工队"))
    p.send(cmd.DecideExtension(actor=p.overseer, approve=True))
    default = load_policy("default")
    state, skipped = replay(p.events, CAL, default.rules_for)
    assert skipped == 0 and state.extensions_granted == 1
    assert state.assignment.resolve_due == at(2026, 11, 30, 17, 30)  # Tue, Wed + 3 days: Thu, Fri, Mon


def test_the_default_policy_uses_the_published_units() -> None:
    rules = load_policy("default").rules_for("sanitation", _normal())
    assert rules.accept == Span(seconds=4 * HOUR, clock=OFFICE)
    assert {rules.resolve[level].clock for level in Level} == {WHOLE}
    assert rules.return_window.clock is WHOLE and rules.redispatch.clock is WHOLE
    assert rules.max_extension == Span(seconds=10 * DAY, clock=WHOLE) and rules.visit_window.clock is WHOLE
    assert rules.warning_offset(Level.STREET) == Span(seconds=4 * DAY, clock=WHOLE)  # 5 days less 1
    fast = load_policy("fast").rules_for("sanitation", _normal())
    assert fast.accept.clock is Clock.NATURAL


# --- the loop on the new clocks --------------------------------------------------------------------------------

def test_an_extension_adds_whole_working_days_after_the_deadline() -> None:
    p = Petition(_org(), at(2026, 11, 27, 17))
    p.send(cmd.Accept(actor=p.handler))
    with pytest.raises(InvalidCommand, match=r'at most 10 working day\(s\) from the next working day'):
        p.send(cmd.RequestExtension(actor=p.handler, duration={"working_days": 3}, reason="施工"))
    p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 3}, reason="需协调施工队"))
    p.send(cmd.DecideExtension(actor=p.overseer, approve=True))
    a = p.state.assignment
    assert a.resolve_due == at(2026, 12, 4, 17, 30)  # Tue 1 Dec + Wed, Thu, Fri
    assert a.warn_at == at(2026, 12, 3, 17, 30)  # one working day before, as at report


def test_an_extension_on_the_wrong_clock_is_told_the_petitions_clock_and_maximum() -> None:
    """User trial: {"working_days": 3} on a petition counting whole working days was refused without
    saying which unit to use."""
    p = Petition(_org(), at(2026, 11, 27, 17))
    p.send(cmd.Accept(actor=p.handler))
    with pytest.raises(InvalidCommand) as refused:
        p.send(cmd.RequestExtension(actor=p.handler, duration={"working_days": 3}, reason="施工"))
    assert refused.value.field == "duration"
    assert refused.value.message == (
        "duration: this petition's extensions count in whole_working_days (工作日(次日起算)), not working_days "
        '(工作日): at most 10 working day(s) from the next working day ({"whole_working_days": 10})')
    with pytest.raises(InvalidCommand, match=r'^duration: an extension may be at most 10 working day'):
        p.send(cmd.RequestExtension(actor=p.handler, duration={"whole_working_days": 11}, reason="施工"))


def test_a_paused_clock_keeps_the_whole_days_not_yet_begun() -> None:
    p = Petition(_org(), at(2026, 11, 27, 17))  # due Tue 1 Dec 17:30
    p.send(cmd.Accept(actor=p.handler))
    p.now = at(2026, 11, 30, 10)  # Monday, its first day
    p.send(cmd.Pause(actor=p.overseer, reason="等待群众提供材料"))
    assert p.state.paused.resolve_left == pytest.approx(DAY)  # Tuesday: Monday has begun
    p.now = at(2026, 12, 3, 15)  # Thursday
    p.send(cmd.Resume(actor=p.handler))
    assert p.state.status is Status.ACCEPTED
    assert p.state.assignment.resolve_due == at(2026, 12, 4, 17, 30)  # from the next day again: Friday


def test_the_return_window_and_the_redispatch_deadline() -> None:
    p = Petition(_org(), at(2026, 11, 27, 17))
    p.now = at(2026, 12, 1, 17, 30)  # the close of the second whole working day: still in time
    p.send(cmd.Return(actor=p.handler, reason="不属本网格"))
    assert p.state.redispatch.due == at(2026, 12, 2, 17, 30)  # one whole working day: Wednesday
    # the yellow card at 80% of Wednesday's office time (7.5 h): 08:30-12:00, then 13:30-16:00
    assert p.state.redispatch.warn_at == at(2026, 12, 2, 16)
    late = Petition(_org(), at(2026, 11, 27, 17))
    late.now = at(2026, 12, 1, 17, 31)
    with pytest.raises(InvalidCommand, match="return window"):
        late.send(cmd.Return(actor=late.handler, reason="不属本网格"))


# --- the calendar core -------------------------------------------------------------------------------------------

def test_office_hours_are_seasonal_data() -> None:
    hours = work_calendar().office_hours
    assert hours is not None
    assert hours.schedule_on(datetime(2026, 4, 30).date()).name == "winter"
    assert hours.schedule_on(datetime(2026, 5, 1).date()).periods == ((time(8, 30), time(12)), (time(14), time(18)))
    assert hours.schedule_on(datetime(2026, 10, 1).date()).name == "winter"
    assert [(first.isoformat(), last.isoformat(), s.name) for first, last, s in hours.seasons_of(2026)] == [
        ("2026-01-01", "2026-04-30", "winter"), ("2026-05-01", "2026-09-30", "summer"),
        ("2026-10-01", "2026-12-31", "winter")]


def test_office_hours_load_from_yaml_and_refuse_nonsense() -> None:
    hours = load_office_hours('seasons:\n  - {name: all, from: "01-01", hours: ["09:00-12:00", "13:00-17:00"]}\n')
    cal = WorkCalendar(CAL.years, hours)
    assert cal.add(at(2026, 11, 27, 16), 2 * HOUR, OFFICE) == at(2026, 11, 30, 10)
    with pytest.raises(ValueError, match="in order"):
        load_office_hours('seasons:\n  - {name: x, from: "01-01", hours: ["13:00-17:00", "09:00-12:00"]}\n')
    with pytest.raises(ValueError):
        load_office_hours('seasons:\n  - {name: x, from: "02-30", hours: ["09:00-12:00"]}\n')
    with pytest.raises(ValueError, match="at least one season"):
        load_office_hours("seasons: []\n")


def test_without_office_hours_office_time_is_the_whole_working_day() -> None:
    bare = WorkCalendar(CAL.years)
    assert bare.add(at(2026, 11, 27, 22), 4 * HOUR, OFFICE) == at(2026, 11, 30, 2)
    assert bare.add(at(2026, 11, 27, 22), 2 * DAY, WHOLE) == at(2026, 12, 2, 0)  # the end of Tue 1 Dec


def test_subtract_lands_on_the_earliest_instant() -> None:
    # one office hour before 13:30 is 11:00 (lunch does not count), one whole day before a close is the close before
    assert CAL.subtract(at(2026, 11, 25, 13, 30), HOUR, OFFICE) == at(2026, 11, 25, 11)
    assert CAL.subtract(at(2026, 11, 25, 14), 30 * 60, OFFICE) == at(2026, 11, 25, 12)
    assert CAL.subtract(at(2026, 11, 30, 17, 30), DAY, WHOLE) == at(2026, 11, 27, 17, 30)


def test_a_clock_in_a_provisional_year_is_provisional_on_the_new_clocks_too() -> None:
    assert CAL.provisional(at(2026, 12, 28, 10), at(2027, 1, 5, 17, 30), WHOLE)
    assert not CAL.provisional(at(2026, 12, 1, 10), at(2026, 12, 8, 17, 30), OFFICE)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 1)),
    seconds=st.floats(min_value=1, max_value=20 * DAY),
    clock=st.sampled_from([OFFICE, WHOLE]),
)
def test_add_subtract_and_between_agree_on_the_new_clocks(start: datetime, seconds: float, clock: Clock) -> None:
    begin = start.replace(tzinfo=CHINA)
    end = CAL.add(begin, seconds, clock)
    assert end >= begin
    if clock is WHOLE:  # counted from the next day, it ends when an office closes or inside office hours
        assert end.date() > begin.date() and _in_office(end)
        # between counts the whole days begun: a fraction of a day is a day spent
        assert CAL.between(begin, end, clock) == pytest.approx(math.ceil(seconds / DAY - 1e-6) * DAY, abs=1e-3)
    else:
        assert _in_office(end) or end == begin
        assert CAL.between(begin, end, clock) == pytest.approx(seconds, abs=1e-3)
    if clock is OFFICE:
        back = CAL.subtract(end, seconds, clock)
        assert back <= end and CAL.between(back, end, clock) == pytest.approx(seconds, abs=1e-3)
        # subtract lands on `begin` or the earliest instant with no office time between them
        assert CAL.between(min(back, begin), max(back, begin), clock) == pytest.approx(0, abs=1e-3)
    else:  # whole days back from an end land on the close of a working day, from which `between` counts them
        days = max(round(seconds / DAY), 1) * DAY
        end = CAL.add(begin, days, clock)
        back = CAL.subtract(end, days, clock)
        assert back.date() <= begin.date() and _in_office(back)
        assert CAL.between(back, end, clock) == pytest.approx(days, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(
    instants=st.lists(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1)),
                      min_size=3, max_size=3),
)
def test_whole_days_add_up(instants: list[datetime]) -> None:
    """What a unit used before a return plus what is left after it is what it was given."""
    a, b, c = sorted(moment.replace(tzinfo=CHINA) for moment in instants)
    total = CAL.between(a, c, WHOLE)
    assert CAL.between(a, b, WHOLE) + CAL.between(b, c, WHOLE) == pytest.approx(total, abs=1e-3)
    assert total == pytest.approx(round(total / DAY) * DAY, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(
    paused=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 1)),
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    days=st.integers(min_value=1, max_value=10),
)
def test_a_pause_never_gives_or_takes_a_whole_day(paused: datetime, gap: timedelta, days: int) -> None:
    """Paused at any instant and resumed at any later one, the days left are whole days begun after the
    pause's day, and they are counted again from the day after the resume."""
    start = paused.replace(tzinfo=CHINA)
    due = CAL.add(start - timedelta(days=1), days * DAY, WHOLE)
    left = CAL.between(start, due, WHOLE)
    assert left == pytest.approx(round(left / DAY) * DAY, abs=1e-3)
    resumed = start + gap
    assert CAL.between(resumed, CAL.add(resumed, left, WHOLE), WHOLE) == pytest.approx(left, abs=1e-3)


def _in_office(moment: datetime) -> bool:
    local = moment.astimezone(CHINA)
    hours = CAL.office_hours or OfficeHours((OfficeSchedule("x", "x", (1, 1), ((time(), time()),)),))
    return CAL.is_working_day(local.date()) and any(
        begin <= local.time() <= end for begin, end in hours.schedule_on(local.date()).periods)


def _legacy_rules() -> Rules:
    """The default policy as it was before this change (24-hour working days), as running petitions froze it."""
    text = (DATA / "policies" / "default.yaml").read_text("utf-8")
    legacy = text.replace("whole_working_days", "working_days").replace("office_hours", "working_hours")
    return Policy.model_validate(yaml.safe_load(legacy)).rules_for("sanitation", Urgency.NORMAL)


def _normal() -> Urgency:
    return Urgency.NORMAL


@cache
def _org() -> OrgTree:
    return load_org_file(Path(str(DEMO_ORG)))
