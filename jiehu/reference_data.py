"""The files jiehu ships: SLA policies, the working-day calendar and the demo org."""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import chinese_calendar
import yaml

from domain.evaluation import ScoringWeights
from domain.policy import Policy
from domain.workcalendar import WorkCalendar, YearRules, build_calendar

DATA = resources.files("jiehu") / "data"
DEMO_ORG = DATA / "jining_org.yaml"


def policy_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in (DATA / "policies").iterdir() if p.name.endswith(".yaml"))


def load_policy(name_or_path: str) -> Policy:
    """A shipped policy by name (`default`, `fast`) or a policy file by path."""
    candidate = DATA / "policies" / f"{name_or_path}.yaml"
    text = candidate.read_text("utf-8") if candidate.is_file() else Path(name_or_path).read_text("utf-8")
    return Policy.model_validate(yaml.safe_load(text))


def load_scoring(path: str = "") -> ScoringWeights:
    """The composite score's weights: the shipped defaults, or a file of the same shape."""
    text = Path(path).read_text("utf-8") if path else (DATA / "scoring.yaml").read_text("utf-8")
    return ScoringWeights.model_validate(yaml.safe_load(text) or {})


def load_overrides(text: str) -> dict[int, YearRules]:
    raw = yaml.safe_load(text) or {}
    years: dict[int, YearRules] = {}
    for year, spec in (raw.get("years") or {}).items():
        holidays = frozenset(_as_date(d) for d in spec.get("holidays") or [])
        workdays = frozenset(_as_date(d) for d in spec.get("workdays") or [])
        years[int(year)] = YearRules(holidays, workdays, complete=bool(spec.get("complete", True)))
    return years


@cache
def work_calendar() -> WorkCalendar:
    """chinese-calendar's holidays and make-up days, plus the shipped override file."""
    overrides = load_overrides((DATA / "calendar_overrides.yaml").read_text("utf-8"))
    return build_calendar(chinese_calendar.holidays, chinese_calendar.workdays, overrides)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
