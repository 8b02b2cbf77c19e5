"""Scorecard arithmetic on a few facts worked out by hand."""

from __future__ import annotations

import pytest

from domain.enums import Waiver
from domain.errors import InvalidCommand
from domain.evaluation import COUNTED, Period, ScoringWeights, apply_waivers, rank, scorecard

UNIT = {"unit_code": "c1", "unit_name": "社区一", "kind": "community"}


def fact(**values) -> dict:
    base = {name: 0 for name in COUNTED} | {"seconds_to_accept": None, "seconds_to_resolve": None,
                                            "visit_outcome": None}
    return base | values


IN_TIME = fact(received=1, accepted=1, accepted_in_time=1, resolved=1, resolved_in_time=1,
               visit_outcome="satisfied", seconds_to_accept=3600, seconds_to_resolve=7200)
LATE = fact(received=1, accepted=1, accept_breaches=1, resolved=1, resolve_breaches=1, reopens=1,
            visit_outcome="dissatisfied", seconds_to_accept=7200, seconds_to_resolve=36000)
LET_GO = fact(received=1, resolve_breaches=1, escalations_by_deadline=1)  # escalated away, never accepted


def test_three_petitions_by_hand():
    card = scorecard(UNIT, [IN_TIME, LATE, LET_GO], ScoringWeights())
    assert (card.petitions, card.received, card.accepted_in_time, card.resolved) == (3, 3, 1, 2)
    assert card.response_rate == 0.3333      # 1 of 3 work orders accepted in time
    assert card.resolution_rate == 0.6667    # 2 of 3 petitions resolved by this unit
    assert card.satisfaction_rate == 0.5     # 1 satisfied of 2 visits
    assert card.in_time_rate == 0.5          # 1 of 2 resolutions in time
    assert (card.breaches, card.escalations, card.reopens) == (3, 1, 1)
    assert (card.hours_to_accept_median, card.hours_to_accept_p90) == (1.5, 1.9)
    assert (card.hours_to_resolve_median, card.hours_to_resolve_p90) == (6.0, 9.2)
    # 100 × (0.2·0.3333 + 0.3·0.6667 + 0.4·0.5 + 0.1·0.5)
    assert card.score == 51.67


DUPLICATE = fact(received=1, accepted=1, accepted_in_time=1, seconds_to_accept=1800, close_outcome="duplicate")
WITHDRAWN = fact(received=1, close_outcome="withdrawn")  # withdrawn before the accept deadline, never accepted
NOT_OURS = fact(received=1, accept_breaches=1, close_outcome="not_government_responsibility")  # let the deadline pass


def test_a_duplicate_no_longer_halves_the_resolution_rate():
    """The trial: one petition resolved in time to a satisfied resident, one closed as a duplicate
    by the dispatcher. Before, resolution 1/2 = 0.5 and a score of 85; now the duplicate leaves the rates."""
    card = scorecard(UNIT, [IN_TIME, DUPLICATE], ScoringWeights())
    assert (card.petitions, card.rated, card.excluded, card.duplicates) == (2, 1, 1, 1)
    assert card.resolution_rate == 1.0 and card.score == 100.0


def test_petitions_that_were_never_the_units_leave_the_rates_by_hand():
    card = scorecard(UNIT, [IN_TIME, DUPLICATE, WITHDRAWN, NOT_OURS], ScoringWeights())
    # every petition the unit held is on the card, with why three of them are not in the rates
    assert (card.petitions, card.rated, card.excluded) == (4, 1, 3)
    assert (card.duplicates, card.withdrawn, card.not_government_responsibility) == (1, 1, 1)
    # response: the in-time one (1), the duplicate accepted in time (1), the withdrawn one closed before
    # its accept deadline (0: no longer due), the one let pass unaccepted (1) -> 2 in time of 3 due
    assert (card.received, card.response_due, card.accepted_in_time) == (4, 3, 2)
    assert card.response_rate == 0.6667
    assert card.resolution_rate == 1.0       # 1 resolved of 1 rated petition
    assert card.satisfaction_rate == 1.0     # 1 satisfied of 1 visit
    assert card.in_time_rate == 1.0          # 1 of 1
    assert card.breaches == 1                # the missed accept deadline still counts as a breach
    # 100 × (0.2·0.6667 + 0.3·1 + 0.4·1 + 0.1·1)
    assert card.score == 93.33


def test_closed_at_the_reopen_limit_still_dissatisfied_counts_as_not_resolved():
    still_dissatisfied = fact(received=3, accepted=3, accepted_in_time=3, resolved=3, resolved_in_time=3, reopens=2,
                              visit_outcome="dissatisfied", close_outcome="closed_not_resolved")
    card = scorecard(UNIT, [IN_TIME, still_dissatisfied], ScoringWeights())
    assert (card.rated, card.excluded, card.closed_not_resolved) == (2, 0, 1)
    assert card.resolution_rate == 0.5 and card.in_time_rate == 1.0 and card.satisfaction_rate == 0.5
    assert card.response_rate == 1.0
    # 100 × (0.2·1 + 0.3·0.5 + 0.4·0.5 + 0.1·1)
    assert card.score == 65.0


def test_a_property_company_takes_part_of_its_score_from_the_residents_round():
    card = scorecard(UNIT, [IN_TIME, LATE, LET_GO], ScoringWeights(), property_score=80)
    assert card.score == round(0.7 * 51.667 + 0.3 * 80, 2)


def test_rates_without_petitions_behind_them_are_left_out():
    card = scorecard(UNIT, [LET_GO], ScoringWeights())
    assert card.satisfaction_rate is None and card.in_time_rate is None
    assert card.score == 0.0  # response 0 and resolution 0, renormalised over their weights


def test_an_upheld_appeal_takes_off_only_what_it_names():
    corrected = apply_waivers(LATE, [Waiver.ACCEPT_BREACH, Waiver.DISSATISFACTION])
    assert (corrected["accept_breaches"], corrected["accepted_in_time"]) == (0, 1)
    assert (corrected["reopens"], corrected["visit_outcome"]) == (0, None)
    assert corrected["resolve_breaches"] == 1 and LATE["accept_breaches"] == 1  # the rest, and the original, stay


def test_ties_share_a_rank_and_unscored_units_come_last():
    cards = [scorecard(UNIT | {"unit_code": c}, [], ScoringWeights()).model_copy(update={"score": s})
             for c, s in (("a", 90.0), ("b", 95.0), ("c", 90.0), ("d", None))]
    assert [(c.unit_code, c.rank) for c in rank(cards)] == [("b", 1), ("a", 2), ("c", 2), ("d", None)]


def test_periods():
    assert [m.month for m in Period.parse("2026-Q4").months] == [10, 11, 12]
    assert len(Period.parse("2026").months) == 12 and Period.parse("2026-10").is_month
    assert Period.parse("2026-01").previous_month().text == "2025-12"
    assert Period.parse("2026-11").quarter == "2026-Q4"
    for bad in ("2026-13", "2026-Q5", "26-10", "October"):
        with pytest.raises(InvalidCommand):
            Period.parse(bad)


def test_the_gauge_and_the_cards_share_one_definition_of_the_rates():
    from services.gauges import month_rates

    facts = [IN_TIME, LATE, LET_GO, DUPLICATE, WITHDRAWN, NOT_OURS]
    card = scorecard(UNIT, facts, ScoringWeights())
    # the gauge reads facts grouped by what the rates read: two identical facts are one group of n=2
    groups = [{**f, "n": 1} for f in facts[1:]] + [{**IN_TIME, "n": 1}]
    rates = month_rates(groups)
    assert rates == {name: getattr(card, name) for name in rates}
    doubled = month_rates([{**f, "n": 2} for f in facts])
    assert doubled == rates  # the same mix twice over: the same rates


def test_an_edition_frozen_before_the_exclusions_still_loads_as_it_was_computed():
    """A card of the first editions (2026, before `rated`, `excluded` and the desk's figures)."""
    from domain.evaluation import ScorecardsPublished

    first = {"unit_code": "c1", "unit_name": "社区一", "kind": "community", "level": "community", "parent_code": "s1",
             "district_code": "d1", "petitions": 3, "received": 4, "accepted_in_time": 2, "resolved": 2,
             "resolved_in_time": 1, "visited": 2, "satisfied": 1, "response_rate": 0.5, "resolution_rate": 0.6667,
             "satisfaction_rate": 0.5, "in_time_rate": 0.5, "breaches": 2, "returns": 0, "escalations": 1,
             "reopens": 1, "extensions": 0, "urges": 0, "hours_to_accept_median": 1.5, "hours_to_accept_p90": 1.9,
             "hours_to_resolve_median": 6.0, "hours_to_resolve_p90": 9.2, "property_score": None, "score": 51.67,
             "rank": 2}
    event = ScorecardsPublished.model_validate({
        "at": "2026-11-01T00:30:00Z", "period": "2026-10", "edition": 1, "reason": "月度考评发布",
        "appeal_due": "2026-11-06T09:30:00Z", "cards": [first],
        "actor": {"id": "system", "name": "jiehu", "unit_code": "", "role": "system"}})
    card = event.cards[0]
    assert (card.rated, card.response_due, card.excluded, card.duplicates) == (3, 4, 0, 0)
    assert (card.score, card.rank, card.redispatch_breaches, card.hours_holding_returns) == (51.67, 2, 0, None)
    assert {k: v for k, v in card.model_dump().items() if k in first} == first  # nothing it held is changed


def test_the_openapi_schema_says_what_a_card_holds():
    from api.routes.scorecards import CardsOut

    schema = CardsOut.model_json_schema()
    card = schema["$defs"]["CardOut"]["properties"]
    assert {"unit_code", "response_rate", "resolution_rate", "satisfaction_rate", "score", "rank", "kind_label",
            "redispatch_breaches", "decision_breaches", "returns_held", "hours_holding_returns"} <= set(card)
    assert "deadlines it missed" in card["breaches"]["description"]


# Issue 11 §7, from a user trial: a grid returned two misrouted petitions (职能不符) within the window; the
# desk re-dispatched them to another grid, which resolved them. The grid's card read resolved 0 of 2.
RETURNED_UNACCEPTED = fact(received=1, returns=1, close_outcome="resolved")  # returned before accepting
RETURNED_AFTER_ACCEPT = fact(received=1, accepted=1, accepted_in_time=1, returns=1, seconds_to_accept=1800,
                             close_outcome="resolved")
# returned, sent back to it (终审: a second return refused), then resolved by it: a unit's own petition
SENT_BACK_AND_RESOLVED = fact(received=2, accepted=2, accepted_in_time=2, returns=1, resolved=1, resolved_in_time=1,
                              visit_outcome="satisfied", close_outcome="resolved", seconds_to_accept=600)
SENT_BACK_NOT_RESOLVED = fact(received=2, accepted=1, accepted_in_time=1, returns=1, resolve_breaches=1,
                              escalations_by_deadline=1, close_outcome="resolved")  # sent back, then let go


def test_petitions_returned_away_are_not_the_returning_units_failures_by_hand():
    card = scorecard(UNIT, [IN_TIME, RETURNED_UNACCEPTED, RETURNED_AFTER_ACCEPT], ScoringWeights())
    # all three are on the card, with the two returned away counted apart; the returns still show
    assert (card.petitions, card.rated, card.excluded, card.returned_away, card.returns) == (3, 1, 2, 2, 2)
    # response: the in-time one (1 of 1), the one accepted and then returned (1 of 1), the one returned
    # before its accept deadline without accepting it (not due) -> 2 in time of 2 due
    assert (card.received, card.response_due, card.accepted_in_time) == (3, 2, 2)
    assert card.response_rate == 1.0
    assert card.resolution_rate == 1.0       # 1 resolved of 1 rated (before: 1 of 3)
    assert card.satisfaction_rate == 1.0 and card.in_time_rate == 1.0
    assert card.score == 100.0
    # the trial's grid, with only the two returned petitions: unrated, no composite (before: resolution 0.0)
    alone = scorecard(UNIT, [RETURNED_UNACCEPTED, RETURNED_AFTER_ACCEPT], ScoringWeights())
    assert (alone.petitions, alone.rated, alone.returned_away, alone.resolution_rate) == (2, 0, 2, None)
    assert alone.response_rate == 1.0 and alone.score == 100.0  # the one accepted, in time: 0.2 of weight


def test_a_return_sent_back_by_final_decision_keeps_the_unit_rated_by_hand():
    card = scorecard(UNIT, [SENT_BACK_AND_RESOLVED, SENT_BACK_NOT_RESOLVED], ScoringWeights())
    assert (card.petitions, card.rated, card.returned_away, card.returns) == (2, 2, 0, 2)
    # response: 3 of 4 work orders accepted in time; resolution 1 of 2; satisfaction 1 of 1; in time 1 of 1
    assert (card.response_due, card.accepted_in_time) == (4, 3)
    assert (card.response_rate, card.resolution_rate, card.satisfaction_rate, card.in_time_rate) == (0.75, 0.5, 1.0,
                                                                                                       1.0)
    # 100 × (0.2·0.75 + 0.3·0.5 + 0.4·1 + 0.1·1)
    assert card.score == 80.0


def test_a_waived_return_does_not_put_a_petition_returned_away_back_into_the_rates():
    from domain.evaluation import returned_every_time
    recorded = RETURNED_AFTER_ACCEPT | {"returned_away": returned_every_time(RETURNED_AFTER_ACCEPT)}
    waived = apply_waivers(recorded, [Waiver.RETURN])
    card = scorecard(UNIT, [waived], ScoringWeights())
    assert (card.returns, card.rated, card.returned_away, card.resolution_rate) == (0, 0, 1, None)


def test_an_edition_published_before_returned_away_still_loads():
    from domain.evaluation import Scorecard
    old = scorecard(UNIT, [IN_TIME], ScoringWeights()).model_dump(mode="json")
    del old["returned_away"]
    assert Scorecard.model_validate(old).returned_away == 0


class _Reading(dict):
    """A fact that remembers which of its keys were read."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        self.read.add(key)
        return super().__contains__(key)


def test_the_rates_read_exactly_the_fields_the_read_model_groups_facts_by():
    """`RateCounts.READS` is the one list of what the rates read (the gauge's query groups by it)."""
    from domain.evaluation import RateCounts

    returned_away = fact(received=2, returns=2)
    facts = [IN_TIME, LATE, LET_GO, DUPLICATE, WITHDRAWN, NOT_OURS, returned_away,
             fact(received=1, accepted=1, resolved=1, visit_outcome="basically_satisfied",
                  close_outcome="closed_not_resolved")]
    read: set[str] = set()
    for given in facts:
        for away in (False, True):  # as the projection stores it: computed from the original record
            reading = _Reading(given, close_outcome=given.get("close_outcome", "resolved"), returned_away=away)
            RateCounts.of(reading)
            read |= reading.read
    assert read == set(RateCounts.READS)
