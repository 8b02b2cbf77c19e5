"""Commands, in the imperative. People send them (as Temporal Updates); the timers send `Tick`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from domain.arrangements import Arrangement
from domain.enums import (
    Channel,
    CloseOutcome,
    EmergencyLine,
    LegalChannel,
    PauseReason,
    RequestType,
    Resolution,
    TriageOutcome,
    Urgency,
    VisitChannel,
    VisitOutcome,
)
from domain.model import Actor, Rung
from domain.policy import Rules, Span

MAX_TEXT = 4000  # one limit for every description and note; GeoReport v2 allows 4,000
MAX_EVIDENCE = 20

Text = Field(min_length=1, max_length=MAX_TEXT)
DurationIn = Annotated[Span, BeforeValidator(Span.parse)]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor


class Report(_Command):
    """Start a petition: the ladder and rules are resolved by the caller from the org and policy."""

    kind: Literal["report"] = "report"
    petition_id: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    address: str = Field(default="", max_length=200)
    grid_code: str = Field(min_length=1, max_length=64)
    channel: Channel
    urgency: Urgency = Urgency.NORMAL
    reporter_name: str = Field(default="", max_length=64)
    reporter_phone: str = Field(default="", max_length=32)
    confidential: bool = False  # 工单保密
    public_summary: str = Field(default="", max_length=MAX_TEXT)  # what a public Open311 read shows
    policy_name: str
    rules: Rules
    ladder: list[Rung] = Field(min_length=1)
    # The dispatch desk (the 12345 centre of the grid's district) that re-routes returned orders.
    # Empty in petitions reported before it existed (recorded histories replay with the default).
    desk_code: str = Field(default="", max_length=64)
    # Department deliveries are confirmed by an event (WorkOrderDelivered); older petitions never were.
    tracks_delivery: bool = False
    # Where the problem is (WGS84) and photos sent with the report (Open311 lat/long/media_url);
    # absent in petitions reported before they were kept.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    media_urls: list[str] = Field(default=[], max_length=MAX_EVIDENCE)
    # 结案后再诉: a closed petition this one follows (the resident called again about it) and the unit
    # charged with the follow-up (the one that resolved it, or held it last); checked by the API
    follows: str = Field(default="", max_length=64)
    follows_unit: str = Field(default="", max_length=64)
    # issue 14 §2: what the caller asks for (咨询/求助/投诉/举报/建议), and a caller who gave no name or phone
    request_type: RequestType | None = None
    anonymous: bool = False
    # issue 14 §3 (物业110): the compound (小区) a property call is about; the ladder starts at its company
    compound: str = Field(default="", max_length=64)


class ReportOnTheSpot(Report):
    """就地解决: a grid worker reports a problem of their own grid and resolves it in the same step, with
    evidence (photos as links) and a note of what was done. It is return-visited like any resolved petition
    and counts as resolved on the spot in the grid's figures (issue 14 §1)."""

    kind: Literal["report_on_the_spot"] = "report_on_the_spot"  # type: ignore[assignment]
    result: str = Text
    evidence_urls: list[str] = Field(min_length=1, max_length=MAX_EVIDENCE)


class ReportTriaged(Report):
    """A hotline call triaged at intake (接诉即办 Art. 11): answered on the spot (a consultation), handed over
    to 110/119/120, referred to a legal channel, or outside government duties. Recorded with its reason and
    closed at once: no work order is made. (The same matter without new facts is `LinkCaller` on the open
    petition, not a new one.)"""

    kind: Literal["report_triaged"] = "report_triaged"  # type: ignore[assignment]
    triage: TriageOutcome
    reason: str = Text
    answer: str = Field(default="", max_length=MAX_TEXT)  # `answered`: what the caller was told
    emergency_line: EmergencyLine | None = None  # `emergency_handover`
    legal_channel: LegalChannel | None = None  # `legal_channel`


# --- issue 14 §4: 民意"5"来听 visit days ---------------------------------------------------------


class ReportVisitMatter(Report):
    """A matter a resident raised to a visit team on its visit day (民意"5"来听): reported with channel `visit`
    and the team and round on it; either resolved by the team on the spot (`on_the_spot`, with `result` and
    evidence: it is accepted and resolved at the grid in the same step and return-visited as any resolution)
    or handed on into the ladder as any report. The team's membership is the intake's to check."""

    kind: Literal["report_visit_matter"] = "report_visit_matter"  # type: ignore[assignment]
    visit_team: str = Field(min_length=1, max_length=64)
    visit_round: str = Field(min_length=1, max_length=120)
    on_the_spot: bool = False
    result: str = Field(default="", max_length=MAX_TEXT)
    evidence_urls: list[str] = Field(default=[], max_length=MAX_EVIDENCE)


class LinkCaller(_Command):
    """The same matter, no new facts (接诉即办 Art. 11): another caller is linked to this open petition as
    another reporter and told its progress; no new work order. Linked callers are return-visited too."""

    kind: Literal["link_caller"] = "link_caller"
    reason: str = Text
    caller_name: str = Field(default="", max_length=64)
    caller_phone: str = Field(default="", max_length=32)
    anonymous: bool = False
    confidential: bool = False  # 工单保密: this caller's name and phone are shown as a confidential reporter's
    request_type: RequestType | None = None


class VisitLinkedCaller(_Command):
    """The return visit of a caller linked to the petition (`caller`: their number, from 1, in link order)."""

    kind: Literal["linked_caller_visit"] = "linked_caller_visit"
    caller: int = Field(ge=1, le=10_000)
    outcome: VisitOutcome
    note: str = Field(default="", max_length=MAX_TEXT)


# --- issue 14 §5: duplicates and bursts -------------------------------------------------------------------


class MergedReporter(BaseModel):
    """One reporter a merge carries to the survivor: the merged petition's reporter or one of its linked callers
    not yet visited (their name and phone are personal data, masked like the reporter's)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="", max_length=64)
    phone: str = Field(default="", max_length=32)
    anonymous: bool = False
    confidential: bool = False  # 工单保密: this caller's name and phone are shown as a confidential reporter's
    request_type: RequestType | None = None


class MergeInto(_Command):
    """合并工单: a dispatcher merges this open petition into `into`, an open one of the same district about the
    same problem. It closes as a duplicate naming `into` (its units' rates untouched); its reporters are linked
    to `into` (`AbsorbMerged`, sent first) and return-visited when `into` closes."""

    kind: Literal["merge"] = "merge"
    into: str = Field(min_length=1, max_length=64)
    reason: str = Text


class AbsorbMerged(_Command):
    """The survivor's half of a merge, sent by the API before `MergeInto`: the merged petition's reporters
    become linked reporters of this one. `merged_desk_code`: the merged petition's dispatch desk (a merge stays
    within one district)."""

    kind: Literal["absorb_merged"] = "absorb_merged"
    merged_id: str = Field(min_length=1, max_length=64)
    merged_desk_code: str = Field(max_length=64)
    reporters: list[MergedReporter] = Field(min_length=1, max_length=10_000)
    reason: str = Text


class DeclareBurst(_Command):
    """突发集中诉求: a dispatcher declares a burst on this open petition (a water main broke): until `until`
    (aware; at most 3 days ahead), reports of its category in `grid_codes` (default: its grid) or within
    `radius_m` metres of (`latitude`, `longitude`) (default: its point), mentioning one of `keywords` if any,
    join it as reporters instead of starting work orders. Declared again, it replaces the earlier one."""

    kind: Literal["declare_burst"] = "declare_burst"
    until: AwareDatetime
    reason: str = Text
    radius_m: float = Field(default=500.0, ge=0, le=5_000)
    grid_codes: list[str] = Field(default=[], max_length=50)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    keywords: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(default=[], max_length=10)


class JoinBurst(_Command):
    """A report that falls inside a burst declared on this petition (sent by intake, never by a route): its
    reporter is linked as another reporter with what they said; no new petition, no new work order."""

    kind: Literal["join_burst"] = "join_burst"
    category: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    grid_code: str = Field(min_length=1, max_length=64)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    reporter_name: str = Field(default="", max_length=64)
    reporter_phone: str = Field(default="", max_length=32)
    anonymous: bool = False
    confidential: bool = False  # 工单保密: this caller's name and phone are shown as a confidential reporter's
    request_type: RequestType | None = None


class Dispatch(_Command):
    """Re-route the petition to another unit (the ladder starts at that unit)."""

    kind: Literal["dispatch"] = "dispatch"
    ladder: list[Rung] = Field(min_length=1)
    note: str = Field(default="", max_length=MAX_TEXT)
    # a transfer to another district (city level) moves the petition to that district's dispatch desk
    desk_code: str = Field(default="", max_length=64)


class Accept(_Command):
    """签收: the holding unit acknowledges its work order (before its accept deadline, or late)."""

    kind: Literal["accept"] = "accept"


class Return(_Command):
    """The unit says the order was misrouted; it goes back to the dispatcher."""

    kind: Literal["return"] = "return"
    reason: str = Text


class AllowReturn(_Command):
    """A supervisor lets the holding unit return a final (终审) order once more."""

    kind: Literal["allow_return"] = "allow_return"
    reason: str = Text


class Escalate(_Command):
    """上报: the holding unit asks to move the petition one rung up the ladder, saying why."""

    kind: Literal["escalate"] = "escalate"
    reason: str = Text


class RequestExtension(_Command):
    """延期申请: the holding unit, having accepted, asks the rung above for more time; `duration` in the clock of the
    petition's `max_extension` (whole working days: a whole number of them)."""

    kind: Literal["extension_request"] = "extension_request"
    duration: DurationIn = Field(description="in the unit of the petition's extension limit, e.g. "
                                             "{\"whole_working_days\": 5}, {\"working_days\": 5} or {\"seconds\": 10}")
    reason: str = Text


class DecideExtension(_Command):
    """The rung above approves or refuses the pending extension request."""

    kind: Literal["extension_decision"] = "extension_decision"
    approve: bool
    note: str = Field(default="", max_length=MAX_TEXT)


class Pause(_Command):
    """Stop the clock while waiting on the resident or a third party.

    From the handling unit it is a request; from the rung above it is an approval (of the pending
    request, or a pause on its own authority). `approve=False` from the rung above denies a request.
    """

    kind: Literal["pause"] = "pause"
    reason_kind: PauseReason = PauseReason.WAITING_RESIDENT
    reason: str = Field(default="", max_length=MAX_TEXT)
    approve: bool = True


class Resume(_Command):
    """Restart a paused clock (the holding unit or the rung above): each deadline gets back what it had left."""

    kind: Literal["resume"] = "resume"
    note: str = Field(default="", max_length=MAX_TEXT)


class NoteProgress(_Command):
    """The holding unit records progress (处置进展) without changing the petition's state."""

    kind: Literal["progress"] = "progress"
    note: str = Text


class Resolve(_Command):
    """办结: the holding unit, having accepted, says what it did (`result`, at most `MAX_TEXT` characters) with up to
    `MAX_EVIDENCE` links; the return visit window starts."""

    kind: Literal["resolve"] = "resolve"
    resolution: Resolution = Resolution.FIXED
    result: str = Text
    evidence_urls: list[str] = Field(default=[], max_length=MAX_EVIDENCE)


class Urge(_Command):
    """督办/催办: a supervisor, dispatcher or the rung above pushes the holding unit, with a note."""

    kind: Literal["urge"] = "urge"
    note: str = Text


class RecordReturnVisit(_Command):
    """回访: the outcome of one attempt to ask the resident whether the problem was solved (`not_visited` is the
    system's, when the window closes)."""

    kind: Literal["return_visit"] = "return_visit"
    outcome: VisitOutcome
    note: str = Field(default="", max_length=MAX_TEXT)
    channel: VisitChannel = Field(default=VisitChannel.PHONE, description="how the resident was reached: phone "
                                  "(电话回访), sms (短信回访: the SMS survey's reply), on_site (上门回访)")


class Close(_Command):
    """Close with an explicit outcome; anything but `resolved` needs an explanation."""

    kind: Literal["close"] = "close"
    outcome: CloseOutcome
    explanation: str = Field(default="", max_length=MAX_TEXT)
    # closing as `duplicate`: the petition it duplicates (the API requires it for new closes; the
    # command stays lenient so that recorded histories keep decoding)
    duplicate_of: str = Field(default="", max_length=64)


class ReopenClosed(_Command):
    """结案后重办: the resident called again about a closed petition; a supervisor or dispatcher
    reopens it within the policy window, naming who called (their contact is personal data)."""

    kind: Literal["reopen_closed"] = "reopen_closed"
    reason: str = Text
    contact_name: str = Field(default="", max_length=64)
    contact_phone: str = Field(default="", max_length=32)


class ConfirmDelivery(_Command):
    """The workflow's own: a department's system took the work order off its task queue."""

    kind: Literal["confirm_delivery"] = "confirm_delivery"
    delivery_id: str = Field(min_length=1, max_length=200)


class OpenWorkOrder(_Command):
    """Staff of the department holding a work order opened it in the API (查收): the hand-over of an
    order that no system of the department has taken yet. Sent by the API when they read or act on it."""

    kind: Literal["open_work_order"] = "open_work_order"


class ReplanDeadlines(_Command):
    """The workflow's own: a year's official holiday arrangement was loaded (`domain.arrangements`);
    re-plan the deadlines still ahead that it moves. Sent by the calendar re-plan, never by a person."""

    kind: Literal["replan_deadlines"] = "replan_deadlines"
    arrangement: Arrangement


class Tick(BaseModel):
    """The workflow's timer fired: act on whatever deadline is due."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["tick"] = "tick"


# --- issue 14 §3: 物业110 ---------------------------------------------------------------------------


class CompanyCallback(_Command):
    """客服回访 (物业110): the customer service of the property company that resolved the order calls the resident
    back and records what they said. The company's own check on its work: it shows on the company's quarterly
    card; the official return visit (回访, by the district's return visitors or the SMS survey) still closes the
    petition and is what the rates count."""

    kind: Literal["company_callback"] = "company_callback"
    outcome: VisitOutcome
    note: str = Field(default="", max_length=MAX_TEXT)


Command = (
    Report | Dispatch | Accept | Return | Escalate | RequestExtension | DecideExtension | Pause | Resume
    | NoteProgress | Resolve | Urge | RecordReturnVisit | Close | ConfirmDelivery | AllowReturn | ReopenClosed
    | OpenWorkOrder | ReplanDeadlines | ReportOnTheSpot | ReportTriaged | LinkCaller | VisitLinkedCaller
    | ReportVisitMatter  # issue 14 §4
    | CompanyCallback  # issue 14 §3
    | MergeInto | AbsorbMerged | DeclareBurst | JoinBurst
    | Tick
)
