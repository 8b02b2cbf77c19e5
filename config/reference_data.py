"""The files jiehu ships: SLA policies, the working-day calendar and the demo org."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path

import chinese_calendar
import yaml

from config.statutory_holidays import RULES_SINCE, statutory_holidays
from domain.arrangements import Arrangement, apply_arrangements
from domain.evaluation import ScoringWeights
from domain.policy import Policy
from domain.workcalendar import CHINA, OfficeHours, OfficeSchedule, WorkCalendar, YearRules, build_calendar

DATA = resources.files("config") / "data"
DEMO_ORG = DATA / "jining_org.yaml"
YEARS_AHEAD = 10  # years after this one that get their statutory holidays when nothing official is known
# chinese-calendar names holidays in English; the API and the console show the Chinese names
CHINESE_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def policy_names() -> list[str]:
    """The names of the shipped SLA policies (`config/data/policies/*.yaml`), sorted."""
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
    """The calendar overrides in YAML `text` (`years: {YYYY: {holidays, workdays, complete}}`; holidays a list of
    dates or a mapping date → name) as working-day rules by year. Raises yaml or ValueError errors on malformed text."""
    raw = yaml.safe_load(text) or {}
    years: dict[int, YearRules] = {}
    for year, spec in (raw.get("years") or {}).items():
        listed = spec.get("holidays") or []  # a list of dates, or a mapping date → name
        names = {as_date(d): str(n) for d, n in listed.items()} if isinstance(listed, dict) else {}
        holidays = frozenset(as_date(d) for d in listed)
        workdays = frozenset(as_date(d) for d in spec.get("workdays") or [])
        years[int(year)] = YearRules(holidays, workdays, complete=bool(spec.get("complete", True)), names=names)
    return years


def load_office_hours(text: str) -> OfficeHours:
    """Seasonal office hours from YAML (the shape of config/data/office_hours.yaml)."""
    raw = yaml.safe_load(text) or {}
    try:
        return OfficeHours(tuple(
            OfficeSchedule(
                name=str(season["name"]), label=str(season.get("label", season["name"])),
                starts=_month_day(season["from"]),
                periods=tuple(_period(str(p)) for p in season["hours"]),
            ) for season in raw.get("seasons") or []
        ))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"invalid office hours: {exc}") from exc


@dataclass
class _Adopted:
    """The arrangements loaded into the log that this process follows (see `adopt_arrangements`)."""

    arrangements: tuple[Arrangement, ...] = ()
    calendar: WorkCalendar | None = None


_ADOPTED = _Adopted()


def work_calendar() -> WorkCalendar:
    """The calendar this process uses now: the shipped one (`base_calendar`) with the arrangements
    loaded since (`jiehu calendar load`, `PUT /v1/calendar/{year}`) that it has adopted. Workflows do
    not use it: a petition's calendar is the base one plus the arrangements in its own history."""
    return _ADOPTED.calendar or base_calendar()


def adopt_arrangements(arrangements: Iterable[Arrangement]) -> bool:
    """Follow `arrangements` (every one loaded into the log, in any order) from now on; True if that
    changed the calendar. Each process calls it at start and whenever it reads the `calendar` stream."""
    adopted = tuple(sorted(arrangements, key=lambda a: a.sequence))
    if adopted == _ADOPTED.arrangements:
        return False
    _ADOPTED.arrangements = adopted
    _ADOPTED.calendar = apply_arrangements(base_calendar(), adopted) if adopted else None
    return True


def current_arrangements() -> list[Arrangement]:
    """The arrangements this process follows, in load order (new petitions start with them)."""
    return list(_ADOPTED.arrangements)


@cache
def base_calendar() -> WorkCalendar:
    """chinese-calendar's holidays and make-up days, plus the shipped override file; every year up to
    YEARS_AHEAD after this one without an official arrangement gets its statutory holidays (provisional);
    the shipped office hours."""
    overrides = load_overrides((DATA / "calendar_overrides.yaml").read_text("utf-8"))
    return with_statutory_years(
        build_calendar({d: CHINESE_NAMES.get(n, n) for d, n in chinese_calendar.holidays.items()},
                       chinese_calendar.workdays, overrides,
                       office_hours=load_office_hours((DATA / "office_hours.yaml").read_text("utf-8"))),
        last_year=datetime.now(CHINA).year + YEARS_AHEAD,
    )


def with_statutory_years(calendar: WorkCalendar, last_year: int) -> WorkCalendar:
    """`calendar` with every year of today's national rules up to `last_year` that has no official
    arrangement made provisional: its statutory holidays, plus what a `complete: false` override lists."""
    years = dict(calendar.years)
    for year in range(RULES_SINCE, last_year + 1):
        known = years.get(year, YearRules(complete=False))
        if known.complete:
            continue
        statutory = statutory_holidays(year)
        years[year] = YearRules(known.holidays | statutory.keys(), known.workdays, complete=False,
                                names={**statutory, **known.names})
    return WorkCalendar(years, calendar.office_hours)


def _month_day(value: object) -> tuple[int, int]:
    month, day = (int(part) for part in str(value).split("-"))
    return month, day


def _period(value: str) -> tuple[time, time]:
    begin, end = (time.fromisoformat(part.strip()) for part in value.split("-"))  # an end of 00:00: midnight
    return begin, end


def as_date(value: object) -> date:
    """A date from a YAML value (YAML reads 2027-01-01 as a date; quoted, it is text in ISO form)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
