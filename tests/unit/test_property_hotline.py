"""物业110 (issue 14 §3), pure: compounds and street property offices in the org, the compound's ladder, the
company rung's own deadlines (and petitions that keep the rules they started with), the company's callback."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from config.reference_data import load_policy, work_calendar
from domain import commands as cmd
from domain import events as ev
from domain.catalogue import decide
from domain.enums import Channel, Level, Role, Status, UnitKind, Urgency, VisitOutcome
from domain.errors import InvalidCommand, InvalidState, NotPermitted
from domain.evolve import fold
from domain.model import Actor, PetitionState
from domain.policy import Rules, Span
from domain.timers import due_item
from org.loader import OrgFileError, parse_org
from org.routing import dispatch_desk, ladder_for_compound, ladder_from_unit

CAL = work_calendar()
COMPOUND = "qf-lucheng-gulou-gulouhoujie"  # 鼓楼后街小区 (公益物业)
MONDAY = datetime.fromisoformat("2026-11-23T09:00:00+08:00")
LADDER = ["pc-qfgongyi", "qf-lucheng-gulou", "qf-lucheng-wyb", "qufu-housing"]


def actor(unit: str, role: Role) -> Actor:
    return Actor(id=f"{role.value}@{unit}", name=unit, unit_code=unit, role=role)


COMPANY = actor("pc-qfgongyi", Role.PROPERTY_STAFF)


class Order:
    """A 物业110 order driven by the pure decider with its own clock (the workflow's ticks)."""

    def __init__(self, org, *, rules: Rules | None = None, confidential: bool = False,
                 urgency: Urgency = Urgency.NORMAL) -> None:
        self.now, self.state = MONDAY, PetitionState(id="P-110")
        grid, ladder = ladder_for_compound(org, COMPOUND, "property_management")
        self.events = self.send(cmd.Report(
            actor=COMPANY, petition_id="P-110", category="property_management", description="楼道灯坏了",
            grid_code=grid, channel=Channel.PROPERTY_HOTLINE, urgency=urgency, policy_name="default",
            rules=rules or load_policy("default").rules_for("property_management", urgency), ladder=ladder,
            desk_code=dispatch_desk(org, grid), reporter_name="孔繁荣", reporter_phone="13905376666",
            confidential=confidential, compound=COMPOUND))

    def send(self, command) -> list:
        events = decide(self.state, command, self.now, CAL)
        self.state = fold(self.state, events)
        return events

    def wait(self, delta: timedelta) -> list:
        target, fired = self.now + delta, []
        while (item := due_item(self.state)) is not None and item.at <= target:
            self.now = max(self.now, item.at)
            fired += self.send(cmd.Tick())
        self.now = target
        return fired


# --- the org ------------------------------------------------------------------------------------------------


def test_compounds_and_property_offices_are_org_data(demo_org) -> None:
    compounds = [u for u in demo_org.units.values() if u.kind is UnitKind.COMPOUND]
    lucheng = [c for c in compounds if c.code.startswith("qf-lucheng-")]
    assert len(lucheng) >= 5 and {c.property_company for c in lucheng} == {"pc-qfgongyi", "pc-qfxinghe"}
    assert any(c.district_code == "rencheng" for c in compounds)
    gulou = {demo_org.units[c.parent_code].parent_code for c in lucheng if c.property_company == "pc-qfxinghe"}
    assert "qf-lucheng-gulou" in gulou  # one community, compounds of two companies
    office = demo_org.units["qf-lucheng-wyb"]
    assert (office.kind, office.parent_code, office.district_code) == (UnitKind.PROPERTY_OFFICE, "qf-lucheng", "qufu")
    # a compound defaults to its community's company and first grid
    caoqiao = demo_org.units["rc-jiyang-caoqiao-shuijing"]
    assert (caoqiao.property_company, caoqiao.parent_code) == ("pc-shuijing", "rc-jiyang-caoqiao-g1")


def test_a_compounds_ladder_is_company_community_office_housing(demo_org) -> None:
    grid, ladder = ladder_for_compound(demo_org, COMPOUND, "property_management")
    assert grid == "qf-lucheng-gulou-g1"
    assert [r.unit_code for r in ladder] == LADDER
    assert [r.overseer_code for r in ladder] == ["qf-lucheng-gulou", "qf-lucheng-wyb", "qf-lucheng", "qufu"]
    assert [r.level for r in ladder] == [Level.COMMUNITY, Level.COMMUNITY, Level.STREET, Level.DEPARTMENT]
    assert [r.kind for r in ladder] == [UnitKind.PROPERTY_COMPANY, None, None, None]
    _, other = ladder_for_compound(demo_org, "qf-lucheng-gulou-xiguan", "property_management")
    assert other[0].unit_code == "pc-qfxinghe"
    # a street without a 物业办 climbs to the street itself, overseen by the district
    _, no_office = ladder_for_compound(demo_org, "rc-jiyang-caoqiao-shuijing", "property_management")
    assert [(r.unit_code, r.overseer_code) for r in no_office[1:3]] == [
        ("rc-jiyang-caoqiao", "rc-jiyang"), ("rc-jiyang", "rencheng")]
    with pytest.raises(InvalidCommand, match="物业110 takes property matters"):
        ladder_for_compound(demo_org, COMPOUND, "sanitation")
    with pytest.raises(InvalidCommand, match="unknown compound"):
        ladder_for_compound(demo_org, "qf-lucheng-gulou-g1", "property_management")  # a grid is no compound


def test_dispatch_to_a_property_office_or_a_compounds_company(demo_org) -> None:
    office = ladder_from_unit(demo_org, "qf-lucheng-wyb", "qf-lucheng-gulou-g1", "property_management")
    assert [(r.unit_code, r.level) for r in office] == [("qf-lucheng-wyb", Level.STREET),
                                                        ("qufu-housing", Level.DEPARTMENT)]
    # 星河物业 serves a compound of grid g3 (not the community's own company): a dispatcher may send it there
    company = ladder_from_unit(demo_org, "pc-qfxinghe", "qf-lucheng-gulou-g3", "property_management")
    assert company[0].unit_code == "pc-qfxinghe" and company[0].kind is UnitKind.PROPERTY_COMPANY
    with pytest.raises(InvalidCommand, match="does not manage"):
        ladder_from_unit(demo_org, "pc-qfxinghe", "qf-lucheng-gulou-g1", "property_management")


BASE = {"districts": [{"code": "d", "name": "D", "streets": [{"code": "s", "name": "S", "communities": [
    {"code": "c", "name": "C", "grids": 2}]}, {"code": "s2", "name": "S2"}]},
    {"code": "e", "name": "E"}],
    "property_companies": [{"code": "pc", "name": "PC", "district": "d"},
                           {"code": "pe", "name": "PE", "district": "e"}]}


@pytest.mark.parametrize(("extra", "message"), [
    ({"compounds": [{"code": "x", "name": "X", "community": "s", "property_company": "pc"}]}, "not a community"),
    ({"compounds": [{"code": "x", "name": "X", "community": "c", "grid": "s", "property_company": "pc"}]},
     "not a grid of community c"),
    ({"compounds": [{"code": "x", "name": "X", "community": "c"}]}, "no property_company"),
    ({"compounds": [{"code": "x", "name": "X", "community": "c", "property_company": "c"}]},
     "not a property company"),
    ({"compounds": [{"code": "x", "name": "X", "community": "c", "property_company": "pe"}]},
     "serves another district"),
    ({"property_offices": [{"code": "o", "name": "O", "street": "c"}]}, "not a street"),
    ({"property_offices": [{"code": "o", "name": "O", "street": "s"}, {"code": "o2", "name": "O2", "street": "s"}]},
     "has a property office already"),
])
def test_malformed_compounds_and_offices_say_what_is_wrong(extra: dict, message: str) -> None:
    with pytest.raises(OrgFileError, match=message):
        parse_org(BASE | extra)


def test_a_compound_defaults_to_the_first_grid() -> None:
    org = parse_org(BASE | {"compounds": [{"code": "x", "name": "X", "community": "c", "property_company": "pc"}]})
    assert (org.units["x"].parent_code, org.units["x"].kind) == ("c-g1", UnitKind.COMPOUND)


# --- the policy and the company rung's deadlines ----------------------------------------------------------------


def test_the_policy_gives_the_company_rung_its_own_times() -> None:
    rules = load_policy("default").rules_for("property_management", Urgency.NORMAL)
    assert rules.company_accept == Span(seconds=3600, clock=rules.company_accept.clock)
    assert rules.company_resolve is not None and rules.company_resolve.seconds == 48 * 3600
    # an urgent call takes the urgency's tighter rules on every rung, the company's too
    urgent = load_policy("default").rules_for("property_management", Urgency.URGENT)
    assert urgent.company_accept is None and urgent.company_resolve is None
    assert load_policy("fast").rules_for("property_management", Urgency.NORMAL).company_resolve.seconds == 8


def test_the_company_has_an_hour_to_answer_and_two_days_to_finish_then_the_order_climbs(demo_org) -> None:
    order = Order(demo_org)
    assigned = order.events[-1]
    assert isinstance(assigned, ev.WorkOrderAssigned) and assigned.rung.unit_code == "pc-qfgongyi"
    assert assigned.accept_due == MONDAY + timedelta(hours=1)
    assert assigned.resolve_due == MONDAY + timedelta(hours=48)
    fired = order.wait(timedelta(hours=1, seconds=1))
    assert isinstance(fired[0], ev.DeadlineBreached) and fired[0].deadline == "accept"
    assert order.state.rung.unit_code == "pc-qfgongyi"  # a late answer is a breach, not a climb
    order.wait(timedelta(hours=47))
    assert order.state.rung.unit_code == "qf-lucheng-gulou"
    climbed = order.state.assignment
    # the community's rung counts its own 3 whole working days (Thu 26 to Mon 30 Nov, due at the office's close)
    assert climbed.resolve_due.date() == datetime(2026, 11, 30).date()
    assert order.state.units["pc-qfgongyi"].resolve_breaches == 1


def test_a_petition_keeps_the_rules_it_started_with(demo_org) -> None:
    """Rules frozen before the company's own times existed: the company's rung counts like its level's."""
    old = load_policy("default").rules_for("property_management", Urgency.NORMAL).model_copy(
        update={"company_accept": None, "company_resolve": None})
    order = Order(demo_org, rules=old)
    community = order.state.rules.resolve[Level.COMMUNITY]
    assert order.state.assignment.resolve_due == CAL.add(MONDAY, community.seconds, community.clock)


# --- the company's callback (客服回访) ----------------------------------------------------------------------------


def _resolved(org, **kwargs) -> Order:
    order = Order(org, **kwargs)
    order.send(cmd.Accept(actor=COMPANY))
    order.send(cmd.Resolve(actor=COMPANY, result="已更换楼道灯"))
    return order


def test_the_company_that_resolved_calls_back_and_the_visit_still_closes(demo_org) -> None:
    order = _resolved(demo_org)
    [called] = order.send(cmd.CompanyCallback(actor=COMPANY, outcome=VisitOutcome.DISSATISFIED, note="还有一盏不亮"))
    assert called == ev.CompanyCallbackRecorded(at=order.now, unit_code="pc-qfgongyi",
                                                outcome=VisitOutcome.DISSATISFIED, note="还有一盏不亮", actor=COMPANY)
    order.send(cmd.CompanyCallback(actor=COMPANY, outcome=VisitOutcome.SATISFIED))  # a later one replaces it
    assert (order.state.company_callback, order.state.status) == (VisitOutcome.SATISFIED, Status.RESOLVED)
    visitor = actor("qufu", Role.RETURN_VISITOR)
    order.send(cmd.RecordReturnVisit(actor=visitor, outcome=VisitOutcome.SATISFIED))
    assert order.state.status is Status.CLOSED


def test_who_may_call_back_and_when(demo_org) -> None:
    order = Order(demo_org)
    with pytest.raises(InvalidState, match="must be resolved"):
        decide(order.state, cmd.CompanyCallback(actor=COMPANY, outcome=VisitOutcome.SATISFIED), order.now, CAL)
    order = _resolved(demo_org)
    other = actor("pc-qfxinghe", Role.PROPERTY_STAFF)
    with pytest.raises(NotPermitted, match="only the company that resolved it"):
        decide(order.state, cmd.CompanyCallback(actor=other, outcome=VisitOutcome.SATISFIED), order.now, CAL)
    with pytest.raises(NotPermitted, match="company-callback needs one of the roles: property_staff"):
        decide(order.state, cmd.CompanyCallback(actor=actor("qufu", Role.RETURN_VISITOR),
                                                outcome=VisitOutcome.SATISFIED), order.now, CAL)
    with pytest.raises(InvalidCommand, match="not_visited"):
        decide(order.state, cmd.CompanyCallback(actor=COMPANY, outcome=VisitOutcome.NOT_VISITED), order.now, CAL)
    secret = _resolved(demo_org, confidential=True)
    with pytest.raises(InvalidState, match="not the company's to call"):
        decide(secret.state, cmd.CompanyCallback(actor=COMPANY, outcome=VisitOutcome.SATISFIED), secret.now, CAL)


def test_the_compound_is_recorded_on_the_petition(demo_org) -> None:
    order = Order(demo_org)
    reported = order.events[0]
    assert isinstance(reported, ev.PetitionReported) and reported.compound == COMPOUND
    assert (order.state.compound, order.state.channel) == (COMPOUND, Channel.PROPERTY_HOTLINE)
    # an event recorded before the field existed decodes with none
    data = reported.model_dump(mode="json", exclude={"type", "compound"})
    assert ev.event_from("PetitionReported", data).compound == ""


# --- the simulated month's 物业110 calls ------------------------------------------------------------------------


def test_simulated_calls_close_and_mostly_stay_with_the_company(demo_org) -> None:
    import random

    from evaluation.sim_property import compounds_of, property_call

    rng, policy = random.Random(7), load_policy("default")
    lives = [property_call(f"S-{n}", demo_org, policy, MONDAY + timedelta(hours=7 * n), rng.choice(
        compounds_of(demo_org)), rng) for n in range(120)]
    assert all(life.state.status is Status.CLOSED for life in lives)
    assert all(life.state.channel is Channel.PROPERTY_HOTLINE and life.state.compound for life in lives)
    kinds = [demo_org.units[life.state.resolution.unit_code].kind for life in lives if life.state.resolution]
    companies = kinds.count(UnitKind.PROPERTY_COMPANY)
    assert 0.7 * len(lives) < companies < len(lives)  # some climbed to the community
    assert sum(life.state.company_callback is not None for life in lives) > companies / 2
