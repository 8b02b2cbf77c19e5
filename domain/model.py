"""The petition's state as folded from its events, and the value objects it is made of."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.enums import (
    Channel,
    CloseOutcome,
    Level,
    PauseReason,
    RequestType,
    Resolution,
    Role,
    Status,
    TriageOutcome,
    UnitKind,
    Urgency,
    VisitChannel,
    VisitOutcome,
)
from domain.policy import Rules, Span


class Actor(BaseModel):
    """Who issued a command: a person in a unit with a role (or the system's own timers)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    unit_code: str = Field(max_length=64)
    role: Role


SYSTEM_ACTOR = Actor(id="system", name="jiehu 计时器", unit_code="", role=Role.SYSTEM)


class Rung(BaseModel):
    """One step of a petition's ladder: the unit that handles it there and who oversees that unit."""

    model_config = ConfigDict(frozen=True)

    level: Level
    unit_code: str
    unit_name: str
    overseer_code: str
    # 物业110 (issue 14 §3): `property_company` on a property company's rung (its own deadlines, `Rules.accept_on`,
    # `resolve_on`); None on every other rung and in ladders recorded before it existed
    kind: UnitKind | None = None

    @property
    def task_queue(self) -> str | None:
        """District departments receive work only through their own task queue."""
        return f"dept-{self.unit_code}" if self.level is Level.DEPARTMENT else None


class Assignment(BaseModel):
    """The current work order: which rung holds it and its deadlines."""

    rung_index: int
    rung: Rung
    assigned_at: datetime
    accept_due: datetime
    warn_at: datetime
    resolve_due: datetime
    accepted_at: datetime | None = None
    warned: bool = False
    accept_breached: bool = False
    resolve_breached: bool = False
    provisional: bool = False  # a due date counts a year without an official holiday arrangement
    final: bool = False  # 终审: sent back to the unit that returned it; no second return without a supervisor


class RedispatchClock(BaseModel):
    """A returned order waiting for the dispatch desk (退单待重新分办), with its own deadline."""

    desk_code: str
    since: datetime
    warn_at: datetime
    due: datetime
    warned: bool = False
    breached: bool = False
    provisional: bool = False


class PendingExtension(BaseModel):
    """An extension request waiting for the rung above: the span asked, why, by whom and when."""

    span: Span
    reason: str
    requested_by: Actor
    requested_at: datetime
    # rules with a decision deadline: the unit's resolve clock is held (working time left on it) until
    # the rung above decides by `decide_due`
    decide_due: datetime | None = None
    resolve_left: float | None = None
    warn_left: float | None = None
    decision_breached: bool = False


class LapsedRequest(BaseModel):
    """An extension request that ended without a decision, and why: a late decider is told."""

    unit_code: str
    requested_at: datetime
    lapsed_at: datetime
    reason: str


class PendingPause(BaseModel):
    """A pause request waiting for the rung above."""

    reason_kind: PauseReason
    reason: str
    requested_by: Actor


class PausedClock(BaseModel):
    """Working time left on each deadline when the clock was paused."""

    status_before: Status
    since: datetime
    accept_left: float | None
    warn_left: float
    resolve_left: float


class ResolutionRecord(BaseModel):
    """How and by which unit (its rung on the ladder) the petition was last resolved, and whether in time."""

    kind: Resolution
    result: str
    evidence_urls: list[str]
    unit_code: str
    rung_index: int
    resolved_at: datetime
    in_time: bool
    on_the_spot: bool = False


class UnitRecord(BaseModel):
    """What one unit did with this petition; the basis of its evaluation (`docs/evaluation.md`).

    Mostly what it did while it held the petition (`received` > 0). Two parts are a unit's without
    holding it (issue 11 §3, §4): the dispatch desk's time with returned orders and its missed
    re-dispatch deadlines, and the approver's late extension decisions. A desk or approver that never
    held the petition has a record with `received` == 0, and with `level` None when it is no rung of
    the ladder (a district's dispatch desk) and `unit_name` its code (events name only the code)."""

    unit_code: str
    unit_name: str
    level: Level | None
    received: int = 0
    accepted: int = 0
    accepted_in_time: int = 0
    accept_breaches: int = 0
    resolve_breaches: int = 0
    returns: int = 0
    escalations_requested: int = 0
    escalations_by_deadline: int = 0
    extensions_requested: int = 0
    extensions_granted: int = 0
    urges: int = 0
    resolved: int = 0
    resolved_in_time: int = 0
    reopens: int = 0
    first_assigned_at: datetime | None = None
    seconds_to_accept: float | None = None
    seconds_to_resolve: float | None = None
    visit_outcome: VisitOutcome | None = None
    # how the final return visit reached the resident (None: not visited, or evaluated before it existed)
    visit_channel: VisitChannel | None = None
    # the dispatch desk's part (defaults: records evaluated before it existed still decode)
    returns_held: int = 0  # returned orders it held until it re-dispatched them or the petition closed
    seconds_holding_returns: float | None = None  # elapsed seconds those orders waited for it (None: held none)
    redispatch_breaches: int = 0  # re-dispatch deadlines (退单待重新分办) it missed
    # the approver's part: extension requests of the rung below whose decision deadline it let pass
    decision_breaches: int = 0
    # 就地解决 (issue 14 §1): resolved by the grid worker in the step that reported it
    resolved_on_the_spot: int = 0


class LinkedCaller(BaseModel):
    """Another caller about the same matter, linked to the petition (接诉即办 Art. 11), return-visited too."""

    caller: int
    caller_name: str = ""
    caller_phone: str = ""
    anonymous: bool = False
    confidential: bool = False  # 工单保密: shown as a confidential reporter is (issue 14 trial)
    linked_at: datetime
    visit_outcome: VisitOutcome | None = None
    # issue 14 §5: the reporter of a petition merged into this one, or a report that joined its burst (with
    # the words it said); a linked reporter without a phone (a grid worker's own report) has nobody to call
    merged_from: str = ""
    burst: bool = False
    description: str = ""

    @property
    def callable(self) -> bool:
        """Whether there is somebody to call back: not anonymous, and a phone to call."""
        return not self.anonymous and bool(self.caller_phone)


# --- issue 14 §5: duplicates and bursts ---------------------------------------------------------
class Burst(BaseModel):
    """A burst declared on a petition (issue 14 §5; the rule: `domain/duplicates.py`): reports of its category
    in `grid_codes` or within `radius_m` metres of (`latitude`, `longitude`), arriving until `until` (and
    mentioning one of `keywords`, if any), join it as further reporters."""

    model_config = ConfigDict(frozen=True)

    declared_at: datetime
    until: datetime
    grid_codes: list[str]
    radius_m: float
    latitude: float | None = None
    longitude: float | None = None
    keywords: list[str] = []
    reason: str
    declared_by: Actor


class PetitionState(BaseModel):
    """Everything the decider needs to know about one petition."""

    id: str
    version: int = 0
    reported: bool = False
    category: str = ""
    description: str = ""
    address: str = ""
    grid_code: str = ""
    channel: Channel = Channel.GRID_WORKER
    urgency: Urgency = Urgency.NORMAL
    reporter_name: str = ""
    reporter_phone: str = ""
    confidential: bool = False
    public_summary: str = ""
    latitude: float | None = None
    longitude: float | None = None
    media_urls: list[str] = []
    reported_at: datetime | None = None
    reported_by: Actor | None = None
    policy_name: str = ""
    desk_code: str = ""
    tracks_delivery: bool = False
    rules: Rules | None = None
    ladder: list[Rung] = []
    status: Status = Status.DISPATCHED
    assignment: Assignment | None = None
    redispatch: RedispatchClock | None = None
    # working seconds of its resolve clock each unit used before it returned the order (rules that
    # keep the clock across returns), and the units that returned it
    clock_used: dict[str, float] = {}
    returned_by: list[str] = []
    delivery_pending_since: datetime | None = None  # a department's order not yet taken off its queue
    pending_extension: PendingExtension | None = None
    lapsed_extension: LapsedRequest | None = None
    extensions_granted: int = 0
    pending_pause: PendingPause | None = None
    paused: PausedClock | None = None
    resolution: ResolutionRecord | None = None
    visit_due: datetime | None = None
    visit_due_provisional: bool = False
    visit_attempts: int = 0
    last_visit: VisitOutcome | None = None
    last_visit_at: datetime | None = None
    last_visit_channel: VisitChannel | None = None
    survey_due: datetime | None = None  # the SMS survey's window closes (None: no survey for this resolution)
    reopens: int = 0
    follows: str = ""  # the closed petition this one follows (结案后再诉)
    reopened_after_close: int = 0  # 结案后重办 (counted in `reopens` too)
    contact_name: str = ""  # who called again about it when it was reopened after closing
    contact_phone: str = ""
    urges: int = 0
    escalations: int = 0
    returns: int = 0
    closed_at: datetime | None = None
    close_outcome: CloseOutcome | None = None
    duplicate_of: str = ""  # closed as a duplicate of this petition
    units: dict[str, UnitRecord] = {}
    # issue 14 §2: the request type, a caller who stayed anonymous, the triage at intake and its reason,
    # other callers linked to it (the same matter), and whether the reporter's own return visit is done
    request_type: RequestType | None = None
    anonymous: bool = False
    triage: TriageOutcome | None = None
    triage_reason: str = ""
    linked_callers: list[LinkedCaller] = []
    reporter_visited: bool = False
    # issue 14 §4: the visit team (民意"5"来听) that collected it on a visit day, '' for none
    visit_team: str = ""
    # issue 14 §3 (物业110): the compound (小区) the call was about ('' for none); the company's customer
    # service callback (客服回访) of its own resolution: the last outcome and when (None: no callback yet)
    compound: str = ""
    company_callback: VisitOutcome | None = None
    company_callback_at: datetime | None = None
    # issue 14 §5: the petition this one was merged into (closed as its duplicate), a burst declared on it
    merged_into: str = ""
    burst: Burst | None = None
    # when its last event happened (its version's time): what the read model's updated_at says
    updated_at: datetime | None = None

    @property
    def rung(self) -> Rung | None:
        """The rung that holds the petition now (None before its report)."""
        return self.assignment.rung if self.assignment else None

    @property
    def at_top(self) -> bool:
        """Whether the holding rung is the last of the ladder (nothing to escalate to)."""
        return self.assignment is not None and self.assignment.rung_index >= len(self.ladder) - 1

    @property
    def open(self) -> bool:
        """Whether the petition was reported and is not closed."""
        return self.reported and self.status is not Status.CLOSED
