"""Domain events, in the past tense. Each is stored as (type, data) in the petition's stream."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

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
from domain.model import Actor, Burst, Rung, UnitRecord
from domain.policy import Rules, Span


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime


class PetitionReported(_Event):
    """A petition was reported, with the rules and ladder frozen into it; every petition's stream starts with it."""

    type: Literal["PetitionReported"] = "PetitionReported"
    petition_id: str
    category: str
    description: str
    address: str
    grid_code: str
    channel: Channel
    urgency: Urgency
    reporter_name: str
    reporter_phone: str
    policy_name: str
    rules: Rules
    ladder: list[Rung]
    actor: Actor
    desk_code: str = ""  # absent in events recorded before dispatch desks had deadlines
    tracks_delivery: bool = False
    confidential: bool = False  # defaults: events recorded before these fields existed still decode
    public_summary: str = ""
    latitude: float | None = None  # WGS84, where the reporter says the problem is
    longitude: float | None = None
    media_urls: list[str] = []  # photos sent with the report: evidence from the start
    request_type: RequestType | None = None  # 咨询/求助/投诉/举报/建议 (None: not classified, older petitions)
    anonymous: bool = False  # the caller gave no name or phone
    # issue 14 §4: the visit team that collected it and the round (民意"5"来听); '' for other channels
    visit_team: str = ""
    visit_round: str = ""
    # issue 14 §3 (物业110): the compound (小区) the call was about ('' for none, and older petitions)
    compound: str = ""


class WorkOrderAssigned(_Event):
    """The petition now sits with a unit, and that unit's clocks start."""

    type: Literal["WorkOrderAssigned"] = "WorkOrderAssigned"
    rung_index: int
    rung: Rung
    accept_due: datetime
    warn_at: datetime
    resolve_due: datetime
    cause: Literal["report", "escalation", "redispatch", "reopen"]
    final: bool = False  # 终审: the unit returned it before and it was sent back; no second return
    provisional: bool = False  # a due date counts a year without an official arrangement: it may move


class WorkOrderAccepted(_Event):
    """The holding unit accepted its work order (签收); `in_time`: by its accept deadline."""

    type: Literal["WorkOrderAccepted"] = "WorkOrderAccepted"
    unit_code: str
    in_time: bool
    actor: Actor


class WorkOrderReturned(_Event):
    """The unit says the order was misrouted; the dispatch desk (`desk_code`) must re-route it by
    `redispatch_due` (None for petitions whose rules have no re-dispatch deadline)."""

    type: Literal["WorkOrderReturned"] = "WorkOrderReturned"
    unit_code: str
    reason: str
    actor: Actor
    desk_code: str = ""
    redispatch_warn_at: datetime | None = None
    redispatch_due: datetime | None = None
    clock_used: float | None = None  # working seconds of the unit's resolve clock used so far (keeps_clock)
    provisional: bool = False  # a due date counts a year without an official arrangement: it may move


class WorkOrderDelivered(_Event):
    """The department holding the work order `delivery_id` has it: its worker or webhook took it off its
    task queue (`opened_by` None), or a member of its staff opened it in the API (`opened_by`)."""

    type: Literal["WorkOrderDelivered"] = "WorkOrderDelivered"
    unit_code: str
    delivery_id: str
    opened_by: Actor | None = None


class ReturnAllowed(_Event):
    """A supervisor lets the unit holding a final (终审) order return it once more."""

    type: Literal["ReturnAllowed"] = "ReturnAllowed"
    unit_code: str
    reason: str
    actor: Actor


class PetitionRedispatched(_Event):
    """A dispatcher re-routed the petition: it starts over on `ladder`."""

    type: Literal["PetitionRedispatched"] = "PetitionRedispatched"
    ladder: list[Rung]
    note: str
    actor: Actor
    desk_code: str = ""  # set when the petition moved to another district's dispatch desk


class PetitionEscalated(_Event):
    """The petition moved one rung up: `by_deadline` when the resolve deadline passed (超期自动提级), else the unit
    asked."""

    type: Literal["PetitionEscalated"] = "PetitionEscalated"
    from_unit: str
    to_unit: str
    reason: str
    by_deadline: bool
    actor: Actor


class ExtensionRequested(_Event):
    """A unit asks the rung above for more time. Under rules with a decision deadline, `decide_due` is
    the approver's deadline and the unit's resolve clock is held with `resolve_left`/`warn_left`
    seconds of it left (None: rules frozen before that; the deadline runs on)."""

    type: Literal["ExtensionRequested"] = "ExtensionRequested"
    unit_code: str
    span: Span
    reason: str
    actor: Actor
    decide_due: datetime | None = None
    resolve_left: float | None = None  # seconds of the resolve clock left when it was held
    warn_left: float | None = None  # seconds of the resolve clock left until the yellow card


class ExtensionRequestLapsed(_Event):
    """The request ended without a decision because the petition moved on (`reason`)."""

    type: Literal["ExtensionRequestLapsed"] = "ExtensionRequestLapsed"
    unit_code: str
    requested_at: datetime
    reason: str


class ExtensionDecided(_Event):
    """The rung above decided an extension request: `resolve_due` and `warn_at` are the unit's deadlines from now on
    (moved when approved)."""

    type: Literal["ExtensionDecided"] = "ExtensionDecided"
    unit_code: str
    approved: bool
    note: str
    warn_at: datetime
    resolve_due: datetime
    actor: Actor
    provisional: bool = False  # a due date counts a year without an official arrangement: it may move
    held: bool = False  # the request held the clock: the deadlines above restart it, approved or not


class PauseRequested(_Event):
    """The holding unit asked the rung above to stop its clock."""

    type: Literal["PauseRequested"] = "PauseRequested"
    reason_kind: PauseReason
    reason: str
    actor: Actor


class PauseDenied(_Event):
    """The rung above refused a pause request; the clock runs on."""

    type: Literal["PauseDenied"] = "PauseDenied"
    note: str
    actor: Actor


class ClockPaused(_Event):
    """The rung above stopped the unit's clocks (挂起). What each deadline had left is kept as seconds of
    that deadline's own clock (`Clock`: working, office or natural seconds; a whole working day is
    86,400), so the clocks restart where they stood (`ClockResumed`)."""

    type: Literal["ClockPaused"] = "ClockPaused"
    reason_kind: PauseReason
    reason: str
    accept_left: float | None  # seconds of the accept clock; None: already accepted
    warn_left: float  # seconds of the resolve clock until the yellow card
    resolve_left: float  # seconds of the resolve clock until the deadline
    actor: Actor


class ClockResumed(_Event):
    """The clock restarted: each deadline is the resume time plus what it had left when paused."""

    type: Literal["ClockResumed"] = "ClockResumed"
    accept_due: datetime
    warn_at: datetime
    resolve_due: datetime
    note: str
    actor: Actor
    provisional: bool = False  # a due date counts a year without an official arrangement: it may move


class ProgressNoted(_Event):
    """The holding unit noted progress."""

    type: Literal["ProgressNoted"] = "ProgressNoted"
    note: str
    actor: Actor


class PetitionResolved(_Event):
    """The holding unit resolved the petition (办结): `in_time` by its deadline; the return visit is due by
    `visit_due`."""

    type: Literal["PetitionResolved"] = "PetitionResolved"
    unit_code: str
    resolution: Resolution
    result: str
    evidence_urls: list[str]
    in_time: bool
    visit_due: datetime
    actor: Actor
    provisional: bool = False  # a due date counts a year without an official arrangement: it may move
    on_the_spot: bool = False  # 就地解决: reported and resolved in one step by the grid worker
    # when the SMS survey's window closes (docs/notifications.md): set when the petition's rules have a
    # survey window and the resident can be sent one (a phone, not confidential); None before it existed
    survey_due: datetime | None = None


class PetitionUrged(_Event):
    """The holding unit was urged (督办): by a person, or `automatic` when a deadline passed."""

    type: Literal["PetitionUrged"] = "PetitionUrged"
    unit_code: str
    note: str
    automatic: bool
    actor: Actor


class DeadlineWarned(_Event):
    """Yellow card. `unit_code` is the holder (resolve) or the dispatch desk (redispatch);
    `resolve_due` is the deadline warned about, whichever it is."""

    type: Literal["DeadlineWarned"] = "DeadlineWarned"
    unit_code: str
    resolve_due: datetime
    deadline: Literal["resolve", "redispatch"] = "resolve"


class DeadlineBreached(_Event):
    """A unit missed a deadline; it counts against that unit in its evaluation."""

    type: Literal["DeadlineBreached"] = "DeadlineBreached"
    unit_code: str
    deadline: Literal["accept", "resolve", "redispatch", "decision"]  # decision: the approver's, on an extension
    due: datetime


class ReturnVisitRecorded(_Event):
    """One return-visit attempt (`attempt`, from 1) and what the resident said."""

    type: Literal["ReturnVisitRecorded"] = "ReturnVisitRecorded"
    outcome: VisitOutcome
    note: str
    attempt: int
    actor: Actor
    channel: VisitChannel = VisitChannel.PHONE  # visits recorded before the channel existed were calls


class PetitionReopened(_Event):
    """Back to a unit: after a dissatisfied return visit, or (`after_close`) when the resident called
    again about a closed petition and a supervisor or dispatcher reopened it (结案后重办)."""

    type: Literal["PetitionReopened"] = "PetitionReopened"
    unit_code: str
    reopen_count: int
    note: str
    # defaults: reopens recorded before reopening after close existed still decode
    after_close: bool = False
    reason: str = ""
    contact_name: str = ""  # the caller who asked again: personal data, masked like the reporter
    contact_phone: str = ""
    actor: Actor | None = None


class FollowUpReported(_Event):
    """The petition follows a closed one: the resident called again about it after it closed (结案后再诉).
    `unit_code` is charged with a reopen of the followed petition (empty: nobody is, e.g. a duplicate)."""

    type: Literal["FollowUpReported"] = "FollowUpReported"
    follows: str
    unit_code: str = ""


class IntakeTriaged(_Event):
    """A hotline call triaged at intake (接诉即办 Art. 11) with its reason: no work order is made and the
    petition closes at once (`PetitionClosed` follows)."""

    type: Literal["IntakeTriaged"] = "IntakeTriaged"
    outcome: TriageOutcome
    reason: str
    answer: str = ""
    emergency_line: EmergencyLine | None = None
    legal_channel: LegalChannel | None = None
    actor: Actor


class CallerLinked(_Event):
    """The same matter with no new facts: another caller linked to this open petition as another reporter
    (`caller`: their number, from 1). Their name and phone are personal data, masked like the reporter's."""

    type: Literal["CallerLinked"] = "CallerLinked"
    caller: int
    caller_name: str = ""
    caller_phone: str = ""
    anonymous: bool = False
    confidential: bool = False  # 工单保密 asked by this caller: masked even for the unit holding the petition
    request_type: RequestType | None = None
    reason: str
    actor: Actor
    # issue 14 §5 (defaults: links recorded before decode unchanged): the reporter of the petition merged into
    # this one (`merged_from`), or a report that joined its burst (`burst`, with what it said and how far away)
    merged_from: str = ""
    burst: bool = False
    description: str = ""
    distance_m: float | None = None


class LinkedCallerVisited(_Event):
    """The return visit of a linked caller."""

    type: Literal["LinkedCallerVisited"] = "LinkedCallerVisited"
    caller: int
    outcome: VisitOutcome
    note: str = ""
    actor: Actor


class CompanyCallbackRecorded(_Event):
    """物业110: the property company's customer service called the resident back after it resolved (客服回访)."""

    type: Literal["CompanyCallbackRecorded"] = "CompanyCallbackRecorded"
    unit_code: str
    outcome: VisitOutcome
    note: str = ""
    actor: Actor


class PetitionClosed(_Event):
    """The petition closed with `outcome`; the units' `UnitEvaluated` follow in the same append."""

    type: Literal["PetitionClosed"] = "PetitionClosed"
    outcome: CloseOutcome
    visit_outcome: VisitOutcome
    explanation: str
    actor: Actor
    duplicate_of: str = ""  # closed as `duplicate`: the petition it duplicates ('' before it was asked)


# --- issue 14 §5: duplicates and bursts -------------------------------------------------------------------


class PetitionMerged(_Event):
    """A dispatcher merged this petition into `into` (合并工单): its reporters (`reporters`: how many) became
    linked reporters of `into`, return-visited when it closes; it closes as a duplicate of `into` in the same
    append (`PetitionClosed` with `duplicate_of`), which leaves every unit's rates (`EXCLUDED_OUTCOMES`)."""

    type: Literal["PetitionMerged"] = "PetitionMerged"
    into: str
    reason: str
    reporters: int
    actor: Actor


class BurstDeclared(_Event):
    """A dispatcher declared a burst on this petition (突发集中诉求): later reports matching `burst` join it as
    reporters instead of starting work orders of their own (`domain/duplicates.py`)."""

    type: Literal["BurstDeclared"] = "BurstDeclared"
    burst: Burst


class DeadlineMove(BaseModel):
    """One deadline a new holiday arrangement moved: whose it is, and its instants before and after."""

    model_config = ConfigDict(frozen=True)

    deadline: Literal["accept", "warn", "resolve", "redispatch_warn", "redispatch", "visit", "decision"]
    unit_code: str
    old: datetime
    new: datetime


class DeadlinesReplanned(_Event):
    """A year's official holiday arrangement was loaded and changed what counts as a working day: the
    deadlines still ahead are re-planned (`moves`: only those that changed), and `provisional` says
    whether the running deadlines still count a year without an official arrangement. Deadlines that
    had passed and breaches already recorded stay as they were."""

    type: Literal["DeadlinesReplanned"] = "DeadlinesReplanned"
    year: int
    sequence: int  # the arrangement's version in the `calendar` stream
    source: str
    moves: list[DeadlineMove]
    provisional: bool
    reason: str


class UnitEvaluated(_Event):
    """One unit's record on this petition, appended when it closes (step 5, 考评)."""

    type: Literal["UnitEvaluated"] = "UnitEvaluated"
    record: UnitRecord
    close_outcome: CloseOutcome
    category: str
    channel: Channel


Event = Annotated[
    PetitionReported | WorkOrderAssigned | WorkOrderAccepted | WorkOrderReturned | WorkOrderDelivered
    | ReturnAllowed | PetitionRedispatched
    | PetitionEscalated | ExtensionRequested | ExtensionRequestLapsed | ExtensionDecided | PauseRequested | PauseDenied
    | ClockPaused | ClockResumed | ProgressNoted | PetitionResolved | PetitionUrged | DeadlineWarned
    | DeadlineBreached | ReturnVisitRecorded | PetitionReopened | FollowUpReported | PetitionClosed | UnitEvaluated
    | DeadlinesReplanned | IntakeTriaged | CallerLinked | LinkedCallerVisited
    | CompanyCallbackRecorded
    | PetitionMerged | BurstDeclared,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
# other streams share the log (scorecard editions, appeals, property rounds): readers filter on these
PETITION_EVENT_TYPES: tuple[str, ...] = tuple(m.model_fields["type"].default for m in get_args(get_args(Event)[0]))


def event_from(event_type: str, data: dict[str, Any]) -> Event:
    """Rebuild an event from its stored type and data."""
    return _ADAPTER.validate_python({**data, "type": event_type})


def event_data(event: Event) -> dict[str, Any]:
    """The JSON-ready body of an event, without its type (stored in its own column)."""
    return event.model_dump(mode="json", exclude={"type"})
