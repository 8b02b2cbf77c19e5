"""Evaluation (考评): periods, the events of scorecards and appeals, and the scorecard arithmetic.

Pure: no I/O. A *fact* is one unit's record on one closed petition (from `UnitEvaluated`), with
any upheld appeal applied; a *scorecard* sums a unit's facts over a period.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from domain.enums import CloseOutcome, VisitChannel, VisitOutcome, Waiver
from domain.errors import InvalidCommand
from domain.model import Actor, UnitRecord

# --- periods -------------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")
# the years a period may name: any year petitions can have been handled in, with room on both sides
# (year 0 does not exist, and the month after 9999-12 cannot be written)
MIN_YEAR, MAX_YEAR = 1970, 2999


@dataclass(frozen=True)
class Period:
    """A month (2026-10), a quarter (2026-Q4) or a year (2026), as cadres write them."""

    text: str
    months: tuple[date, ...]

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        """Refuses (InvalidCommand naming `field`) text that is not a period or names a year outside
        MIN_YEAR..MAX_YEAR."""
        m = _PERIOD.match(text.strip())
        if m is None:
            raise InvalidCommand(f"{field}: {text!r} is not a month (2026-10), a quarter (2026-Q4) or a year (2026)",
                                 field=field)
        year = int(m["year"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InvalidCommand(f"{field}: {text!r} names the year {year}, outside {MIN_YEAR}–{MAX_YEAR}",
                                 field=field)
        if m["month"]:
            months: list[int] = [int(m["month"])]
        elif m["quarter"]:
            first = 3 * int(m["quarter"]) - 2
            months = [first, first + 1, first + 2]
        else:
            months = list(range(1, 13))
        return cls(text.strip(), tuple(date(year, n, 1) for n in months))

    @classmethod
    def month_of(cls, moment: datetime) -> Period:
        """The (China-time) month a moment falls in; `moment` must already be in China time."""
        return cls.parse(f"{moment.year:04d}-{moment.month:02d}")

    @property
    def is_month(self) -> bool:
        """Whether the period is one month (only months are published)."""
        return len(self.months) == 1

    @property
    def quarter(self) -> str:
        """The quarter of the period's first month, e.g. `2026-Q4`."""
        first = self.months[0]
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"

    def previous_month(self) -> Period:
        """The month before the period's first month (January: December of the year before)."""
        first = self.months[0]
        year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
        return Period.parse(f"{year:04d}-{month:02d}")


# --- appeals and publication ----------------------------------------------------------------------


class EvaluationCorrected(BaseModel):
    """A supervisor upheld an appeal: part of one unit's record on one petition does not count."""

    type: Literal["EvaluationCorrected"] = "EvaluationCorrected"
    at: datetime
    petition_id: str
    unit_code: str
    waive: list[Waiver] = Field(min_length=1)
    reason: str
    actor: Actor


class AppealFiled(BaseModel):
    """A unit appeals (申诉) part of its own record on one petition, with its reason, inside the window."""

    type: Literal["AppealFiled"] = "AppealFiled"
    at: datetime
    appeal_id: str
    period: str  # the month the petition closed in (the card it counts on)
    petition_id: str
    unit_code: str
    waive: list[Waiver] = Field(min_length=1)
    reason: str
    actor: Actor


class AppealDecided(BaseModel):
    """A supervisor upholds (an `EvaluationCorrected` follows in the same append) or rejects an appeal."""

    type: Literal["AppealDecided"] = "AppealDecided"
    at: datetime
    appeal_id: str
    petition_id: str
    unit_code: str
    upheld: bool
    reason: str
    actor: Actor


class ScorecardsPublished(BaseModel):
    """A month's scorecards, frozen: edition 1 at the monthly close, later ones after corrections."""

    type: Literal["ScorecardsPublished"] = "ScorecardsPublished"
    at: datetime
    period: str
    edition: int
    reason: str
    appeal_due: datetime
    cards: list[Scorecard]
    actor: Actor


class PropertyRoundOpened(BaseModel):
    """A quarter's property scoring round (物业评议) opened: representatives may score their compounds' companies."""

    type: Literal["PropertyRoundOpened"] = "PropertyRoundOpened"
    at: datetime
    quarter: str
    actor: Actor


class PropertyScoreRecorded(BaseModel):
    """One residents' representative of one compound scores its property company (0–100)."""

    type: Literal["PropertyScoreRecorded"] = "PropertyScoreRecorded"
    at: datetime
    quarter: str
    company_code: str
    compound: str
    representative: str
    score: float = Field(ge=0, le=100)
    actor: Actor


class PropertyRoundClosed(BaseModel):
    """A quarter's property scoring round closed: its scores count on the quarter's and year's cards."""

    type: Literal["PropertyRoundClosed"] = "PropertyRoundClosed"
    at: datetime
    quarter: str
    actor: Actor


# every event of the evaluation's own streams (scorecards-<month>, appeals-<petition>, property-round-<quarter>)
EvaluationEvent = (EvaluationCorrected | ScorecardsPublished | PropertyRoundOpened | PropertyScoreRecorded
                   | PropertyRoundClosed | AppealFiled | AppealDecided)
EVALUATION_EVENTS: dict[str, type[BaseModel]] = {
    m.model_fields["type"].default: m
    for m in (EvaluationCorrected, ScorecardsPublished, PropertyRoundOpened, PropertyScoreRecorded, PropertyRoundClosed,
              AppealFiled, AppealDecided)
}


def apply_waivers(record: dict[str, Any], waive: list[Waiver]) -> dict[str, Any]:
    """The fact with the waived parts of the record taken off (the original stays in the log)."""
    fact = dict(record)
    for waiver in waive:
        if waiver is Waiver.ACCEPT_BREACH:
            fact["accept_breaches"], fact["accepted_in_time"] = 0, fact["accepted"]
        elif waiver is Waiver.RESOLVE_BREACH:
            fact["resolve_breaches"], fact["resolved_in_time"] = 0, fact["resolved"]
        elif waiver is Waiver.ESCALATION:
            fact["escalations_by_deadline"] = fact["escalations_requested"] = 0
        elif waiver is Waiver.RETURN:
            fact["returns"] = 0
        elif waiver is Waiver.REDISPATCH_BREACH:
            fact["redispatch_breaches"] = 0
        elif waiver is Waiver.DECISION_BREACH:
            fact["decision_breaches"] = 0
        elif waiver is Waiver.DISSATISFACTION:
            fact["reopens"] = 0
            if fact.get("visit_outcome") == VisitOutcome.DISSATISFIED.value:
                fact["visit_outcome"] = None
    return fact


# --- the arithmetic ------------------------------------------------------------------------------


class ScoringWeights(BaseModel):
    """Weights of the composite score (the 12345 hotline's three rates, plus resolving in time)."""

    response: float = Field(0.2, ge=0)
    resolution: float = Field(0.3, ge=0)
    satisfaction: float = Field(0.4, ge=0)
    in_time: float = Field(0.1, ge=0)
    property_round: float = Field(0.3, ge=0, le=1)  # share of a property company's score from residents


SATISFIED = {VisitOutcome.SATISFIED.value, VisitOutcome.BASICALLY_SATISFIED.value}
VISITED = SATISFIED | {VisitOutcome.DISSATISFIED.value}
COUNTED = ("received", "accepted", "accepted_in_time", "accept_breaches", "resolve_breaches", "returns",
           "escalations_requested", "escalations_by_deadline", "extensions_requested", "extensions_granted",
           "urges", "resolved", "resolved_in_time", "reopens", "redispatch_breaches", "decision_breaches",
           "returns_held", "resolved_on_the_spot")
FACT_FIELDS = tuple(f for f in UnitRecord.model_fields if f not in ("unit_code", "unit_name", "level"))


# Petitions that were never the unit's to resolve (重复件, 群众撤回, 非政府职责): they leave the
# denominators of the resolution, satisfaction and in-time rates. Of the response rate they keep only
# the work orders whose accept deadline came before the close (accepted, or let pass): accepting in
# time stays a unit's duty until the petition is closed. Breaches, returns, escalations, reopens,
# extensions, urges and times still count: they happened while the unit held the petition.
EXCLUDED_OUTCOMES = (CloseOutcome.DUPLICATE.value, CloseOutcome.WITHDRAWN.value,
                     CloseOutcome.NOT_GOVERNMENT_RESPONSIBILITY.value)
# Closed at the reopen limit with the resident still dissatisfied: counts as not resolved.
NOT_RESOLVED_OUTCOMES = (CloseOutcome.CLOSED_NOT_RESOLVED.value,)


def excluded(fact: dict[str, Any]) -> bool:
    """Whether the fact's petition leaves the rates' denominators: closed with one of the
    `EXCLUDED_OUTCOMES`, or returned away by the unit (`returned_away`)."""
    return fact.get("close_outcome") in EXCLUDED_OUTCOMES or returned_away(fact)


def returned_every_time(record: dict[str, Any]) -> bool:
    """The rule of a misrouted order (退单, issue 11 §7): the unit held the petition, every work order it
    received on it ended in a return, and it resolved nothing — each return was accepted and the order
    went elsewhere (a return refused by 终审 is not recorded: the order stays; a send-back is another work
    order received, so the unit stays rated). The petition was never the unit's to resolve, so it is not
    rated on it (resolution, satisfaction, in time); its returns, breaches and accepts still count.

    `record`: the keys of a `UnitRecord` as recorded (before any waiver: a waived return must not put the
    petition back into the unit's rates)."""
    return record["received"] > 0 and record["returns"] >= record["received"] and record["resolved"] == 0


def returned_away(fact: dict[str, Any]) -> bool:
    """Whether the fact's unit returned the petition every time it received it: the fact's
    `returned_away` (computed by the projection from the original record), else computed from the fact."""
    if "returned_away" in fact:
        return bool(fact["returned_away"])
    return returned_every_time(fact)


def held(fact: dict[str, Any]) -> bool:
    """Whether the unit held the petition (received a work order on it). A dispatch desk's or an
    approver's record of a petition it never held counts only its own part (issue 11 §3, §4): its
    breaches and its time with returned orders, never in the rates or in `petitions`."""
    return fact["received"] > 0


def _accept_due(fact: dict[str, Any]) -> int:
    """Work orders of an excluded petition that count in the response rate: those the unit accepted
    and those whose accept deadline passed unaccepted before the close."""
    return min(fact["received"], max(fact["accepted"], fact["accepted_in_time"] + fact["accept_breaches"]))


@dataclass(frozen=True)
class RateCounts:
    """What the rates are made of: THE definition of the three rates (响应率, 解决率, 满意率) and the
    in-time rate, for scorecards and for the `jiehu_evaluation_rate` gauge alike. Counts add up over
    facts (`+`, `*` a number of identical facts); `rates` divides them."""

    accepted_in_time: int = 0  # work orders accepted before their accept deadline
    response_due: int = 0  # work orders due (see `_accept_due` for an excluded petition)
    rated: int = 0  # held petitions in the rates (not excluded, not returned away)
    resolved: int = 0  # rated petitions the unit resolved itself, not closed as not resolved
    resolved_in_time: int = 0  # of them, resolved within the deadline
    visited: int = 0  # rated petitions whose final return visit reached the resident
    satisfied: int = 0  # of them, satisfied or basically satisfied

    # THE fields of a fact `of` reads (with `returned_away` given, as the projection stores it): the read
    # model groups facts by them (`eventstore.evaluation_queries.rate_groups_this_month`); a unit test
    # checks that `of` reads nothing else
    READS: ClassVar[tuple[str, ...]] = ("received", "accepted", "accepted_in_time", "accept_breaches", "resolved",
                                        "resolved_in_time", "visit_outcome", "close_outcome", "returned_away")

    @classmethod
    def of(cls, fact: dict[str, Any]) -> RateCounts:
        """One fact's counts (`READS` of the keys of a `UnitRecord` plus `close_outcome` and `returned_away`;
        without `returned_away`, `returns` is read to compute it)."""
        if not held(fact):
            return cls()
        rated = not excluded(fact)
        solved = rated and fact["resolved"] > 0 and fact.get("close_outcome") not in NOT_RESOLVED_OUTCOMES
        visited = rated and fact["visit_outcome"] in VISITED
        return cls(accepted_in_time=fact["accepted_in_time"],
                   response_due=_accept_due(fact) if not rated else fact["received"], rated=int(rated),
                   resolved=int(solved), resolved_in_time=int(solved and fact["resolved_in_time"] > 0),
                   visited=int(visited), satisfied=int(visited and fact["visit_outcome"] in SATISFIED))

    def __add__(self, other: RateCounts) -> RateCounts:
        return RateCounts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def __mul__(self, times: int) -> RateCounts:
        return RateCounts(*(a * times for a in astuple(self)))

    def rates(self) -> dict[str, float | None]:
        """Each rate 0–1 to 4 decimals; None when nothing is behind it."""
        return {
            "response_rate": _ratio(self.accepted_in_time, self.response_due),
            "resolution_rate": _ratio(self.resolved, self.rated),
            "satisfaction_rate": _ratio(self.satisfied, self.visited),
            "in_time_rate": _ratio(self.resolved_in_time, self.resolved),
        }


def visits_by_channel(facts: list[dict[str, Any]]) -> dict[str, int]:
    """The visits the satisfaction rate counts (`RateCounts.visited`) by how they reached the resident;
    a fact without a channel (evaluated before it existed) was a call."""
    found = dict.fromkeys((c.value for c in VisitChannel), 0)
    for fact in facts:
        if RateCounts.of(fact).visited:
            found[fact.get("visit_channel") or VisitChannel.PHONE.value] += 1
    return found


def rate_counts(facts: list[dict[str, Any]]) -> RateCounts:
    """The `RateCounts` of `facts` together (each a dict as `RateCounts.of` reads it)."""
    return sum((RateCounts.of(f) for f in facts), RateCounts())


class Scorecard(BaseModel):
    """One unit's figures over a period (`docs/evaluation.md` defines each), as served by
    `/v1/scorecards` and frozen in `ScorecardsPublished`. Rates are 0–1, hours are hours, `score` 0–100.

    Editions frozen before a figure existed still load: a figure added later has a default, and cards
    from before the exclusions (no `rated`) are read as they were computed, every petition rated."""

    unit_code: str
    unit_name: str = ""
    kind: str = ""  # UnitKind value ('' for a unit no longer in the org)
    level: str = ""  # Level value ('' for a unit that is no rung: a district)
    parent_code: str = ""
    district_code: str = ""
    petitions: int = Field(description="petitions the unit held that closed in the period")
    received: int = Field(description="work orders it received")
    accepted_in_time: int
    resolved: int = Field(description="rated petitions it resolved itself")
    resolved_in_time: int
    visited: int
    satisfied: int
    # how the visits counted in `visited` reached the resident (a visit recorded before the channel existed
    # was a call); 0 in editions frozen before the figures existed
    visited_by_phone: int = Field(0, description="visits counted in `visited` made by phone (电话回访)")
    visited_by_sms: int = Field(0, description="visits counted in `visited` answered by the SMS survey (短信回访)")
    visited_on_site: int = Field(0, description="visits counted in `visited` made in person (上门回访)")
    rated: int = Field(description="held petitions in the rates")
    response_due: int = Field(description="work orders due in the response rate")
    excluded: int = Field(description="held petitions that leave the rates (duplicates, withdrawn, not government, "
                                      "returned away)")
    returned_away: int = Field(0, description="held petitions it returned every time it received them (the order "
                                              "went elsewhere): not rated on them")
    duplicates: int = 0
    withdrawn: int = 0
    not_government_responsibility: int = 0
    closed_not_resolved: int = 0
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    in_time_rate: float | None
    breaches: int = Field(description="deadlines it missed: accept, resolve, re-dispatch (as the dispatch desk) "
                                      "and extension decisions (as the approver)")
    returns: int
    escalations: int
    reopens: int
    follow_ups: int = 0
    extensions: int
    urges: int
    redispatch_breaches: int = Field(0, description="as the dispatch desk: re-dispatch deadlines it missed")
    decision_breaches: int = Field(0, description="as the approver: extension decisions it let pass their deadline")
    returns_held: int = Field(0, description="as the dispatch desk: returned orders it re-dispatched or closed")
    hours_holding_returns: float | None = Field(None, description="as the dispatch desk: hours those orders waited")
    hours_per_return_held: float | None = None
    hours_to_accept_median: float | None
    hours_to_accept_p90: float | None
    hours_to_resolve_median: float | None
    hours_to_resolve_p90: float | None
    property_score: float | None
    score: float | None
    rank: int | None = None  # the place among the compared cards of its kind; set when ranked
    # 就地解决 (issue 14 §1): what the unit resolved on the spot itself, and the share of its area's rated
    # petitions (held by it or any unit below it) that a grid of the area resolved on the spot
    resolved_on_the_spot: int = Field(0, description="petitions it resolved on the spot (reported and resolved "
                                                     "in one step)")
    area_petitions: int = Field(0, description="rated petitions held by the unit or any unit below it")
    area_resolved_on_the_spot: int = Field(0, description="of them, resolved on the spot by a grid below it")
    on_the_spot_share: float | None = Field(None, description="area_resolved_on_the_spot / area_petitions "
                                                              "(就地解决率, 0–1)")

    @model_validator(mode="before")
    @classmethod
    def _before_exclusions(cls, data: Any) -> Any:
        if isinstance(data, dict) and "rated" not in data and "petitions" in data:
            data = {**data, "rated": data["petitions"], "response_due": data.get("received", 0), "excluded": 0}
        return data


ScorecardsPublished.model_rebuild()  # its cards are Scorecards, defined after it


def scorecard(unit: dict[str, Any], facts: list[dict[str, Any]], weights: ScoringWeights,
              property_score: float | None = None) -> Scorecard:
    """One unit's scorecard over `facts` (its records on the petitions closed in the period); `unit`
    holds the unit's fields of `Scorecard` (at least `unit_code`)."""
    total = {name: sum(f.get(name, 0) for f in facts) for name in COUNTED}
    # 结案后再诉: new petitions that followed one it resolved (or held last) count as reopens too
    follow_ups = sum(f.get("follow_ups", 0) for f in facts)
    kept = [f for f in facts if held(f)]
    counts = rate_counts(kept)
    rates: dict[str, Any] = dict(counts.rates())
    outcomes = {o: sum(1 for f in kept if f.get("close_outcome") == o)
                for o in (*EXCLUDED_OUTCOMES, *NOT_RESOLVED_OUTCOMES)}
    to_accept = [f["seconds_to_accept"] / 3600 for f in facts if f["seconds_to_accept"] is not None]
    to_resolve = [f["seconds_to_resolve"] / 3600 for f in facts if f["seconds_to_resolve"] is not None]
    holding = [f["seconds_holding_returns"] for f in facts if f.get("seconds_holding_returns") is not None]
    hours_holding = round(sum(holding) / 3600, 2) if holding else None
    channels = visits_by_channel(kept)
    return Scorecard(
        **unit,
        petitions=len(kept), received=total["received"], accepted_in_time=counts.accepted_in_time,
        resolved=counts.resolved, resolved_in_time=counts.resolved_in_time, visited=counts.visited,
        satisfied=counts.satisfied, rated=counts.rated, response_due=counts.response_due,
        visited_by_phone=channels[VisitChannel.PHONE.value], visited_by_sms=channels[VisitChannel.SMS.value],
        visited_on_site=channels[VisitChannel.ON_SITE.value],
        excluded=len(kept) - counts.rated,
        returned_away=sum(1 for f in kept if returned_away(f) and f.get("close_outcome") not in EXCLUDED_OUTCOMES),
        duplicates=outcomes[CloseOutcome.DUPLICATE.value], withdrawn=outcomes[CloseOutcome.WITHDRAWN.value],
        not_government_responsibility=outcomes[CloseOutcome.NOT_GOVERNMENT_RESPONSIBILITY.value],
        closed_not_resolved=outcomes[CloseOutcome.CLOSED_NOT_RESOLVED.value],
        **rates,
        breaches=(total["accept_breaches"] + total["resolve_breaches"] + total["redispatch_breaches"]
                  + total["decision_breaches"]),
        returns=total["returns"],
        escalations=total["escalations_by_deadline"] + total["escalations_requested"],
        reopens=total["reopens"] + follow_ups, follow_ups=follow_ups,
        extensions=total["extensions_requested"], urges=total["urges"],
        redispatch_breaches=total["redispatch_breaches"], decision_breaches=total["decision_breaches"],
        returns_held=total["returns_held"], hours_holding_returns=hours_holding,
        hours_per_return_held=(round(hours_holding / total["returns_held"], 2)
                               if hours_holding is not None and total["returns_held"] else None),
        hours_to_accept_median=quantile(to_accept, 0.5), hours_to_accept_p90=quantile(to_accept, 0.9),
        hours_to_resolve_median=quantile(to_resolve, 0.5), hours_to_resolve_p90=quantile(to_resolve, 0.9),
        property_score=property_score,
        score=composite(rates, weights, property_score),
        resolved_on_the_spot=total["resolved_on_the_spot"],
    )


def on_the_spot_areas(facts: Iterable[dict[str, Any]],
                      parent_of: Callable[[str], str | None]) -> dict[str, tuple[int, int]]:
    """就地解决率 by area (issue 14 §1): for each unit, (rated petitions held by it or any unit below it, those
    of them resolved on the spot by a unit below it or itself). `facts`: the period's facts of every unit (with
    `petition_id`); `parent_of`: a unit's parent in the org tree (None at the top). Each petition counts once
    per area however many of its units held it there."""
    held_by: dict[str, set[str]] = {}
    spot: dict[str, str] = {}
    for fact in facts:
        if not held(fact) or excluded(fact):
            continue
        held_by.setdefault(fact["petition_id"], set()).add(fact["unit_code"])
        if fact.get("resolved_on_the_spot"):
            spot[fact["petition_id"]] = fact["unit_code"]
    areas: dict[str, tuple[int, int]] = {}
    for petition, units in held_by.items():
        inside = {a for unit in units for a in _up(unit, parent_of)}
        on_spot = set(_up(spot[petition], parent_of)) if petition in spot else set()
        for area in inside:
            count, solved = areas.get(area, (0, 0))
            areas[area] = (count + 1, solved + int(area in on_spot))
    return areas


def with_area(card: Scorecard, area: tuple[int, int]) -> Scorecard:
    """The card with its area's on-the-spot figures (`on_the_spot_areas`)."""
    petitions, solved = area
    return card.model_copy(update={"area_petitions": petitions, "area_resolved_on_the_spot": solved,
                                   "on_the_spot_share": _ratio(solved, petitions)})


def _up(unit: str, parent_of: Callable[[str], str | None]) -> list[str]:
    chain, seen = [], set()
    current: str | None = unit
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parent_of(current)
    return chain


def composite(rates: dict[str, float | None], weights: ScoringWeights, property_score: float | None) -> float | None:
    """0–100: the weighted mean of the rates a unit has (a rate with no petitions behind it is left out)."""
    parts = [(weights.response, rates["response_rate"]), (weights.resolution, rates["resolution_rate"]),
             (weights.satisfaction, rates["satisfaction_rate"]), (weights.in_time, rates["in_time_rate"])]
    present = [(w, r) for w, r in parts if r is not None and w > 0]
    if not present:
        return None if property_score is None else round(property_score, 2)
    score = 100 * sum(w * r for w, r in present) / sum(w for w, _ in present)
    if property_score is not None:
        score = (1 - weights.property_round) * score + weights.property_round * property_score
    return round(score, 2)


def rank(cards: list[Scorecard]) -> list[Scorecard]:
    """Best score first (ties share a rank; units without a score come last, unranked)."""
    scored = sorted((c for c in cards if c.score is not None), key=lambda c: (-(c.score or 0.0), c.unit_code))
    ranked, previous, place = [], None, 0
    for index, card in enumerate(scored, start=1):
        if card.score != previous:
            place, previous = index, card.score
        ranked.append(card.model_copy(update={"rank": place}))
    return ranked + [c.model_copy(update={"rank": None}) for c in cards if c.score is None]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def quantile(values: list[float], q: float) -> float | None:
    """The `q` quantile (0.5: the median) of `values`, inclusive method, to 2 decimals; None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 2)
