"""evolve(state, event) -> state: the one fold used by the workflow, the projections and replays."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatch

from domain import events as ev
from domain.enums import Status, VisitOutcome
from domain.model import (
    Assignment,
    LapsedRequest,
    LinkedCaller,
    PausedClock,
    PendingExtension,
    PendingPause,
    PetitionState,
    RedispatchClock,
    ResolutionRecord,
    UnitRecord,
)


def evolve(state: PetitionState, event: ev.Event) -> PetitionState:
    """Apply one event to a copy of the state and return it (the input is not changed)."""
    new = _copy_for_change(state)
    _apply(event, new)
    new.version += 1
    new.updated_at = event.at
    return new


def _copy_for_change(state: PetitionState) -> PetitionState:
    """A copy deep only where `_apply` mutates in place (the assignment and the unit records);
    everything else is replaced, never mutated. A full deep copy made folding 15x slower."""
    new = state.model_copy()
    if state.assignment is not None:
        new.assignment = state.assignment.model_copy()
    new.units = {code: record.model_copy() for code, record in state.units.items()}
    return new


def fold(state: PetitionState, events: Iterable[ev.Event]) -> PetitionState:
    """The state after applying `events` to `state` in order (`evolve` each); the workflow, the projections, the
    what-if and the tests fold alike."""
    for event in events:
        state = evolve(state, event)
    return state


def _unit(state: PetitionState) -> UnitRecord:
    """The record of the unit holding the petition."""
    assert state.assignment is not None
    rung = state.assignment.rung
    record = state.units.get(rung.unit_code)
    if record is None:
        record = state.units[rung.unit_code] = UnitRecord(unit_code=rung.unit_code, unit_name=rung.unit_name,
                                                          level=rung.level)
    elif record.level is None:  # begun as a desk or approver off the ladder; now it holds the petition
        record.unit_name, record.level = rung.unit_name, rung.level
    return record


def _record_of(state: PetitionState, code: str) -> UnitRecord:
    """The record of a unit that may not hold the petition (a dispatch desk, an approver): named and
    levelled from the ladder when it is a rung of it, else by its code alone (events carry no more)."""
    record = state.units.get(code)
    if record is None:
        rung = next((r for r in state.ladder if r.unit_code == code), None)
        record = state.units[code] = UnitRecord(unit_code=code, unit_name=rung.unit_name if rung else code,
                                                level=rung.level if rung else None)
    return record


def _end_hold(state: PetitionState, at: datetime) -> None:
    """A returned order leaves the dispatch desk (re-dispatched, or the petition closed): the time it
    waited there is the desk's (issue 11 §3). Only orders with a re-dispatch clock name their desk."""
    clock = state.redispatch
    if clock is None or not clock.desk_code:
        return
    desk = _record_of(state, clock.desk_code)
    desk.returns_held += 1
    desk.seconds_holding_returns = (desk.seconds_holding_returns or 0.0) + (at - clock.since).total_seconds()


@singledispatch
def _apply(event: object, state: PetitionState) -> None:
    raise TypeError(f"no evolve rule for {type(event).__name__}")


@_apply.register
def _(e: ev.PetitionReported, s: PetitionState) -> None:
    s.reported = True
    s.category, s.description, s.address, s.grid_code = e.category, e.description, e.address, e.grid_code
    s.channel, s.urgency = e.channel, e.urgency
    s.reporter_name, s.reporter_phone = e.reporter_name, e.reporter_phone
    s.confidential, s.public_summary = e.confidential, e.public_summary
    s.reported_at, s.reported_by = e.at, e.actor
    s.policy_name, s.rules, s.ladder = e.policy_name, e.rules, list(e.ladder)
    s.desk_code, s.tracks_delivery = e.desk_code, e.tracks_delivery
    s.latitude, s.longitude, s.media_urls = e.latitude, e.longitude, list(e.media_urls)
    s.request_type, s.anonymous = e.request_type, e.anonymous
    s.visit_team = e.visit_team
    s.compound = e.compound


@_apply.register
def _(e: ev.WorkOrderAssigned, s: PetitionState) -> None:
    s.assignment = Assignment(
        rung_index=e.rung_index, rung=e.rung, assigned_at=e.at, final=e.final,
        accept_due=e.accept_due, warn_at=e.warn_at, resolve_due=e.resolve_due, provisional=e.provisional,
    )
    s.status = Status.DISPATCHED
    _end_hold(s, e.at)
    s.pending_extension = s.pending_pause = s.paused = s.redispatch = None
    # a department's order waits on its task queue until WorkOrderDelivered (if this petition tracks it)
    s.delivery_pending_since = e.at if s.tracks_delivery and e.rung.task_queue is not None else None
    unit = _unit(s)
    unit.received += 1
    if unit.first_assigned_at is None:
        unit.first_assigned_at = e.at


@_apply.register
def _(e: ev.WorkOrderAccepted, s: PetitionState) -> None:
    assert s.assignment is not None
    s.assignment.accepted_at = e.at
    s.status = Status.ACCEPTED
    unit = _unit(s)
    unit.accepted += 1
    unit.accepted_in_time += int(e.in_time)
    if unit.seconds_to_accept is None and unit.first_assigned_at is not None:
        unit.seconds_to_accept = (e.at - unit.first_assigned_at).total_seconds()


@_apply.register
def _(e: ev.WorkOrderReturned, s: PetitionState) -> None:
    _unit(s).returns += 1
    s.returns += 1
    s.status = Status.RETURNED
    s.pending_extension = s.pending_pause = None
    s.returned_by = [*s.returned_by, e.unit_code] if e.unit_code not in s.returned_by else s.returned_by
    if e.clock_used is not None:
        s.clock_used = {**s.clock_used, e.unit_code: e.clock_used}
    s.delivery_pending_since = None
    if e.redispatch_due is not None and e.redispatch_warn_at is not None:
        s.redispatch = RedispatchClock(desk_code=e.desk_code, since=e.at, warn_at=e.redispatch_warn_at,
                                       due=e.redispatch_due, provisional=e.provisional)


@_apply.register
def _(e: ev.ReturnAllowed, s: PetitionState) -> None:
    assert s.assignment is not None
    s.assignment.final = False


@_apply.register
def _(e: ev.WorkOrderDelivered, s: PetitionState) -> None:
    s.delivery_pending_since = None


@_apply.register
def _(e: ev.PetitionRedispatched, s: PetitionState) -> None:
    s.ladder = list(e.ladder)
    if e.desk_code:
        s.desk_code = e.desk_code


@_apply.register
def _(e: ev.PetitionEscalated, s: PetitionState) -> None:
    unit = _unit(s)
    if e.by_deadline:
        unit.escalations_by_deadline += 1
    else:
        unit.escalations_requested += 1
    s.escalations += 1


@_apply.register
def _(e: ev.ExtensionRequested, s: PetitionState) -> None:
    _unit(s).extensions_requested += 1
    s.pending_extension = PendingExtension(span=e.span, reason=e.reason, requested_by=e.actor, requested_at=e.at,
                                           decide_due=e.decide_due, resolve_left=e.resolve_left,
                                           warn_left=e.warn_left)
    s.lapsed_extension = None


@_apply.register
def _(e: ev.ExtensionRequestLapsed, s: PetitionState) -> None:
    s.pending_extension = None
    s.lapsed_extension = LapsedRequest(unit_code=e.unit_code, requested_at=e.requested_at, lapsed_at=e.at,
                                       reason=e.reason)


@_apply.register
def _(e: ev.ExtensionDecided, s: PetitionState) -> None:
    assert s.assignment is not None
    s.pending_extension = None
    if e.approved:
        _unit(s).extensions_granted += 1
        s.extensions_granted += 1
    if e.approved or e.held:  # a held clock restarts with the deadlines the decision computed
        s.assignment.resolve_due, s.assignment.warn_at = e.resolve_due, e.warn_at
        s.assignment.provisional = e.provisional
        s.assignment.warned = e.warn_at <= e.at and s.assignment.warned


@_apply.register
def _(e: ev.PauseRequested, s: PetitionState) -> None:
    s.pending_pause = PendingPause(reason_kind=e.reason_kind, reason=e.reason, requested_by=e.actor)


@_apply.register
def _(e: ev.PauseDenied, s: PetitionState) -> None:
    s.pending_pause = None


@_apply.register
def _(e: ev.ClockPaused, s: PetitionState) -> None:
    s.pending_pause = None
    s.paused = PausedClock(
        status_before=s.status, since=e.at,
        accept_left=e.accept_left, warn_left=e.warn_left, resolve_left=e.resolve_left,
    )
    s.status = Status.PAUSED


@_apply.register
def _(e: ev.ClockResumed, s: PetitionState) -> None:
    assert s.assignment is not None and s.paused is not None
    s.status = s.paused.status_before
    s.paused = None
    s.assignment.accept_due, s.assignment.warn_at, s.assignment.resolve_due = e.accept_due, e.warn_at, e.resolve_due
    s.assignment.provisional = e.provisional


@_apply.register
def _(e: ev.ProgressNoted, s: PetitionState) -> None:
    pass


@_apply.register
def _(e: ev.PetitionResolved, s: PetitionState) -> None:
    assert s.assignment is not None
    unit = _unit(s)
    unit.resolved += 1
    unit.resolved_in_time += int(e.in_time)
    unit.resolved_on_the_spot += int(e.on_the_spot)
    if unit.first_assigned_at is not None:
        unit.seconds_to_resolve = (e.at - unit.first_assigned_at).total_seconds()
    s.resolution = ResolutionRecord(
        kind=e.resolution, result=e.result, evidence_urls=list(e.evidence_urls), unit_code=e.unit_code,
        rung_index=s.assignment.rung_index, resolved_at=e.at, in_time=e.in_time, on_the_spot=e.on_the_spot,
    )
    _visits_start_again(s)
    s.status = Status.RESOLVED
    s.visit_due = e.visit_due
    s.visit_due_provisional = e.provisional
    s.visit_attempts = 0
    s.survey_due = e.survey_due
    s.pending_extension = s.pending_pause = None


@_apply.register
def _(e: ev.PetitionUrged, s: PetitionState) -> None:
    s.urges += 1
    if s.assignment is not None and s.status is not Status.RETURNED:
        _unit(s).urges += 1


@_apply.register
def _(e: ev.DeadlineWarned, s: PetitionState) -> None:
    if e.deadline == "redispatch":
        assert s.redispatch is not None
        s.redispatch = s.redispatch.model_copy(update={"warned": True})
        return
    assert s.assignment is not None
    s.assignment.warned = True


@_apply.register
def _(e: ev.DeadlineBreached, s: PetitionState) -> None:
    if e.deadline == "decision":  # the approver's, on a pending extension request: on its own record
        assert s.pending_extension is not None
        s.pending_extension = s.pending_extension.model_copy(update={"decision_breached": True})
        _record_of(s, e.unit_code).decision_breaches += 1
        return
    if e.deadline == "redispatch":  # the dispatch desk's, not the unit that returned the order
        assert s.redispatch is not None
        s.redispatch = s.redispatch.model_copy(update={"breached": True})
        _record_of(s, e.unit_code).redispatch_breaches += 1
        return
    assert s.assignment is not None
    unit = _unit(s)
    if e.deadline == "accept":
        s.assignment.accept_breached = True
        unit.accept_breaches += 1
    else:
        s.assignment.resolve_breached = True
        unit.resolve_breaches += 1


def _visits_start_again(s: PetitionState) -> None:
    """A new resolution is visited anew: the reporter and every linked caller."""
    s.reporter_visited = False
    if s.linked_callers:
        s.linked_callers = [c.model_copy(update={"visit_outcome": None}) for c in s.linked_callers]


@_apply.register
def _(e: ev.ReturnVisitRecorded, s: PetitionState) -> None:
    s.visit_attempts = e.attempt
    # the reporter's visit is over: satisfied, or unreachable on the last attempt (linked callers may remain)
    s.reporter_visited = e.outcome in (VisitOutcome.SATISFIED, VisitOutcome.BASICALLY_SATISFIED) or (
        e.outcome is VisitOutcome.UNREACHABLE and s.rules is not None and e.attempt >= s.rules.visit_attempts)
    s.last_visit, s.last_visit_at, s.last_visit_channel = e.outcome, e.at, e.channel
    if s.resolution is not None and s.resolution.unit_code in s.units:
        s.units[s.resolution.unit_code].visit_outcome = e.outcome
        s.units[s.resolution.unit_code].visit_channel = e.channel


@_apply.register
def _(e: ev.PetitionReopened, s: PetitionState) -> None:
    s.reopens = e.reopen_count
    if e.unit_code in s.units:
        s.units[e.unit_code].reopens += 1
    s.resolution = None
    s.visit_due = s.survey_due = None
    _visits_start_again(s)
    if e.after_close:  # open again: the next close is a new one, after a new return visit
        s.closed_at = s.close_outcome = s.last_visit = s.last_visit_at = s.last_visit_channel = None
        s.visit_attempts = 0
        s.reopened_after_close += 1
        s.contact_name, s.contact_phone = e.contact_name, e.contact_phone


@_apply.register
def _(e: ev.FollowUpReported, s: PetitionState) -> None:
    s.follows = e.follows


@_apply.register
def _(e: ev.PetitionClosed, s: PetitionState) -> None:
    _end_hold(s, e.at)  # closed while it waited at the desk (e.g. not government responsibility)
    s.status = Status.CLOSED
    s.closed_at = e.at
    s.close_outcome = e.outcome
    s.duplicate_of = e.duplicate_of
    s.last_visit = e.visit_outcome
    if e.visit_outcome is VisitOutcome.NOT_VISITED:
        s.last_visit_channel = None
    s.visit_due = s.survey_due = None
    s.pending_extension = s.pending_pause = s.paused = s.redispatch = None
    s.delivery_pending_since = None


@_apply.register
def _(e: ev.UnitEvaluated, s: PetitionState) -> None:
    pass


@_apply.register
def _(e: ev.IntakeTriaged, s: PetitionState) -> None:
    s.triage, s.triage_reason = e.outcome, e.reason


@_apply.register
def _(e: ev.CallerLinked, s: PetitionState) -> None:
    s.linked_callers = [*s.linked_callers, LinkedCaller(caller=e.caller, caller_name=e.caller_name,
                                                        caller_phone=e.caller_phone, anonymous=e.anonymous,
                                                        confidential=e.confidential,
                                                        linked_at=e.at, merged_from=e.merged_from,
                                                        burst=e.burst, description=e.description)]


@_apply.register
def _(e: ev.LinkedCallerVisited, s: PetitionState) -> None:
    s.linked_callers = [c.model_copy(update={"visit_outcome": e.outcome}) if c.caller == e.caller else c
                        for c in s.linked_callers]


# --- issue 14 §5: duplicates and bursts ---------------------------------------------------------------


@_apply.register
def _(e: ev.PetitionMerged, s: PetitionState) -> None:
    s.merged_into = e.into  # its PetitionClosed (duplicate_of) follows in the same append


@_apply.register
def _(e: ev.BurstDeclared, s: PetitionState) -> None:
    s.burst = e.burst


@_apply.register
def _(e: ev.CompanyCallbackRecorded, s: PetitionState) -> None:
    s.company_callback, s.company_callback_at = e.outcome, e.at


@_apply.register
def _(e: ev.DeadlinesReplanned, s: PetitionState) -> None:
    for move in e.moves:
        if move.deadline == "visit":
            s.visit_due = move.new
        elif move.deadline in ("redispatch_warn", "redispatch"):
            assert s.redispatch is not None
            field = "warn_at" if move.deadline == "redispatch_warn" else "due"
            s.redispatch = s.redispatch.model_copy(update={field: move.new})
        elif move.deadline == "decision":
            assert s.pending_extension is not None
            s.pending_extension = s.pending_extension.model_copy(update={"decide_due": move.new})
        else:
            assert s.assignment is not None
            setattr(s.assignment, {"accept": "accept_due", "warn": "warn_at", "resolve": "resolve_due"}[move.deadline],
                    move.new)
    if s.status is Status.RESOLVED:
        s.visit_due_provisional = e.provisional
    elif s.status is Status.RETURNED and s.redispatch is not None:
        s.redispatch = s.redispatch.model_copy(update={"provisional": e.provisional})
    elif s.assignment is not None:
        s.assignment.provisional = e.provisional
