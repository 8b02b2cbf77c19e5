"""Issue 14 §4, 民意"5"来听 visit days, in the pure domain and the org file: when a round is held (the 5th, 15th
and 25th, moved to the next working day), a round's life and tally, a visit matter as a petition, the teams."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from config.reference_data import load_policy
from domain import commands as cmd
from domain.catalogue import decide
from domain.channels import ChannelRefused, channel_of
from domain.enums import Channel, Role, Status, Urgency
from domain.errors import InvalidCommand, InvalidState, NotPermitted
from domain.evolve import fold
from domain.model import Actor, PetitionState
from domain.visit_days import (
    decide_close,
    decide_matter,
    decide_open,
    fold_round,
    moved_visit_day,
    round_id,
    scheduled_dates_held_on,
    visit_days_of_month,
)
from org.loader import OrgFileError, parse_org
from org.routing import dispatch_desk, ladder_for_report, ladder_from_unit
from tests.unit.decider_spec import MONDAY
from tests.unit.domain_helpers import CAL, GRID

RULES = load_policy("default").rules_for("sanitation", Urgency.NORMAL)
CADRE = Actor(id="rc-zjj-liuhong", name="刘红", unit_code="rencheng-housing", role=Role.DEPARTMENT_STAFF)
WORKING = CAL.is_working_day
NOW = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)


# --- when a round is held -----------------------------------------------------------------------


def test_a_visit_date_on_a_working_day_is_held_that_day() -> None:
    assert moved_visit_day(date(2026, 11, 5), WORKING) == date(2026, 11, 5)  # a Thursday
    assert scheduled_dates_held_on(date(2026, 11, 5), WORKING) == [date(2026, 11, 5)]
    assert scheduled_dates_held_on(date(2026, 11, 6), WORKING) == []


def test_a_visit_date_in_a_holiday_moves_to_the_next_working_day() -> None:
    # 2026-10-05 is in the National Day holiday (Oct 1-7): its round is held on Thursday Oct 8
    assert moved_visit_day(date(2026, 10, 5), WORKING) == date(2026, 10, 8)
    assert scheduled_dates_held_on(date(2026, 10, 5), WORKING) == []
    assert scheduled_dates_held_on(date(2026, 10, 8), WORKING) == [date(2026, 10, 5)]
    # a Sunday moves to Monday
    assert moved_visit_day(date(2026, 11, 15), WORKING) == date(2026, 11, 16)
    assert scheduled_dates_held_on(date(2026, 11, 16), WORKING) == [date(2026, 11, 15)]


def test_a_make_up_working_day_holds_its_round_and_two_dates_can_meet() -> None:
    saturday = date(2026, 9, 5)
    assert moved_visit_day(saturday, lambda d: d == saturday or d.weekday() < 5) == saturday
    # a (made-up) holiday from the 5th to the 15th: both rounds are held on the 16th
    long_break = lambda d: d.weekday() < 5 and not date(2026, 3, 5) <= d <= date(2026, 3, 15)  # noqa: E731
    assert scheduled_dates_held_on(date(2026, 3, 16), long_break) == [date(2026, 3, 5), date(2026, 3, 15)]


def test_the_months_visit_days() -> None:
    assert visit_days_of_month(2026, 10, WORKING) == [
        (date(2026, 10, 5), date(2026, 10, 8)), (date(2026, 10, 15), date(2026, 10, 15)),
        (date(2026, 10, 25), date(2026, 10, 26))]


def test_a_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="no working day"):
        moved_visit_day(date(2026, 10, 5), lambda _: False)


# --- a round's life ------------------------------------------------------------------------------


def _opened(scheduled: date = date(2026, 11, 5)):
    rid = round_id("vt-rc-yuehe", scheduled)
    events = decide_open(fold_round(rid, []), team_code="vt-rc-yuehe", district_code="rencheng",
                         units=["rc-yuehe-taibai"], scheduled=scheduled, visit_date=scheduled, now=NOW, actor=CADRE)
    return fold_round(rid, events), events


def test_a_round_opens_once_per_team_and_date() -> None:
    state, events = _opened()
    assert state.round_id == "visit-round-vt-rc-yuehe-20261105" and state.is_open and len(events) == 1
    assert decide_open(state, team_code="vt-rc-yuehe", district_code="rencheng", units=[], scheduled=date(2026, 11, 5),
                       visit_date=date(2026, 11, 5), now=NOW, actor=CADRE) == []
    with pytest.raises(InvalidCommand, match="no visit date"):
        decide_open(fold_round("x", []), team_code="t", district_code="d", units=[], scheduled=date(2026, 11, 6),
                    visit_date=date(2026, 11, 6), now=NOW, actor=CADRE)


def test_a_rounds_tally_counts_on_the_spot_and_handed_on() -> None:
    state, events = _opened()
    for pid, spot in (("P-1", True), ("P-2", False), ("P-3", True)):
        new = decide_matter(state, petition_id=pid, unit_code="rc-yuehe-taibai", grid_code=GRID, category="sanitation",
                            on_the_spot=spot, now=NOW, actor=CADRE)
        events += new
        state = fold_round(state.round_id, events)
    assert decide_matter(state, petition_id="P-1", unit_code="rc-yuehe-taibai", grid_code=GRID, category="sanitation",
                         on_the_spot=True, now=NOW, actor=CADRE) == []  # a retry records nothing twice
    with pytest.raises(InvalidCommand, match="not one the team"):
        decide_matter(state, petition_id="P-9", unit_code="rc-jiyang-caoqiao", grid_code="g", category="c",
                      on_the_spot=False, now=NOW, actor=CADRE)
    [closed] = decide_close(state, now=NOW, actor=CADRE, by_schedule=True)
    assert (closed.collected, closed.on_the_spot, closed.handed_on, closed.by_schedule) == (3, 2, 1, True)
    state = fold_round(state.round_id, [*events, closed])
    assert not state.is_open and decide_close(state, now=NOW, actor=CADRE) == []
    with pytest.raises(InvalidState, match="closed"):  # reported after the close: not the round's
        decide_matter(state, petition_id="P-4", unit_code="rc-yuehe-taibai", grid_code=GRID, category="sanitation",
                      on_the_spot=False, now=NOW + timedelta(minutes=1), actor=CADRE)
    # reported while the round was open, recorded after the close came in between: still the round's
    [late] = decide_matter(state, petition_id="P-5", unit_code="rc-yuehe-taibai", grid_code=GRID,
                           category="sanitation", on_the_spot=False, now=NOW - timedelta(seconds=1), actor=CADRE)
    assert fold_round(state.round_id, [*events, closed, late]).collected == 4
    with pytest.raises(InvalidState, match="not been opened"):
        decide_close(fold_round("visit-round-x-20261105", []), now=NOW, actor=CADRE)


# --- a matter as a petition ------------------------------------------------------------------------


def _matter(org, *, on_the_spot: bool, **extra):
    ladder = (ladder_from_unit(org, GRID, GRID, "sanitation") if on_the_spot
              else ladder_for_report(org, GRID, "sanitation"))
    fields = {"result": "已当场协调清理", "evidence_urls": ["https://img.example.cn/a.jpg"]} if on_the_spot else {}
    return cmd.ReportVisitMatter(**({
        "actor": CADRE, "channel": Channel.VISIT, "petition_id": "P-1", "category": "sanitation",
        "description": "楼道杂物堆积", "grid_code": GRID, "policy_name": "default", "rules": RULES,
        "desk_code": dispatch_desk(org, GRID), "ladder": ladder, "visit_team": "vt-rc-yuehe",
        "visit_round": "visit-round-vt-rc-yuehe-20261105", "on_the_spot": on_the_spot, **fields} | extra))


def test_a_matter_resolved_on_the_spot_is_resolved_at_its_grid_and_names_the_team(demo_org) -> None:
    events = decide(PetitionState(id="P-1"), _matter(demo_org, on_the_spot=True), MONDAY, CAL)
    assert [e.type for e in events] == ["PetitionReported", "WorkOrderAssigned", "WorkOrderAccepted",
                                        "PetitionResolved"]
    assert events[0].visit_team == "vt-rc-yuehe" and events[0].channel is Channel.VISIT and events[-1].on_the_spot
    state = fold(PetitionState(id="P-1"), events)
    assert state.status is Status.RESOLVED and state.visit_team == "vt-rc-yuehe" and state.visit_due is not None


def test_a_matter_handed_on_climbs_the_ladder_as_any_report(demo_org) -> None:
    events = decide(PetitionState(id="P-1"), _matter(demo_org, on_the_spot=False), MONDAY, CAL)
    assert [e.type for e in events] == ["PetitionReported", "WorkOrderAssigned"]
    assert fold(PetitionState(id="P-1"), events).status is Status.DISPATCHED


def test_a_matter_is_a_visit_report_with_evidence_when_on_the_spot(demo_org) -> None:
    with pytest.raises(InvalidCommand, match="visit channel"):
        decide(PetitionState(id="P-1"), _matter(demo_org, on_the_spot=False, channel=Channel.STAFF), MONDAY, CAL)
    with pytest.raises(InvalidCommand, match="evidence"):
        decide(PetitionState(id="P-1"), _matter(demo_org, on_the_spot=True, evidence_urls=[]), MONDAY, CAL)
    with pytest.raises(InvalidCommand, match="belong to a matter resolved on the spot"):
        decide(PetitionState(id="P-1"), _matter(demo_org, on_the_spot=False, result="x"), MONDAY, CAL)
    grid_worker = Actor(id="g", name="网格员", unit_code=GRID, role=Role.GRID_WORKER)
    with pytest.raises(NotPermitted, match="needs one of the roles"):
        decide(PetitionState(id="P-1"), _matter(demo_org, on_the_spot=False, actor=grid_worker), MONDAY, CAL)


def test_no_role_makes_visit_reports_through_the_plain_report() -> None:
    for role in (Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DEPARTMENT_STAFF, Role.ADMIN):
        with pytest.raises(ChannelRefused):
            channel_of(role, Channel.VISIT)


# --- the teams in the org file ------------------------------------------------------------------


def test_the_demo_org_has_visit_teams_in_rencheng_and_yanzhou(demo_org) -> None:
    districts = {t.district_code for t in demo_org.visit_teams.values()}
    assert districts == {"rencheng", "yanzhou"}
    team = demo_org.visit_teams["vt-rc-yuehe"]
    assert team.has_cadre("rc-zjj-liuhong") and not team.has_cadre("grid_worker@x")
    assert team.visited_units == ["rc-yuehe-taibai", "rc-yuehe-yuehe"]
    assert all(c.body for t in demo_org.visit_teams.values() for c in t.cadres)


BASE = {"districts": [
    {"code": "a", "name": "甲区", "use_department_templates": False, "streets": [
        {"code": "a-s", "name": "街道", "communities": [{"code": "a-c", "name": "社区", "grids": 1}]}]},
    {"code": "b", "name": "乙区", "use_department_templates": False, "streets": [
        {"code": "b-s", "name": "街道", "communities": [{"code": "b-c", "name": "社区", "grids": 1}]}]}]}
TEAM = {"code": "vt-a", "name": "帮办团", "district": "a", "cadres": [{"id": "c1", "name": "王", "body": "组织部"}],
        "units": ["a-c"]}


@pytest.mark.parametrize(("change", "message"), [
    ({"units": ["b-c"]}, "not a community or village of 甲区"),
    ({"units": ["a-s"]}, "not a community"),
    ({"units": []}, "at least one"),
    ({"district": "nowhere"}, "not a district"),
    ({"leader": "c9"}, "not one of its cadres"),
    ({"cadres": [{"id": "c1", "name": "王", "body": "组织部"}, {"id": "c1", "name": "李", "body": "财政局"}]},
     "listed twice"),
    ({"cadres": []}, "cadres"),
    ({"secret": "x"}, "secret"),
])
def test_a_malformed_visit_team_is_refused_naming_it(change, message) -> None:
    with pytest.raises(OrgFileError, match=f"visit team vt-a.*{message}"):
        parse_org(BASE | {"visit_teams": [TEAM | change]})


def test_a_cadre_is_in_one_team_of_a_district() -> None:
    other = TEAM | {"code": "vt-a2"}
    with pytest.raises(OrgFileError, match="already a cadre of vt-a"):
        parse_org(BASE | {"visit_teams": [TEAM, other]})


def test_the_loader_copes_with_a_districts_scale() -> None:
    """Rencheng's 426 teams of 2,115 cadres (about 5 each), each visiting a few of 600 communities."""
    communities = [{"code": f"a-c{i}", "name": f"社区{i}", "grids": 1} for i in range(600)]
    raw = {"districts": [{"code": "a", "name": "甲区", "use_department_templates": False,
                          "streets": [{"code": "a-s", "name": "街道", "communities": communities}]}],
           "visit_teams": [{"code": f"vt-{n}", "name": f"第{n}组", "district": "a",
                            "cadres": [{"id": f"c{n}-{k}", "name": f"干部{k}", "body": "区直部门"}
                                       for k in range(5 if n < 411 else 4)],
                            "units": [f"a-c{(n * 3 + k) % 600}" for k in range(3)]} for n in range(426)]}
    started = time.perf_counter()
    org = parse_org(raw)
    assert len(org.visit_teams) == 426 and sum(len(t.cadres) for t in org.visit_teams.values()) == 2115
    assert time.perf_counter() - started < 5
