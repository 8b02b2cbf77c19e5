"""From a report, whatever channel brought it, to the domain's `Report` command: the input every channel
fills (`Intake`), the rules its fields keep (limits, and `domain/text.py`'s checks), where the problem is
and who handles it.

Pure: no I/O, no clock, no randomness, so the bench and the what-if build their commands with it in
memory. It may not decide who may report where, look at other petitions or start anything: that is the
intake service's (`services/intake.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain import commands as cmd
from domain.enums import Channel, EmergencyLine, LegalChannel, RequestType, TriageOutcome, Urgency
from domain.errors import InvalidCommand
from domain.model import Actor, Rung
from domain.policy import Rules
from domain.text import blank_problem, phone_problem, unstorable_text, url_problem
from org.geography import LocationError, grid_at, grid_holds
from org.model import OrgTree
from org.routing import dispatch_desk, ladder_for_compound, ladder_for_report, ladder_from_unit
from services.errors import FieldTooLong, InvalidField, LocationMismatch, LocationOutsideGrids, LocationRequired

# The text fields of a report, each refused (never cut) beyond the `max_length` of the domain's `Report`
# field of the same name, except where intake is stricter than the command: the command stays as lenient
# as it was when running petitions' histories were recorded (they must keep decoding).
_TEXT_FIELDS = ("category", "grid_code", "description", "address", "reporter_name", "reporter_phone",
                "public_summary", "follows")
_STRICTER = {"public_summary": 200}  # a line for the public, not a second description (Report: MAX_TEXT)


def _max_length(name: str) -> int:
    """The `max_length` constraint of the domain `Report`'s field `name`."""
    return next(m.max_length for m in cmd.Report.model_fields[name].metadata if hasattr(m, "max_length"))


# The most characters each text field of a report may hold. The REST body (`api/schemas.ReportIn`), Open311
# and the intake service all read this table.
LIMITS: dict[str, int] = {name: _STRICTER.get(name) or _max_length(name) for name in _TEXT_FIELDS}
MAX_MEDIA = cmd.MAX_EVIDENCE  # photos (media links) sent with one report


@dataclass(frozen=True)
class OnTheSpot:
    """就地解决 (issue 14 §1): what the grid worker did on the spot, and the evidence (photo links, at least one)."""

    result: str
    evidence_urls: tuple[str, ...]


@dataclass(frozen=True)
class Triage:
    """A hotline call triaged at intake (issue 14 §2, 接诉即办 Art. 11) and closed at once, with its reason:
    `answered` (a consultation, with the `answer`), `emergency_handover` (`emergency_line`), `legal_channel`
    (`legal_channel`) or `outside_duties`."""

    outcome: TriageOutcome
    reason: str
    answer: str = ""
    emergency_line: EmergencyLine | None = None
    legal_channel: LegalChannel | None = None


@dataclass(frozen=True)
class VisitMatter:
    """民意"5"来听 (issue 14 §4): a matter raised to visit team `team` in round `round_id`, resolved by the team on
    the spot (`on_the_spot`, with `result` and evidence links) or handed on into the ladder."""

    team: str
    round_id: str
    on_the_spot: bool = False
    result: str = ""
    evidence_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Intake:
    """One report from any channel (grid worker app, hotline, Open311, visit day...).

    `actor` is who reports (a cadre, or the integrator acting as its district's dispatcher). Where: a
    `grid_code`, or a point (`latitude`, `longitude`, WGS84 degrees) inside one grid's boundary, or both
    (they must agree). `follows`: the id of a closed petition this one follows (结案后再诉), '' for none.
    `idempotency_key`: a retry with the same key and the same `request` (the channel's input as JSON)
    answers with the petition the first made; None: no key."""

    actor: Actor
    category: str
    description: str
    channel: Channel
    grid_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    urgency: Urgency = Urgency.NORMAL
    reporter_name: str = ""
    reporter_phone: str = ""
    confidential: bool = False  # 工单保密
    public_summary: str = ""  # what a public Open311 read shows of it
    resident_sms: bool = True  # False: the resident asked for no messages (recorded as their opt-out)
    media_urls: tuple[str, ...] = ()
    follows: str = ""
    idempotency_key: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    # the actor reports for the dispatch desk of the grid's district (an integrator, a hotline agent): its
    # `unit_code` becomes that desk once the grid is found
    for_district_desk: bool = False
    # issue 14 §2: what the caller asks for, a caller who gives no name or phone; and the two other ways a
    # report can start: resolved on the spot by the grid's worker (§1), or triaged and closed at intake
    request_type: RequestType | None = None
    anonymous: bool = False
    on_the_spot: OnTheSpot | None = None
    triage: Triage | None = None
    visit: VisitMatter | None = None  # issue 14 §4: collected by a visit team (channel visit)
    # issue 14 §3 (物业110): the compound (小区) the call is about; its grid and its company's ladder follow
    compound: str = ""
    # issue 14 §5: the reporter says it is another problem than a burst declared nearby: never join one
    separate_matter: bool = False


@dataclass(frozen=True)
class Route:
    """Where a report goes: its grid, the ladder of units from its first rung up, and the dispatch desk
    (the grid's district) that re-routes it when it is returned."""

    grid_code: str
    ladder: list[Rung]
    desk_code: str


def too_long(intake: Intake) -> FieldTooLong | None:
    """The first field of `intake` over its limit in `LIMITS` (or too many media links), else None."""
    for name, most in LIMITS.items():
        value = getattr(intake, name) or ""
        if len(value) > most:
            return FieldTooLong(name, f"must be at most {most} characters (it has {len(value)}); nothing was stored")
    if len(intake.media_urls) > MAX_MEDIA:
        return FieldTooLong("media_urls", f"holds at most {MAX_MEDIA} links")
    return None


def input_problem(intake: Intake) -> InvalidField | None:
    """The first field of `intake` that should not be stored, else None: text PostgreSQL cannot hold, over
    its limit (`too_long`), blank or with control characters, a `reporter_phone` that is no phone number,
    a media link that is not http(s) (`domain/text.py`), an empty category or description. Every channel
    gets these checks from the intake service; the REST body refuses the same earlier (422 per field)."""
    for name in _TEXT_FIELDS:
        if (problem := unstorable_text(getattr(intake, name) or "", name)) is not None:
            return InvalidField(name, problem.removeprefix(f"{name} "))
    if (long := too_long(intake)) is not None:
        return long
    for name in ("category", "description"):
        if not getattr(intake, name):
            return InvalidField(name, "is required")
    for name in _TEXT_FIELDS:
        if (problem := blank_problem(getattr(intake, name) or "")) is not None:
            return InvalidField(name, problem)
    if (problem := phone_problem(intake.reporter_phone)) is not None:
        return InvalidField("reporter_phone", problem)
    for index, url in enumerate(intake.media_urls):
        if (problem := unstorable_text(url) or url_problem(url)) is not None:
            return InvalidField("media_urls", f"[{index}] {problem}")
    return None


def locate(org: OrgTree, grid_code: str | None, latitude: float | None, longitude: float | None) -> str:
    """The grid of a report: `grid_code` (a point given with it must lie inside it, if the grid is known),
    else the grid whose boundary holds the point. Raises LocationMismatch, LocationOutsideGrids (in no grid,
    or on a border) or LocationRequired (neither given)."""
    if grid_code:
        if (latitude is not None and longitude is not None and grid_code in org.units
                and not grid_holds(org, grid_code, latitude, longitude)):
            raise LocationMismatch(f"lat {latitude}, long {longitude} lies outside grid {grid_code}")
        return grid_code
    if latitude is None or longitude is None:
        raise LocationRequired("where is it? send grid_code, or lat and long inside a grid")
    try:
        return grid_at(org, latitude, longitude)
    except LocationError as exc:
        raise LocationOutsideGrids(str(exc)) from None


def route(org: OrgTree, grid_code: str, category: str, *, from_grid: bool = False, compound: str = "") -> Route:
    """The ladder and desk of a report in `grid_code` about `category`; InvalidCommand for an unknown grid
    or category, or a grid the org cannot climb from. `from_grid`: the ladder starts at the grid itself,
    whatever rung the category starts at (a petition resolved there on the spot). `compound` (物业110): the
    ladder of the compound's company (`org.routing.ladder_for_compound`), its grid the compound's (InvalidCommand
    if `grid_code` is another)."""
    if compound:
        grid, ladder = ladder_for_compound(org, compound, category)
        if grid != grid_code:
            raise InvalidCommand(f"compound {compound} lies in grid {grid}, not {grid_code}", field="grid_code")
        return Route(grid, ladder, dispatch_desk(org, grid))
    ladder = (ladder_from_unit(org, grid_code, grid_code, category) if from_grid
              else ladder_for_report(org, grid_code, category))
    return Route(grid_code, ladder, dispatch_desk(org, grid_code))


def report_command(intake: Intake, petition_id: str, where: Route, policy_name: str, rules: Rules, *,
                   follows_unit: str = "", tracks_delivery: bool = True) -> cmd.Report:
    """The command that starts the petition, with the policy's `rules` frozen into it: a `Report`, or a
    `ReportOnTheSpot` (`intake.on_the_spot`) or `ReportTriaged` (`intake.triage`). `follows_unit`: the unit
    charged with a follow-up of `intake.follows`. `tracks_delivery=False` only for petitions that no workflow
    runs (simulated lives: no department delivery is ever confirmed)."""
    extra: dict[str, Any] = {}
    kind: type[cmd.Report] = cmd.Report
    if intake.on_the_spot is not None:
        kind, extra = cmd.ReportOnTheSpot, {"result": intake.on_the_spot.result,
                                            "evidence_urls": list(intake.on_the_spot.evidence_urls)}
    elif intake.visit is not None:
        v = intake.visit
        kind, extra = cmd.ReportVisitMatter, {"visit_team": v.team, "visit_round": v.round_id,
                                              "on_the_spot": v.on_the_spot, "result": v.result,
                                              "evidence_urls": list(v.evidence_urls)}
    elif intake.triage is not None:
        t = intake.triage
        kind, extra = cmd.ReportTriaged, {"triage": t.outcome, "reason": t.reason, "answer": t.answer,
                                          "emergency_line": t.emergency_line, "legal_channel": t.legal_channel}
    return kind(
        **extra, request_type=intake.request_type, anonymous=intake.anonymous,
        actor=intake.actor, petition_id=petition_id, category=intake.category, description=intake.description,
        address=intake.address, grid_code=where.grid_code, channel=intake.channel, urgency=intake.urgency,
        reporter_name=intake.reporter_name, reporter_phone=intake.reporter_phone, confidential=intake.confidential,
        public_summary=intake.public_summary, latitude=intake.latitude, longitude=intake.longitude,
        media_urls=list(intake.media_urls), policy_name=policy_name, rules=rules, ladder=where.ladder,
        desk_code=where.desk_code, tracks_delivery=tracks_delivery, follows=intake.follows,
        follows_unit=follows_unit, compound=intake.compound,
    )
