"""The intake routines of issue 14 show in Prometheus: calls triaged at intake by outcome, callers linked to an
open petition, petitions resolved on the spot (counted from the appended events, as every other counter)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from observability.metrics import observe_appended


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_triage_linking_and_on_the_spot_are_counted_from_the_events():
    before = (_value("jiehu_intake_triaged_total", outcome="legal_channel"), _value("jiehu_callers_linked_total"),
              _value("jiehu_resolved_on_the_spot_total"))
    observe_appended([
        ("IntakeTriaged", {"outcome": "legal_channel", "reason": "劳动争议"}),
        ("CallerLinked", {"caller": 1, "reason": "同一事项"}),
        ("CallerLinked", {"caller": 2, "reason": "同一事项"}),
        ("PetitionResolved", {"on_the_spot": True}),
        ("PetitionResolved", {"on_the_spot": False}),
        ("PetitionResolved", {}),  # recorded before on-the-spot existed
    ], lambda unit: "grid")
    after = (_value("jiehu_intake_triaged_total", outcome="legal_channel"), _value("jiehu_callers_linked_total"),
             _value("jiehu_resolved_on_the_spot_total"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 2, 1]
