"""The shipped SLA policies give valid rules for every category and urgency."""

from __future__ import annotations

import pytest

from config.reference_data import load_policy, policy_names
from domain.enums import Clock, Level, Urgency
from domain.errors import InvalidCommand
from domain.policy import Policy, Span


def test_both_policies_ship_and_cover_every_demo_category(demo_org) -> None:
    assert {"default", "fast"} <= set(policy_names())
    for name in ("default", "fast"):
        load_policy(name).validate_all(list(demo_org.categories))


def test_default_policy_follows_the_12345_rules() -> None:
    rules = load_policy("default").rules_for("sanitation", Urgency.NORMAL)
    # whole working days counted from the next working day (次日起算), as the published rules count them
    days = Clock.WHOLE_WORKING_DAYS
    assert rules.return_window == Span(seconds=2 * 86_400, clock=days)
    assert rules.max_extension == Span(seconds=10 * 86_400, clock=days)
    assert rules.resolve[Level.STREET] == Span(seconds=5 * 86_400, clock=days)
    # the yellow card shows one working day before the deadline
    assert rules.warning_offset(Level.STREET) == Span(seconds=4 * 86_400, clock=days)
    assert rules.accept == Span(seconds=4 * 3_600, clock=Clock.OFFICE)  # 签收: 4 office hours


def test_utilities_within_24_hours_and_emergencies_within_2() -> None:
    policy = load_policy("default")
    water = policy.rules_for("water_supply", Urgency.NORMAL)
    assert all(span == Span(seconds=86_400, clock=Clock.NATURAL) for span in water.resolve.values())
    emergency = policy.rules_for("sanitation", Urgency.EMERGENCY)
    assert emergency.resolve[Level.GRID] == Span(seconds=7_200, clock=Clock.NATURAL)
    assert emergency.max_extensions == 0


def test_fast_policy_is_seconds_around_the_clock() -> None:
    rules = load_policy("fast").rules_for("noise", Urgency.NORMAL)
    assert all(s.clock is Clock.NATURAL and s.seconds <= 15 for s in rules.resolve.values())


def test_a_broken_policy_is_a_clear_error() -> None:
    policy = Policy(name="broken", defaults={"accept": {"fortnights": 1}})
    with pytest.raises(InvalidCommand, match="broken"):
        policy.rules_for("noise", Urgency.NORMAL)
    with pytest.raises(ValueError, match="unknown duration unit"):
        Span.parse({"fortnights": 1})
