"""Evaluation (考评): periods, the events of scorecards and appeals, and the scorecard arithmetic.

Pure: no I/O. A *fact* is one unit's record on one closed petition (from `UnitEvaluated`), with
any upheld appeal applied; a *scorecard* sums a unit's facts over a period.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.enums import CloseOutcome, VisitOutcome, Waiver
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
        return len(self.months) == 1

    @property
    def quarter(self) -> str:
        first = self.months[0]
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"

    def previous_month(self) -> Period:
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
    cards: list[dict[str, Any]]
    actor: Actor


class PropertyRoundOpened(BaseModel):
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
    type: Literal["PropertyRoundClosed"] = "PropertyRoundClosed"
    at: datetime
    quarter: str
    actor: Actor


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
           "urges", "resolved", "resolved_in_time", "reopens")
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
    """Whether the fact's petition leaves the rates' denominators (see `EXCLUDED_OUTCOMES`)."""
    return fact.get("close_outcome") in EXCLUDED_OUTCOMES


def _accept_due(fact: dict[str, Any]) -> int:
    """Work orders of an excluded petition that count in the response rate: those the unit accepted
    and those whose accept deadline passed unaccepted before the close."""
    return min(fact["received"], max(fact["accepted"], fact["accepted_in_time"] + fact["accept_breaches"]))


def scorecard(unit: dict[str, str], facts: list[dict[str, Any]], weights: ScoringWeights,
              property_score: float | None = None) -> dict[str, Any]:
    """One unit's scorecard over `facts` (its records on the petitions closed in the period)."""
    total = {name: sum(f[name] for f in facts) for name in COUNTED}
    # 结案后再诉: new petitions that followed one it resolved (or held last) count as reopens too
    follow_ups = sum(f.get("follow_ups", 0) for f in facts)
    petitions = len(facts)
    rated = [f for f in facts if not excluded(f)]
    solved = [f for f in rated if f["resolved"] > 0 and f.get("close_outcome") not in NOT_RESOLVED_OUTCOMES]
    resolved = len(solved)
    in_time = sum(1 for f in solved if f["resolved_in_time"] > 0)
    visited = [f for f in rated if f["visit_outcome"] in VISITED]
    satisfied = sum(1 for f in visited if f["visit_outcome"] in SATISFIED)
    response_due = sum(_accept_due(f) if excluded(f) else f["received"] for f in facts)
    rates = {
        "response_rate": _ratio(total["accepted_in_time"], response_due),
        "resolution_rate": _ratio(resolved, len(rated)),
        "satisfaction_rate": _ratio(satisfied, len(visited)),
        "in_time_rate": _ratio(in_time, resolved),
    }
    outcomes = {o: sum(1 for f in facts if f.get("close_outcome") == o)
                for o in (*EXCLUDED_OUTCOMES, *NOT_RESOLVED_OUTCOMES)}
    to_accept = [f["seconds_to_accept"] / 3600 for f in facts if f["seconds_to_accept"] is not None]
    to_resolve = [f["seconds_to_resolve"] / 3600 for f in facts if f["seconds_to_resolve"] is not None]
    return {
        **unit,
        "petitions": petitions, "received": total["received"], "accepted_in_time": total["accepted_in_time"],
        "resolved": resolved, "resolved_in_time": in_time, "visited": len(visited), "satisfied": satisfied,
        "rated": len(rated), "response_due": response_due, "excluded": petitions - len(rated),
        "duplicates": outcomes[CloseOutcome.DUPLICATE.value], "withdrawn": outcomes[CloseOutcome.WITHDRAWN.value],
        "not_government_responsibility": outcomes[CloseOutcome.NOT_GOVERNMENT_RESPONSIBILITY.value],
        "closed_not_resolved": outcomes[CloseOutcome.CLOSED_NOT_RESOLVED.value],
        **rates,
        "breaches": total["accept_breaches"] + total["resolve_breaches"], "returns": total["returns"],
        "escalations": total["escalations_by_deadline"] + total["escalations_requested"],
        "reopens": total["reopens"] + follow_ups, "follow_ups": follow_ups,
        "extensions": total["extensions_requested"], "urges": total["urges"],
        "hours_to_accept_median": _quantile(to_accept, 0.5), "hours_to_accept_p90": _quantile(to_accept, 0.9),
        "hours_to_resolve_median": _quantile(to_resolve, 0.5), "hours_to_resolve_p90": _quantile(to_resolve, 0.9),
        "property_score": property_score,
        "score": composite(rates, weights, property_score),
    }


def composite(rates: dict[str, float | None], weights: ScoringWeights, property_score: float | None) -> float | None:
    """0–100: the weighted mean of the rates a unit has (a rate with no petitions behind it is left out)."""
    parts = [(weights.response, rates["response_rate"]), (weights.resolution, rates["resolution_rate"]),
             (weights.satisfaction, rates["satisfaction_rate"]), (weights.in_time, rates["in_time_rate"])]
    parts = [(w, r) for w, r in parts if r is not None and w > 0]
    if not parts:
        return None if property_score is None else round(property_score, 2)
    score = 100 * sum(w * r for w, r in parts) / sum(w for w, _ in parts)
    if property_score is not None:
        score = (1 - weights.property_round) * score + weights.property_round * property_score
    return round(score, 2)


def rank(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best score first (ties share a rank; units without a score come last, unranked)."""
    scored = sorted((c for c in cards if c["score"] is not None), key=lambda c: (-c["score"], c["unit_code"]))
    ranked, previous, place = [], None, 0
    for index, card in enumerate(scored, start=1):
        if card["score"] != previous:
            place, previous = index, card["score"]
        ranked.append({**card, "rank": place})
    return ranked + [{**c, "rank": None} for c in cards if c["score"] is None]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 2)
