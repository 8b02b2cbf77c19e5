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
from evaluation.lives import KINDS, Life, live
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
