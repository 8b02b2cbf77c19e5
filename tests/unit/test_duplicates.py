"""Issue 14 §5 in the pure domain: the duplicate rule, the burst rule, and the merge and burst commands
(given events / when command / then events)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import commands as cmd
from domain import events as ev
from domain.catalogue import decide
from domain.duplicates import (
    BurstMatch,
    DuplicateRule,
    Sketch,
    burst_match,
    distance_m,
    duplicate_candidates,
    text_score,
)
from domain.enums import CloseOutcome, RequestType, Status, VisitOutcome
from domain.errors import InvalidCommand, InvalidState, NotPermitted
from domain.evaluation import excluded
from domain.model import Burst
from tests.unit.decider_spec import (
    DISPATCHER,
    GRID,
    GRID_WORKER,
    MONDAY,
    PETITION,
    SUPERVISOR,
    VISITOR,
    given,
    reported,
)
from tests.unit.domain_helpers import CAL, Petition

TAIBAI = (35.4050, 116.5870)  # a point in 太白社区
RULE = DuplicateRule(window_seconds=3 * 24 * 3600, distance_m=300, min_text_score=0.2, limit=3)


def _sketch(pid: str = "", *, description: str = "小区门口垃圾堆积无人清运", grid: str = GRID,
            category: str = "sanitation", point: tuple[float, float] | None = None, status: str = "dispatched",
            hours_ago: float = 1) -> Sketch:
    return Sketch(id=pid, status=status if pid else "", category=category, description=description,
                  grid_code=grid, latitude=point[0] if point else None, longitude=point[1] if point else None,
                  reported_at=MONDAY - timedelta(hours=hours_ago) if pid else None)


# --- the rules -------------------------------------------------------------------------------------------


def test_text_score_is_the_dice_coefficient_of_character_bigrams() -> None:
    assert text_score("垃圾堆积", "垃圾堆积") == 1.0
    assert text_score("垃圾堆积", "路灯不亮") == 0.0
    # 垃圾 圾堆 堆积 vs 门口 口垃 垃圾 圾堆 堆积 积无 无人: 3 common of 3 + 7 bigrams
    assert text_score("垃圾堆积", "门口垃圾堆积无人") == 0.6
    assert text_score("ＡＢＣ, abc!", "abcabc") == 1.0  # NFKC, lower case, punctuation and spaces out
    assert text_score("", "垃圾") == 0.0 and text_score("!!", "垃圾") == 0.0


def test_distance_is_the_great_circle_distance_in_metres() -> None:
    assert distance_m(*TAIBAI, *TAIBAI) == 0
    # one thousandth of a degree of latitude is 111.2 m anywhere
    assert distance_m(35.405, 116.587, 35.406, 116.587) == pytest.approx(111.2, abs=0.1)
    # Jining to Qufu, about 41 km (checked against a map)
    assert distance_m(35.4149, 116.5872, 35.5810, 116.9865) == pytest.approx(40_800, rel=0.02)


def test_candidates_are_open_same_category_same_place_similar_and_recent_ranked_and_capped() -> None:
    new = _sketch(point=TAIBAI, grid="rc-yuehe-taibai-g2")
    near = (TAIBAI[0] + 0.001, TAIBAI[1])  # 111 m away
    others = [
        _sketch("same-grid-no-point", grid="rc-yuehe-taibai-g2", description="门口垃圾堆积好几天了"),
        _sketch("near-other-grid", point=near, description="小区门口垃圾堆积无人清运"),
        _sketch("far", point=(TAIBAI[0] + 0.01, TAIBAI[1])),  # 1.1 km, another grid
        _sketch("other-category", point=TAIBAI, category="noise"),
        _sketch("closed", point=TAIBAI, status="closed"),
        _sketch("too-old", point=TAIBAI, hours_ago=24 * 4),
        _sketch("not-similar", point=TAIBAI, description="路灯不亮"),
    ]
    found = duplicate_candidates(new, others, MONDAY, RULE)
    assert [c.petition_id for c in found] == ["near-other-grid", "same-grid-no-point"]
    best = found[0]
    assert (best.same_grid, best.text_score, best.status) == (False, 1.0, "dispatched")
    assert best.distance_m == pytest.approx(111.2, abs=0.1)
    assert found[1].same_grid and found[1].distance_m is None and 0.2 <= found[1].text_score < 1
    many = [_sketch(f"p{i}", point=TAIBAI, hours_ago=i + 1) for i in range(5)]
    assert [c.petition_id for c in duplicate_candidates(new, many, MONDAY, RULE)] == ["p4", "p3", "p2"]  # oldest
    assert duplicate_candidates(_sketch("p0", point=TAIBAI), many[:1], MONDAY, RULE) == []  # never itself


def _burst(**extra) -> Burst:
    return Burst(**({"declared_at": MONDAY, "until": MONDAY + timedelta(hours=2), "grid_codes": [GRID],
                     "radius_m": 500, "latitude": TAIBAI[0], "longitude": TAIBAI[1], "reason": "供水主管爆裂",
                     "declared_by": DISPATCHER} | extra))


def test_a_report_joins_a_burst_only_inside_its_category_place_time_and_keywords() -> None:
    water = _sketch("B", category="water_supply", description="主管道爆裂停水")
    call = dict(category="water_supply", description="家里停水了")
    assert burst_match(_burst(), water, _sketch(**call), MONDAY) == BurstMatch(same_grid=True, distance_m=None)
    near = burst_match(_burst(), water, _sketch(**call, grid="rc-yuehe-yuehe-g1",
                                                point=(TAIBAI[0] + 0.003, TAIBAI[1])), MONDAY)
    assert near is not None and not near.same_grid and near.distance_m == pytest.approx(333.6, abs=0.5)
    assert "333" in near.describe() or "334" in near.describe()
    assert burst_match(_burst(), water, _sketch(**call, grid="rc-yuehe-yuehe-g1",
                                                point=(TAIBAI[0] + 0.01, TAIBAI[1])), MONDAY) is None  # 1.1 km
    assert burst_match(_burst(), water, _sketch(category="sanitation", description="停水"), MONDAY) is None
    assert burst_match(_burst(), water, _sketch(**call), MONDAY + timedelta(hours=3)) is None  # ended
    assert burst_match(_burst(), water.model_copy(update={"status": "closed"}), _sketch(**call), MONDAY) is None
    keyed = _burst(keywords=["停水", "爆管"])
    assert burst_match(keyed, water, _sketch(**call), MONDAY).keyword == "停水"  # type: ignore[union-attr]
    assert burst_match(keyed, water, _sketch(category="water_supply", description="水费多收了"), MONDAY) is None


# --- merge: given / when / then ----------------------------------------------------------------------------


def test_a_merge_closes_the_petition_as_a_duplicate_naming_its_survivor(demo_org) -> None:
    events = given(*reported(demo_org)).when(cmd.MergeInto(actor=DISPATCHER, into="P-0", reason="同一垃圾点")).decided()
    assert [e.type for e in events] == ["PetitionMerged", "PetitionClosed", "UnitEvaluated"]
    merged, closed, evaluated = events
    assert merged == ev.PetitionMerged(at=MONDAY, into="P-0", reason="同一垃圾点", reporters=1, actor=DISPATCHER)
    assert (closed.outcome, closed.duplicate_of) == (CloseOutcome.DUPLICATE, "P-0")  # type: ignore[union-attr]
    assert "P-0" in closed.explanation  # type: ignore[union-attr]
    # the grid's record leaves its rates: the close outcome is one of the excluded ones
    assert excluded({"close_outcome": evaluated.close_outcome.value})  # type: ignore[union-attr]


def test_merge_refusals_in_the_domain(demo_org) -> None:
    given(*reported(demo_org)).when(cmd.MergeInto(actor=DISPATCHER, into=PETITION, reason="r")).then_raises(
        InvalidCommand, "itself")
    given(*reported(demo_org)).when(cmd.MergeInto(actor=GRID_WORKER, into="P-0", reason="r")).then_raises(
        NotPermitted, "merge needs one of the roles")
    absorb = cmd.AbsorbMerged(actor=SUPERVISOR, merged_id="P-9", merged_desk_code="yanzhou", reason="r",
                              reporters=[cmd.MergedReporter(name="张三", phone="13900000001")])
    given(*reported(demo_org)).when(absorb).then_raises(InvalidCommand, "within one district")


def test_the_survivor_links_the_merged_reporters_who_are_visited_before_it_closes(demo_org) -> None:
    survivor = Petition(demo_org, MONDAY)
    duplicate = Petition(demo_org, MONDAY)
    duplicate.send(cmd.LinkCaller(actor=DISPATCHER, reason="同一事项", caller_name="李四", caller_phone="13900000002"))
    reporters = [cmd.MergedReporter(name="张三", phone="13900000001", request_type=RequestType.COMPLAINT),
                 cmd.MergedReporter(name="李四", phone="13900000002"),
                 cmd.MergedReporter()]  # a grid worker's own report: no phone, nobody to call
    absorb = cmd.AbsorbMerged(actor=DISPATCHER, merged_id="P-2", merged_desk_code=survivor.state.desk_code,
                              reporters=reporters, reason="同一垃圾点")
    linked = survivor.send(absorb)
    assert [(e.caller, e.merged_from, e.caller_name) for e in linked] == [  # type: ignore[union-attr]
        (1, "P-2", "张三"), (2, "P-2", "李四"), (3, "P-2", "")]
    with pytest.raises(InvalidState, match="merged into P-1 already"):
        decide(survivor.state, absorb, survivor.now, CAL)
    survivor.send(cmd.Accept(actor=survivor.handler))
    survivor.send(cmd.Resolve(actor=survivor.handler, result="已清运"))
    survivor.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert survivor.state.status is Status.RESOLVED  # two merged reporters wait for their call
    with pytest.raises(InvalidState, match="no phone"):
        decide(survivor.state, cmd.VisitLinkedCaller(actor=VISITOR, caller=3, outcome=VisitOutcome.SATISFIED),
               survivor.now, CAL)
    survivor.send(cmd.VisitLinkedCaller(actor=VISITOR, caller=1, outcome=VisitOutcome.SATISFIED))
    survivor.send(cmd.VisitLinkedCaller(actor=VISITOR, caller=2, outcome=VisitOutcome.SATISFIED))
    assert survivor.state.status is Status.CLOSED and survivor.state.close_outcome is CloseOutcome.RESOLVED


def test_merged_reporters_are_the_reporter_and_the_linked_callers_not_yet_visited(demo_org) -> None:
    from domain.decider import merged_reporters

    p = Petition(demo_org, MONDAY)
    p.send(cmd.LinkCaller(actor=DISPATCHER, reason="同一事项", anonymous=True))
    assert [(r.name, r.anonymous) for r in merged_reporters(p.state)] == [("", False), ("", True)]


# --- bursts ----------------------------------------------------------------------------------------------


def test_a_burst_is_declared_with_the_petitions_grid_and_point_unless_named(demo_org) -> None:
    until = MONDAY + timedelta(hours=2)
    given(*reported(demo_org)).when(cmd.DeclareBurst(actor=DISPATCHER, until=until, reason="主管爆裂")).then(
        ev.BurstDeclared(at=MONDAY, burst=Burst(declared_at=MONDAY, until=until, grid_codes=[GRID], radius_m=500,
                                                reason="主管爆裂", declared_by=DISPATCHER)))
    for bad, field in ((MONDAY, "until"), (MONDAY + timedelta(days=4), "until")):
        error = given(*reported(demo_org)).when(cmd.DeclareBurst(actor=DISPATCHER, until=bad, reason="r")) \
            .then_raises(InvalidCommand)
        assert error.field == field
    given(*reported(demo_org)).when(cmd.DeclareBurst(actor=SUPERVISOR, until=until, reason="r")).then_raises(
        NotPermitted)


def test_forty_reports_join_a_burst_as_reporters_and_are_all_visited_before_it_closes(demo_org) -> None:
    p = Petition(demo_org, MONDAY)
    p.send(cmd.DeclareBurst(actor=DISPATCHER, until=MONDAY + timedelta(hours=1), reason="垃圾站倾倒, 集中来电",
                            keywords=["垃圾"]))
    for i in range(39):
        [linked] = p.send(cmd.JoinBurst(actor=DISPATCHER, category="sanitation", description=f"垃圾满地{i}",
                                        grid_code=GRID, reporter_name=f"居民{i}", reporter_phone=f"1390000{i:04d}"))
        assert linked.burst and linked.caller == i + 1 and "垃圾" in linked.reason  # type: ignore[union-attr]
    assert p.state.assignment is not None and p.state.assignment.rung_index == 0  # one order, one ladder
    with pytest.raises(InvalidState, match="outside the burst"):
        decide(p.state, cmd.JoinBurst(actor=DISPATCHER, category="sanitation", description="路灯不亮",
                                      grid_code=GRID), p.now, CAL)
    with pytest.raises(InvalidState, match="outside the burst"):
        decide(p.state, cmd.JoinBurst(actor=DISPATCHER, category="sanitation", description="垃圾",
                                      grid_code=GRID), p.now + timedelta(hours=2), CAL)
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    for caller in range(1, 40):
        assert p.state.status is Status.RESOLVED
        p.send(cmd.VisitLinkedCaller(actor=VISITOR, caller=caller, outcome=VisitOutcome.SATISFIED))
    assert p.state.status is Status.CLOSED and len(p.state.linked_callers) == 39


def test_no_burst_no_join(demo_org) -> None:
    given(*reported(demo_org)).when(cmd.JoinBurst(actor=DISPATCHER, category="sanitation", description="垃圾",
                                                  grid_code=GRID)).then_raises(InvalidState, "no burst")
