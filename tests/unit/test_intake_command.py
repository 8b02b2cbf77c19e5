"""The intake's pure part: the limits every channel shares, where a report goes, the command it becomes."""

from __future__ import annotations

import pytest

from config.reference_data import load_policy
from domain import commands as cmd
from domain.enums import Channel, Role, Urgency
from domain.errors import InvalidCommand
from domain.model import Actor
from services.errors import FieldTooLong, LocationMismatch, LocationOutsideGrids, LocationRequired
from services.intake_command import LIMITS, MAX_MEDIA, Intake, Route, locate, report_command, route, too_long

GRID, INSIDE, ELSEWHERE = "rc-yuehe-taibai-g1", (35.4287, 116.575), (35.2, 116.2)
GRID_WORKER = Actor(id="g1", name="网格员张伟", unit_code=GRID, role=Role.GRID_WORKER)


def intake(**fields) -> Intake:
    return Intake(**({"actor": GRID_WORKER, "category": "sanitation", "description": "小区门口垃圾堆积",
                      "channel": Channel.HOTLINE} | fields))


def test_each_limit_is_refused_one_character_beyond_naming_the_field():
    for name, most in LIMITS.items():
        assert too_long(intake(**{name: "x" * most})) is None, name
        problem = too_long(intake(**{name: "x" * (most + 1)}))
        assert isinstance(problem, FieldTooLong) and problem.field == name and f"at most {most}" in problem.message
    assert too_long(intake(media_urls=("https://a.example/p.jpg",) * (MAX_MEDIA + 1))).field == "media_urls"


def test_the_domain_command_is_at_least_as_lenient_as_the_limits():
    """A report inside the limits always makes a valid `Report` (recorded histories keep decoding)."""
    for name, most in LIMITS.items():
        constraint = next(m.max_length for m in cmd.Report.model_fields[name].metadata if hasattr(m, "max_length"))
        assert constraint >= most, name


def test_a_report_goes_to_the_grid_named_or_the_grid_holding_its_point(demo_org):
    assert locate(demo_org, GRID, None, None) == GRID
    assert locate(demo_org, None, *INSIDE) == GRID
    assert locate(demo_org, GRID, *INSIDE) == GRID
    assert locate(demo_org, "a-grid-jiehu-does-not-know", *ELSEWHERE) == "a-grid-jiehu-does-not-know"
    with pytest.raises(LocationMismatch, match=f"outside grid {GRID}"):
        locate(demo_org, GRID, *ELSEWHERE)
    with pytest.raises(LocationOutsideGrids):
        locate(demo_org, None, *ELSEWHERE)
    with pytest.raises(LocationRequired):
        locate(demo_org, None, None, None)


def test_the_route_climbs_from_the_grid_and_names_its_districts_desk(demo_org):
    where = route(demo_org, GRID, "sanitation")
    assert where.grid_code == GRID and where.desk_code == "rencheng"
    assert where.ladder[0].unit_code == GRID and len(where.ladder) > 1
    with pytest.raises(InvalidCommand, match="unknown grid"):
        route(demo_org, "nowhere", "sanitation")


def test_the_command_freezes_the_rules_and_carries_every_field(demo_org):
    rules = load_policy("default").rules_for("sanitation", Urgency.URGENT)
    given = intake(grid_code=GRID, latitude=INSIDE[0], longitude=INSIDE[1], address="太白小区3号楼",
                   urgency=Urgency.URGENT, reporter_name="陈秀英", reporter_phone="13805371234", confidential=True,
                   public_summary="垃圾清运", media_urls=("https://a.example/p.jpg",), follows="JH1")
    report = report_command(given, "JH2", route(demo_org, GRID, "sanitation"), "default", rules, follows_unit=GRID)
    assert report.rules == rules and report.policy_name == "default" and report.tracks_delivery
    assert (report.petition_id, report.grid_code, report.desk_code) == ("JH2", GRID, "rencheng")
    assert (report.latitude, report.longitude, report.media_urls) == (*INSIDE, ["https://a.example/p.jpg"])
    assert (report.reporter_name, report.confidential, report.follows, report.follows_unit) == (
        "陈秀英", True, "JH1", GRID)


def test_a_recorded_route_is_kept_as_it_was(demo_org):
    """The what-if replays a petition on the ladder it was routed to then, not on today's org."""
    recorded = Route("rc-yuehe-taibai-g1", route(demo_org, GRID, "sanitation").ladder[1:], "")
    report = report_command(intake(), "JH3", recorded, "default", load_policy("default").rules_for(
        "sanitation", Urgency.NORMAL), tracks_delivery=False)
    assert report.ladder == recorded.ladder and report.desk_code == "" and not report.tracks_delivery
