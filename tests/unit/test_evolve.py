"""evolve copies only what it changes: the state it was given must never change."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.reference_data import DEMO_ORG, load_policy
from domain.enums import Urgency
from domain.evolve import evolve
from domain.model import PetitionState
from evaluation.lives import KINDS, WAYS, Life, live
from org.loader import load_org_file

ORG = load_org_file(Path(str(DEMO_ORG)))


@pytest.mark.parametrize("kind", [k for k, _ in KINDS])
def test_evolve_leaves_every_earlier_state_untouched(kind: str):
    rng = random.Random(kind)
    rules = load_policy("default").rules_for("sanitation", Urgency.NORMAL)
    life = live(Life("P-1", ORG, rules, "default", datetime(2026, 3, 2, 9, tzinfo=UTC), "rc-yuehe-taibai-g1",
                     "sanitation"), kind, ORG, rng)
    states, dumps = [PetitionState(id="P-1")], [PetitionState(id="P-1").model_dump()]
    for event in life.events:
        states.append(evolve(states[-1], event))
        dumps.append(states[-1].model_dump())
    assert [s.model_dump() for s in states] == dumps
    assert states[-1] == life.state
    assert len({id(s.assignment) for s in states if s.assignment}) == sum(1 for s in states if s.assignment)


@pytest.mark.parametrize("way", [w for w, _ in WAYS])
def test_every_way_of_reporting_plays_to_a_plausible_end(way: str):
    """The simulated month's intake routines (issue 14): each makes the petition its channel and intake say."""
    rng = random.Random(way)
    rules = load_policy("default").rules_for("sanitation", Urgency.NORMAL)
    life = live(Life("P-2", ORG, rules, "default", datetime(2026, 3, 2, 9, tzinfo=UTC), "rc-yuehe-taibai-g1",
                     "sanitation", way=way, rng=rng), "direct", ORG, rng)
    state = life.state
    expected_channel = {"on_the_spot": "grid_worker", "hotline_answered": "hotline", "hotline_triaged": "hotline"}
    assert state.channel.value == expected_channel.get(way, way)
    if way.startswith("hotline_"):  # answered or triaged at intake: closed at once, no unit's record
        assert state.status.value == "closed" and not state.units
    else:
        assert state.status.value == "closed" and state.close_outcome is not None
        assert state.close_outcome.value == "resolved"
    assert (state.resolution is not None and state.resolution.on_the_spot) == (way == "on_the_spot")


def test_a_category_a_grid_does_not_handle_is_never_resolved_on_the_spot():
    rules = load_policy("default").rules_for("water_supply", Urgency.NORMAL)
    life = Life("P-3", ORG, rules, "default", datetime(2026, 3, 2, 9, tzinfo=UTC), "rc-yuehe-taibai-g1",
                "water_supply", way="on_the_spot")
    assert life.state.resolution is None and life.state.assignment is not None
    assert life.state.assignment.rung.level.value == "street"
