"""SLA policies: per category and urgency, how long each step may take and what is allowed.

A policy file is a mapping with `defaults`, optional `categories` and `urgencies` overrides
(urgency wins over category, category over defaults). Durations are written as one of
`{whole_working_days: N}` (N whole working days from the next working day, due when the office
closes on the last), `{office_hours: N}` (hours of office time), `{working_days: N}`,
`{working_hours: N}` (legacy: 24-hour working-day time), `{days: N}`, `{hours: N}`, `{minutes: N}`
or `{seconds: N}`. docs/deadline-rules.md says how each counts.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.enums import Clock, Level, UnitKind, Urgency
from domain.errors import InvalidCommand

_UNITS: dict[str, tuple[float, Clock]] = {
    "whole_working_days": (86_400, Clock.WHOLE_WORKING_DAYS),
    "office_hours": (3_600, Clock.OFFICE),
    "working_days": (86_400, Clock.WORKING),
    "working_hours": (3_600, Clock.WORKING),
    "days": (86_400, Clock.NATURAL),
    "hours": (3_600, Clock.NATURAL),
    "minutes": (60, Clock.NATURAL),
    "seconds": (1, Clock.NATURAL),
}

_DESCRIBED: dict[Clock, tuple[str, str]] = {
    Clock.WHOLE_WORKING_DAYS: ("whole_working_days", "working day(s) from the next working day"),
    Clock.OFFICE: ("office_hours", "office hour(s)"),
    Clock.WORKING: ("working_days", "working day(s) of 24 hours"),
    Clock.NATURAL: ("seconds", "second(s) of natural time"),
}


class Span(BaseModel):
    """A duration on a clock (working-day time or natural time)."""

    model_config = ConfigDict(frozen=True)

    seconds: float = Field(gt=0)
    clock: Clock

    @classmethod
    def parse(cls, raw: Any) -> Span:
        """A span from a policy's `{unit: N}` (e.g. `{whole_working_days: 5}`, `{office_hours: 4}`, `{minutes: 30}`),
        a stored `{seconds, clock}` or a Span. ValueError for anything else."""
        if isinstance(raw, Span):
            return raw
        if isinstance(raw, dict) and "seconds" in raw and "clock" in raw:
            return cls.model_validate(raw)
        if not isinstance(raw, dict) or len(raw) != 1:
            raise ValueError(f"a duration is one of {sorted(_UNITS)} with a number, got {raw!r}")
        (unit, amount), = raw.items()
        if unit not in _UNITS:
            raise ValueError(f"unknown duration unit {unit!r}; use one of {sorted(_UNITS)}")
        factor, clock = _UNITS[unit]
        return cls(seconds=float(amount) * factor, clock=clock)

    def scaled(self, fraction: float) -> Span:
        """The span times `fraction`, on the same clock (e.g. a yellow card at 0.75 of a deadline)."""
        return Span(seconds=self.seconds * fraction, clock=self.clock)

    @property
    def unit(self) -> str:
        """The policy unit a command writes this span's clock in, e.g. `whole_working_days`."""
        return _DESCRIBED[self.clock][0]

    def describe(self) -> str:
        """In words and as a command writes it, e.g. `10 working day(s) from the next working day
        ({"whole_working_days": 10})`."""
        unit, words = _DESCRIBED[self.clock]
        amount = self.seconds / _UNITS[unit][0]
        return f'{amount:g} {words} ({{"{unit}": {amount:g}}})'


class RungLike(Protocol):
    """What the rules need of a rung (`domain.model.Rung`): its level and, for a property company's rung, its kind."""

    @property
    def level(self) -> Level:
        """The rung's level."""

    @property
    def kind(self) -> UnitKind | None:
        """The kind of the unit at the rung when the ladder recorded it (None: not recorded)."""


class Rules(BaseModel):
    """The effective limits for one petition, fixed when it is reported."""

    model_config = ConfigDict(frozen=True)

    accept: Span
    return_window: Span
    resolve: dict[Level, Span]
    warning_fraction: float = Field(gt=0, lt=1)
    warning_before: Span | None = None
    max_extensions: int = Field(ge=0)
    max_extension: Span
    visit_window: Span
    visit_attempts: int = Field(ge=1)
    # the least time between two attempts to reach a resident (an 'unreachable' then another try);
    # None in rules frozen before it existed
    visit_retry_after: Span | None = None
    # 短信回访: how long the resident has to answer the SMS survey sent when the petition is resolved
    # before the visit falls to the human return visitors (never longer than `visit_window`). None in
    # rules frozen before it existed: no survey is sent, every visit is the return visitors' from the start.
    survey_window: Span | None = None
    # 延期审批: how long the rung above has to decide an extension request. When set, a request made
    # before the deadline holds the unit's resolve clock until it is decided, and a late decision is
    # the approver's breach. None in rules frozen before it existed (the deadline ran on).
    extension_decision: Span | None = None
    # 退单 (Shandong 12345: 终审): an order dispatched back to a unit that returned it is final for that
    # unit (a second return needs a supervisor), and its clock continues from the time it already used
    # rather than starting again. False in rules frozen before these existed.
    return_final_when_sent_back: bool = False
    return_keeps_clock: bool = False
    max_reopens: int = Field(ge=0)
    # 退单待重新分办: how long the dispatch desk has to re-route a returned order. None for petitions
    # reported before the rule existed: they keep the rules they started with (no such deadline).
    redispatch: Span | None = None
    # How a petition closes when the resident is still dissatisfied after the last allowed reopen:
    # `not_resolved` closes it as closed_not_resolved (未解决办结); None (rules frozen before the
    # rule existed) keeps the old close as `resolved`.
    dissatisfied_at_limit: Literal["resolved", "not_resolved"] | None = None
    # 结案后重办: how long after a petition closed a supervisor or dispatcher may reopen it when the
    # resident calls again (counted from `closed_at`). None in rules frozen before it existed: those
    # petitions cannot be reopened after closing (a new petition that follows them can be reported).
    reopen_after_close: Span | None = None
    # Whether a reopen after close (结案后重办, by a supervisor or dispatcher) uses up `max_reopens`, the
    # limit on how many times a dissatisfied resident sends the work back at a return visit. The shipped
    # policies say no (`reopens.after_close_counts_to_limit: false`): the limit is the dissatisfied
    # visits', and a petition reopened after close gets its full number of them. True in rules frozen
    # before the choice existed: those petitions keep counting both (docs/deadline-rules.md).
    after_close_counts_to_limit: bool = True

    # 物业110 (issue 14 §3): the property company's own rung (a rung recorded with kind `property_company`)
    # takes these instead of `accept` and `resolve[level]` (policy `property_company: {accept, resolve}`).
    # None in rules frozen before they existed, and in rules of urgent and emergency petitions (the
    # urgency's tighter rules hold on every rung): the company's rung counts like its level's.
    company_accept: Span | None = None
    company_resolve: Span | None = None

    def accept_on(self, rung: RungLike) -> Span:
        """The time to accept a work order at `rung`: the company's (物业110) at a property company's rung, if the
        rules have it; else `accept`."""
        if rung.kind is UnitKind.PROPERTY_COMPANY and self.company_accept is not None:
            return self.company_accept
        return self.accept

    def resolve_on(self, rung: RungLike) -> Span:
        """The time to resolve at `rung` before the order climbs: the company's (物业110) at a property company's
        rung, if the rules have it; else `resolve[rung.level]`."""
        if rung.kind is UnitKind.PROPERTY_COMPANY and self.company_resolve is not None:
            return self.company_resolve
        return self.resolve[rung.level]

    def warning_offset_on(self, rung: RungLike) -> Span:
        """`warning_offset` of the resolve time at `rung` (`resolve_on`)."""
        return self._offset(self.resolve_on(rung))

    def warning_offset(self, level: Level) -> Span:
        """How long after the clock starts the yellow card is shown."""
        return self._offset(self.resolve[level])

    def _offset(self, total: Span) -> Span:
        before = self.warning_before
        if before is not None and before.clock is total.clock and before.seconds < total.seconds:
            return Span(seconds=total.seconds - before.seconds, clock=total.clock)
        return total.scaled(self.warning_fraction)


class Policy(BaseModel):
    """A named SLA policy as loaded from its file."""

    name: str
    description: str = ""
    defaults: dict[str, Any]
    categories: dict[str, dict[str, Any]] = {}
    urgencies: dict[str, dict[str, Any]] = {}

    def rules_for(self, category: str, urgency: Urgency) -> Rules:
        """The rules of a petition of `category` and `urgency`: the defaults, overridden by the category's, then the
        urgency's. InvalidCommand if the merged rules are not valid."""
        merged = copy.deepcopy(self.defaults)
        _merge(merged, self.categories.get(category, {}))
        _merge(merged, self.urgencies.get(urgency.value, {}))
        if urgency.value in self.urgencies:  # the urgency's tighter rules hold on the company's rung too
            merged.pop("property_company", None)
        try:
            return _rules_from(merged)
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCommand(f"policy {self.name!r} has no valid rules for {category}/{urgency}: {exc}") from exc

    def validate_all(self, categories: list[str]) -> None:
        """Fail early (at load) if any category/urgency combination does not give valid rules."""
        for category in categories:
            for urgency in Urgency:
                self.rules_for(category, urgency)


def _merge(into: dict[str, Any], override: dict[str, Any]) -> None:
    for key, value in override.items():
        if key == "resolve" and isinstance(value, dict) and "all" in value:
            value = {level.value: value["all"] for level in Level} | {k: v for k, v in value.items() if k != "all"}
        if isinstance(value, dict) and isinstance(into.get(key), dict) and not _is_duration(value):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _is_duration(value: dict[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)) in _UNITS


def _rules_from(raw: dict[str, Any]) -> Rules:
    warning = raw.get("warning", {})
    extensions = raw["extensions"]
    visit = raw["return_visit"]
    company = raw.get("property_company", {})
    return Rules(
        accept=Span.parse(raw["accept"]),
        return_window=Span.parse(raw["return_window"]),
        resolve={Level(level): Span.parse(raw["resolve"][level.value]) for level in Level},
        warning_fraction=float(warning.get("fraction", 0.8)),
        warning_before=Span.parse(warning["before"]) if "before" in warning else None,
        max_extensions=int(extensions["max_count"]),
        max_extension=Span.parse(extensions["max_each"]),
        extension_decision=Span.parse(extensions["decide_within"]) if "decide_within" in extensions else None,
        visit_window=Span.parse(visit["window"]),
        visit_attempts=int(visit["attempts"]),
        visit_retry_after=Span.parse(visit["retry_after"]) if "retry_after" in visit else None,
        survey_window=Span.parse(visit["survey_window"]) if "survey_window" in visit else None,
        max_reopens=int(raw["max_reopens"]),
        redispatch=Span.parse(raw["redispatch"]) if "redispatch" in raw else None,
        dissatisfied_at_limit=raw["dissatisfied_at_limit"] if "dissatisfied_at_limit" in raw else None,
        reopen_after_close=Span.parse(raw["reopen_after_close"]) if "reopen_after_close" in raw else None,
        return_final_when_sent_back=bool(raw.get("returns", {}).get("final_when_sent_back", False)),
        return_keeps_clock=bool(raw.get("returns", {}).get("keeps_clock", False)),
        after_close_counts_to_limit=bool(raw.get("reopens", {}).get("after_close_counts_to_limit", True)),
        company_accept=Span.parse(company["accept"]) if "accept" in company else None,
        company_resolve=Span.parse(company["resolve"]) if "resolve" in company else None,
    )
