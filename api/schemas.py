"""Request and response bodies of the REST API."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from api.input_rules import CheckedInput
from domain.commands import MAX_EVIDENCE, MAX_TEXT
from domain.enums import (
    Channel,
    EmergencyLine,
    LegalChannel,
    RequestType,
    TriageOutcome,
    Urgency,
    VisitChannel,
    VisitOutcome,
)
from services.intake_command import LIMITS, MAX_MEDIA


def in_utc(value: datetime) -> datetime:
    """Every time the API serves is UTC, written with `Z` (a naive one is taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


UtcTime = Annotated[datetime, AfterValidator(in_utc)]


# field limits: `services.intake_command.LIMITS`, which every channel reads
class ReportIn(CheckedInput):
    """A resident's problem as a grid worker, hotline agent or visiting cadre reports it.

    `confidential` (工单保密): the reporter is shown only to the roles that call them, and the
    petition never appears in Open311. `public_summary`: what a public Open311 read shows of it, if
    its category is published (otherwise "<category>类诉求"); never the description.

    Where: `grid_code`, or a point (`lat`, `long`, WGS84) that lies in one grid's boundary, or both
    (they must agree). `media_urls`: photos of the problem, kept as evidence."""

    category: str = Field(min_length=1, max_length=LIMITS["category"], examples=["sanitation"])
    description: str = Field(min_length=1, max_length=LIMITS["description"], examples=["小区门口垃圾堆积三天无人清运"])
    grid_code: str | None = Field(default=None, min_length=1, max_length=LIMITS["grid_code"],
                                 examples=["rc-yuehe-taibai-g1"])
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False, examples=[35.4135])
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False, examples=[116.5905])
    media_urls: list[str] = Field(default=[], max_length=MAX_MEDIA, description=(
        "evidence sent with the report: photos and other files, as http(s) links"))
    channel: Channel | None = Field(default=None, description=(
        "how the report arrived follows from the reporter's role (grid worker: grid_worker; dispatcher: hotline; "
        "community, street, department and property staff: staff); another channel the "
        "role uses may be named (a dispatcher: web), any other is refused, open311 and property_hotline always "
        "(only the Open311 endpoint and the 物业110 intake make those)"))
    urgency: Urgency = Urgency.NORMAL
    request_type: RequestType | None = Field(default=None, description="咨询/求助/投诉/举报/建议")
    address: str = Field(default="", max_length=LIMITS["address"])
    reporter_name: str = Field(default="", max_length=LIMITS["reporter_name"])
    reporter_phone: str = Field(default="", max_length=LIMITS["reporter_phone"], examples=["13805371234"])
    confidential: bool = False
    public_summary: str = Field(default="", max_length=LIMITS["public_summary"], examples=["小区门口垃圾清运不及时"])
    resident_sms: bool = Field(default=True, description=(
        "false: the resident asked for no text messages about this petition (no acceptance, survey or closing "
        "SMS; the return visit is a person's); PUT …/resident-notifications changes it later"))
    follows: str | None = Field(default=None, min_length=1, max_length=LIMITS["follows"], description=(
        "结案后再诉: the id of a closed petition (that the caller may see, closed within the policy's reopen "
        "window) this one follows; the unit that resolved it (or held it last) gets a reopen counted"))
    # issue 14 §5
    separate_matter: bool = Field(default=False, description=(
        "the reporter says this is another problem than a burst (突发集中诉求) declared nearby: it is reported on "
        "its own even where a running burst would take it in"))

    @model_validator(mode="after")
    def _somewhere(self) -> ReportIn:
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat: lat and long come together")
        if self.grid_code is None and self.lat is None:
            raise ValueError("grid_code: grid_code, or lat and long inside a grid, is required")
        return self


class OnTheSpotIn(ReportIn):
    """就地解决: a grid worker reports a problem of their own grid and resolves it in the same step. `result`:
    what was done; `evidence_urls`: photos of it (at least one). The petition is return-visited as any
    resolved one, and counts as resolved on the spot in the grid's figures."""

    result: str = Field(min_length=1, max_length=MAX_TEXT, examples=["已当场清理, 垃圾已清运"])
    evidence_urls: list[str] = Field(min_length=1, max_length=MAX_EVIDENCE,
                                     examples=[["https://img.example.cn/after.jpg"]])


class HotlineCallIn(CheckedInput):
    """A call to the 12345 hotline as the agent records it (接诉即办). The caller: `caller_name`,
    `caller_phone`, or `anonymous` (neither is recorded); `confidential` (工单保密). The classification:
    `request_type` (required), `category`, `urgency`. The outcome at intake (`outcome`):

    - `dispatch`: a work order, as any report (where: `grid_code` and/or `lat`/`long`);
    - `answered`: a consultation answered on the call (`answer`), closed at intake;
    - `emergency_handover`: handed over to `emergency_line` 110/119/120 at once;
    - `legal_channel`: referred to `legal_channel` (litigation, arbitration, administrative review, 信访);
    - `outside_duties`: not a duty of government;
    - `same_matter`: the same matter as the open petition `same_as`, no new facts: no new order, the caller is
      linked to it as another reporter (return-visited too) and told its progress.

    Every outcome but `dispatch` needs its `reason`; each is an event on the petition."""

    outcome: TriageOutcome = TriageOutcome.DISPATCH
    request_type: RequestType
    caller_name: str = Field(default="", max_length=LIMITS["reporter_name"])
    caller_phone: str = Field(default="", max_length=LIMITS["reporter_phone"], examples=["13805371234"])
    anonymous: bool = False
    confidential: bool = False
    category: str | None = Field(default=None, min_length=1, max_length=LIMITS["category"], examples=["sanitation"])
    description: str | None = Field(default=None, min_length=1, max_length=LIMITS["description"])
    urgency: Urgency = Urgency.NORMAL
    grid_code: str | None = Field(default=None, min_length=1, max_length=LIMITS["grid_code"])
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address: str = Field(default="", max_length=LIMITS["address"])
    media_urls: list[str] = Field(default=[], max_length=MAX_MEDIA, description="evidence the caller sent (links)")
    public_summary: str = Field(default="", max_length=LIMITS["public_summary"])
    reason: str = Field(default="", max_length=MAX_TEXT, description="why this outcome (all but dispatch)")
    answer: str = Field(default="", max_length=MAX_TEXT, description="answered: what the caller was told")
    emergency_line: EmergencyLine | None = None
    legal_channel: LegalChannel | None = None
    same_as: str | None = Field(default=None, min_length=1, max_length=64,
                                description="same_matter: the open petition the caller is linked to")
    # issue 14 §5
    separate_matter: bool = Field(default=False, description=(
        "the reporter says this is another problem than a burst (突发集中诉求) declared nearby: it is reported on "
        "its own even where a running burst would take it in"))

    @model_validator(mode="after")
    def _complete(self) -> HotlineCallIn:
        if self.anonymous and (self.caller_name or self.caller_phone):
            raise ValueError("anonymous: an anonymous caller's name and phone are not recorded; leave them out")
        if self.outcome is not TriageOutcome.DISPATCH and not self.reason:
            raise ValueError(f"reason: the outcome {self.outcome.value} is recorded with its reason")
        if self.outcome is TriageOutcome.SAME_MATTER:
            if not self.same_as:
                raise ValueError("same_as: the open petition of the same matter is required")
            if not self.anonymous and not self.caller_phone:
                raise ValueError("caller_phone: a linked caller is return-visited (or anonymous: true)")
            return self
        if self.same_as:
            raise ValueError("same_as: only the outcome same_matter names an open petition")
        if not self.category or not self.description:
            raise ValueError("category: category and description are required (all outcomes but same_matter)")
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat: lat and long come together")
        if self.grid_code is None and self.lat is None:
            raise ValueError("grid_code: grid_code, or lat and long inside a grid, is required")
        return self


class LinkedCallerOut(BaseModel):
    """A caller about the same matter linked to the petition (masked like the reporter)."""

    caller: int = Field(description="the linked caller's number, from 1 (linked-caller-visit names it)")
    caller_name: str
    caller_phone: str
    anonymous: bool
    confidential: bool = Field(False, description="工单保密 asked by this caller: masked even for the holding unit")
    linked_at: UtcTime
    visit_outcome: VisitOutcome | None
    merged_from: str = Field("", description="a reporter of the petition merged into this one (合并工单)")
    burst: bool = Field(False, description="a report that joined the burst declared on this petition")
    description: str = Field("", description="a burst report: what its reporter said")


class DispatchIn(CheckedInput):
    """分办/改派: the unit to route the petition to, with a note."""

    unit_code: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=MAX_TEXT)


class DeliveryOut(BaseModel):
    """One work order POSTed to a department's system (`delivery: webhook`), attempt by attempt."""

    delivery_id: str = Field(description="the order's `delivery_id` (X-Jiehu-Delivery), the same on every retry")
    department: str
    attempts: int = Field(description="POSTs so far, the successful one included")
    failures: int = Field(description="attempts the department's system did not take (no answer, not 2xx)")
    first_attempt_at: UtcTime = Field(description="since when jiehu tries to hand it over")
    last_attempt_at: UtcTime
    last_result: Literal["delivered", "refused", "unreachable", "unconfigured"] = Field(
        description="delivered: answered 2xx; refused: another status; unreachable: no answer (refused "
                    "connection, timeout); unconfigured: jiehu lacks the url or the key's secret")
    last_error: str = Field(description="the last failed attempt's error, e.g. `answered HTTP 503` ('' if none)")
    last_failed_at: UtcTime | None
    delivered_at: UtcTime | None = Field(description="when the system took it (answered 2xx); null until then")


class BurstOut(BaseModel):
    """A burst declared on a petition: reports of its category in `grid_codes` or within `radius_m` metres of its
    point, until `until` (and mentioning one of `keywords`, if any), join it instead of starting work orders."""

    declared_at: UtcTime
    until: UtcTime
    grid_codes: list[str]
    radius_m: float
    latitude: float | None
    longitude: float | None
    keywords: list[str]
    reason: str


class PetitionOut(BaseModel):
    """A petition as the caller may see it: state, holder, deadlines (UTC), the reporter masked unless the caller's
    role needs them (README: who may see and do what)."""

    id: str
    version: int
    status: str
    status_label: str
    category: str
    category_label: str = Field(description="the category's name (派单目录), e.g. 环境卫生")
    channel: str
    channel_label: str = Field(description="how it came in, in Chinese, e.g. 网格员上报")
    urgency: str
    urgency_label: str = Field(description="一般 / 紧急 / 特急")
    description: str
    address: str
    grid_code: str
    reporter_name: str
    reporter_phone: str
    confidential: bool = False
    public_summary: str = ""
    latitude: float | None = Field(default=None, description="where the problem is (WGS84), if the report gave it")
    longitude: float | None = None
    media_urls: list[str] = Field(default=[], description="photos sent with the report (evidence)")
    follows: str | None = None  # the closed petition this one follows (结案后再诉)
    request_type: str | None = Field(None, description="咨询/求助/投诉/举报/建议 (null: not classified)")
    request_type_label: str | None = None
    anonymous: bool = Field(False, description="the caller gave no name or phone")
    triage: str | None = Field(None, description="triaged at intake (answered, emergency_handover, legal_channel, "
                                                 "outside_duties): closed without a work order")
    triage_label: str | None = None
    triage_reason: str = ""
    on_the_spot: bool = Field(False, description="就地解决: reported and resolved in one step by the grid worker")
    visit_team: str | None = Field(None, description="the visit team that collected it on a visit day (民意\"5\"来听, "
                                                     "channel visit)")
    linked_callers: list[LinkedCallerOut] = Field([], description="callers about the same matter linked to it "
                                                                  "(接诉即办), each return-visited too")
    # issue 14 §3 (物业110)
    compound: str = Field("", description="物业110: the compound (小区) the call was about ('' for none)")
    company_callback: VisitOutcome | None = Field(None, description="物业110: the last outcome of the property "
                                                                    "company's own callback (客服回访)")
    company_callback_at: UtcTime | None = None
    level: str | None
    level_label: str | None
    unit_code: str | None
    unit_name: str | None
    overseer_code: str | None
    handled_units: list[str]
    deadline_state: str
    deadline_state_label: str
    accept_due: UtcTime | None
    warn_at: UtcTime | None
    resolve_due: UtcTime | None
    visit_due: UtcTime | None
    escalations: int
    returns: int
    reopens: int
    urges: int
    resolution: str | None
    resolution_label: str | None = Field(None, description="what the unit said it achieved, in Chinese")
    close_outcome: str | None
    close_outcome_label: str | None
    visit_outcome: str | None
    visit_outcome_label: str | None = Field(None, description="the last return visit's outcome, in Chinese")
    visit_channel: VisitChannel | None = Field(None, description="how the last return visit reached the resident: "
                                               "phone (电话回访), sms (短信回访), on_site (上门回访)")
    visit_channel_label: str | None = None
    survey_due: UtcTime | None = Field(None, description="resolved with an SMS survey (短信回访): when its window "
                                                         "closes and the visit falls to the return visitors")
    reported_at: UtcTime
    updated_at: UtcTime
    closed_at: UtcTime | None
    reported_by: str = Field(description="subject of the cadre who reported it (我的上报: `mine=true`)")
    desk_code: str = Field(description="the dispatch desk that re-routes it when returned ('' in older petitions)")
    redispatch_due: UtcTime | None = Field(description="returned (退单): when the desk must re-route it")
    next_due: UtcTime | None = Field(description="the next deadline of any kind: accept, resolve, re-dispatch "
                                                  "or return visit; null while no clock runs")
    visit_attempts: int = Field(description="return-visit attempts since it was resolved")
    pending_decision: str | None = Field(description="extension or pause: a request waiting for the rung above "
                                                     "(overseer_code)")
    delivery_pending_since: UtcTime | None = Field(
        description="a department's work order not yet taken off its task queue (no worker or system picked it "
                    "up), since when; null once delivered")
    deadlines_provisional: bool = Field(
        description="the running deadlines count days of a year whose official holiday arrangement is not known "
                    "yet (only the statutory holidays): they may move once it is published")
    duplicate_of: str = Field("", description="closed as a duplicate (重复件): the petition it duplicates")
    duplicates: list[str] = Field([], description="petitions closed as duplicates of this one that the caller may "
                                                  "see (filled on GET /v1/petitions/{id} only)")
    deliveries: list[DeliveryOut] = Field(
        [], description="its work orders POSTed to department systems (webhook), newest first: attempts, the last "
                        "error, since when, when taken (filled on GET /v1/petitions/{id} only)")
    burst: BurstOut | None = Field(None, description="a burst declared on it (突发集中诉求): matching reports join "
                                                     "it as reporters until `until`")


# --- issue 14 §5: duplicates and bursts -------------------------------------------------------------------


class DuplicateCandidateOut(BaseModel):
    """An open petition that looks like the same problem as the report, and why (domain/duplicates.py)."""

    petition_id: str
    status: str
    status_label: str
    reported_at: UtcTime | None
    same_grid: bool
    distance_m: float | None = Field(description="metres between the two points (null unless both have one)")
    text_score: float = Field(description="0..1: how alike the descriptions are (character bigrams, Dice)")


class JoinedBurstOut(BaseModel):
    """The report joined a burst: no new petition; its reporter is linked to the burst's petition."""

    petition_id: str = Field(description="the burst's petition (the answer's `id`)")
    caller: int = Field(description="the reporter's number among its linked callers (linked-caller-visit)")
    reason: str = Field(description="the burst's reason and end, and where the report matched")


class ReportedOut(PetitionOut):
    """An intake answer: the petition made (201), or the burst's petition the report joined (200, `joined_burst`);
    with the open petitions that look like the same problem (`duplicate_candidates`, ranked; those the reporter
    may see only)."""

    duplicate_candidates: list[DuplicateCandidateOut] = Field(
        [], description="open petitions of the same category, grid or nearby, similar text, recent: a dispatcher may "
                        "merge one into another (POST /v1/petitions/{id}/merge)")
    joined_burst: JoinedBurstOut | None = None


class MergeIn(CheckedInput):
    """合并工单: the open petition of the same district this one is merged into (`into`), and why."""

    into: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=MAX_TEXT, examples=["同一垃圾点, 已由JH20261129-3F2A9C01办理"])


class MergeOut(BaseModel):
    """A merge: the merged petition (closed as a duplicate of `into`) and the survivor with its new reporters."""

    merged: PetitionOut
    into: PetitionOut


class EventOut(BaseModel):
    """One event of a petition's stream, its personal data masked as on the petition."""

    position: int
    version: int
    event_id: str
    type: str
    occurred_at: UtcTime
    recorded_at: UtcTime
    data: dict[str, Any]


class UnitOut(BaseModel):
    """A unit of the org tree with its kind and level (and their Chinese labels)."""

    code: str
    name: str
    kind: str
    kind_label: str
    level: str | None
    parent_code: str | None
    district_code: str | None


class CategoryOut(BaseModel):
    """A category (派单目录 entry) with its starting level and department function."""

    code: str
    name: str
    start_level: str
    start_level_label: str
    department_function: str
    property: bool


class HolidayOut(BaseModel):
    """One official holiday of a year's calendar."""

    date: dt.date
    name: str = Field(description="元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节 ('' where the source names none)")


class OfficePeriodOut(BaseModel):
    """One office period of a working day (Beijing time)."""

    start: str = Field(description="local time, HH:MM")
    end: str = Field(description="local time, HH:MM (00:00: midnight at the end of the day)")


class OfficeSeasonOut(BaseModel):
    """One office season of the year (winter, summer) and its periods."""

    name: str = Field(description="e.g. winter, summer")
    label: str = Field(description="e.g. 冬季作息, 夏季作息")
    first_day: dt.date = Field(description="the first day of this year the schedule applies on")
    last_day: dt.date
    periods: list[OfficePeriodOut] = Field(description="the office periods of each working day, in order")


class OfficeHoursOut(BaseModel):
    """The office hours (办公时间) of one year, season by season."""

    seasons: list[OfficeSeasonOut]


class CalendarYearOut(BaseModel):
    """One year of the working-day calendar that every working-day deadline counts on."""

    year: int
    status: Literal["official", "provisional"] = Field(
        description="official: the State Council's arrangement (bridge days, make-up working days); provisional: "
                    "only the statutory holidays of the national rules, deadlines in it may move once it is published")
    status_label: str
    holidays: list[HolidayOut] = Field(description="days off that would otherwise be working days, by date")
    workdays: list[dt.date] = Field(description="make-up working days (调休上班) on a weekend")
    office_hours: OfficeHoursOut | None = Field(
        default=None, description="office hours that `office_hours` durations count in and at whose close a "
                                  "whole working day ends (make-up working days keep their season's hours); "
                                  "null: none are configured, every working day counts whole")
    source: str | None = Field(default=None, description="the notice of an arrangement loaded while jiehu runs "
                                                         "(null: shipped with jiehu, or provisional)")
    loaded_at: UtcTime | None = None
    loaded_by: str | None = Field(default=None, description="who loaded it (name)")
    sequence: int | None = Field(default=None, description="the load's version in the log's `calendar` stream")


class CalendarLoadOut(CalendarYearOut):
    """A year's arrangement after a load: what is in force, and the re-plan of the open petitions."""

    recorded: bool = Field(description="false: the year already had exactly these days; nothing was recorded")
    replan_workflow_id: str = Field(description="the Temporal workflow telling every open petition of it")
