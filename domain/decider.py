"""The rule of each command: `handler(state, command, now, calendar) -> events`. Pure: the caller
supplies the time and calendar.

`domain.catalogue.decide` is the entry point: it finds the command's handler in the catalogue, checks the
roles the catalogue grants it and the petition's stage, and calls the handler here, which checks the
unit (the handling unit, the rung above) and the state. Handlers raise a DomainError subtype when the
command is not allowed and return [] when there is nothing to do. `tick` acts on the timers.
"""

from __future__ import annotations

from datetime import datetime

from domain import commands as cmd
from domain import events as ev
from domain.duplicates import Sketch, burst_match, burst_problem
from domain.enums import (
    Channel,
    Clock,
    CloseOutcome,
    Level,
    RequestType,
    Resolution,
    Status,
    TriageOutcome,
    VisitOutcome,
)
from domain.errors import AlreadyReported, InvalidCommand, InvalidState, NotPermitted
from domain.evolve import evolve
from domain.model import SYSTEM_ACTOR, Actor, Burst, PetitionState, Rung
from domain.policy import Span
from domain.roles import URGING_ANYWHERE
from domain.timers import deadlines_provisional, due_item
from domain.workcalendar import CHINA, WorkCalendar

# A duplicate lives on in the petition it duplicated, and a withdrawn one ended at the resident's own
# wish: a new call about either is a new petition (it may follow the closed one), not a reopen.
# Petitions triaged at intake were never a unit's: a new call about them is a new petition too.
NOT_REOPENABLE = {CloseOutcome.DUPLICATE, CloseOutcome.WITHDRAWN, CloseOutcome.ANSWERED_AT_INTAKE,
                  CloseOutcome.HANDED_OVER, CloseOutcome.REFERRED_TO_LEGAL_CHANNEL}
# how a petition triaged at intake closes (接诉即办 Art. 11); `dispatch` and `same_matter` close nothing
TRIAGE_CLOSES = {
    TriageOutcome.ANSWERED: CloseOutcome.ANSWERED_AT_INTAKE,
    TriageOutcome.EMERGENCY_HANDOVER: CloseOutcome.HANDED_OVER,
    TriageOutcome.LEGAL_CHANNEL: CloseOutcome.REFERRED_TO_LEGAL_CHANNEL,
    TriageOutcome.OUTSIDE_DUTIES: CloseOutcome.NOT_GOVERNMENT_RESPONSIBILITY,
}
SATISFIED = {VisitOutcome.SATISFIED, VisitOutcome.BASICALLY_SATISFIED}


def assign(state: PetitionState, index: int, at: datetime, calendar: WorkCalendar, cause: str,
           ladder: list[Rung] | None = None) -> ev.WorkOrderAssigned:
    """A work order for rung `index` of the ladder, its clocks starting at `at`."""
    rules = state.rules
    assert rules is not None
    rung = (ladder or state.ladder)[index]
    resolve = rules.resolve_on(rung)
    accept = rules.accept_on(rung)
    accept_due = calendar.add(at, accept.seconds, accept.clock)
    resolve_due = calendar.add(at, resolve.seconds, resolve.clock)
    warn_at = calendar.add(at, rules.warning_offset_on(rung).seconds, resolve.clock)
    sent_back = cause == "redispatch" and rung.unit_code in state.returned_by
    used = state.clock_used.get(rung.unit_code, 0.0) if sent_back and rules.return_keeps_clock else 0.0
    if used > 0:  # returning does not buy time: the unit's clock continues where it stood
        left = max(resolve.seconds - used, 0.0)
        resolve_due = calendar.add(at, left, resolve.clock)
        warn_at = max(at, calendar.subtract(resolve_due, resolve.seconds - rules.warning_offset_on(rung).seconds,
                                            resolve.clock))
    accept_due = min(accept_due, resolve_due) if used > 0 else accept_due  # no later than what it must finish
    return ev.WorkOrderAssigned(
        at=at, rung_index=index, rung=rung,
        accept_due=accept_due,
        warn_at=warn_at,
        resolve_due=resolve_due,
        cause=cause,
        final=sent_back and rules.return_final_when_sent_back,
        provisional=calendar.provisional(at, accept_due, accept.clock)
        or calendar.provisional(at, resolve_due, resolve.clock),
    )


# --- who may do what --------------------------------------------------------------------------


def _require_handler(state: PetitionState, actor: Actor) -> Rung:
    """The holding rung, if `actor`'s unit holds the petition. InvalidState (409) while nobody holds it or when
    the unit held it before and it moved on; NotPermitted (403) for a unit that never held it."""
    rung = state.rung
    if rung is None or state.status is Status.RETURNED:
        raise InvalidState("the petition is waiting to be re-dispatched; no unit holds it")
    if actor.unit_code != rung.unit_code:
        held = state.units.get(actor.unit_code)
        if held is not None and held.received:
            # it held the order and lost it a moment ago (escalated, returned, re-dispatched): a conflict of
            # state, told as 409 like any command that lost a race (issue 16 §2), not a refusal of its right
            raise InvalidState(f"the petition has moved on to {rung.unit_code} ({rung.unit_name}); "
                               f"{actor.unit_code} no longer holds it")
        raise NotPermitted(f"only the handling unit {rung.unit_code} ({rung.unit_name}) may do this")
    return rung


def _require_overseer(state: PetitionState, actor: Actor) -> Rung:
    rung = state.rung
    if rung is None:
        raise InvalidState("no unit holds the petition")
    if actor.unit_code != rung.overseer_code:
        raise NotPermitted(f"only the rung above ({rung.overseer_code}) may decide this")
    return rung


def _require_status(state: PetitionState, allowed: set[Status], what: str) -> None:
    if state.status not in allowed:
        allowed_text = ", ".join(sorted(s.value for s in allowed))
        raise InvalidState(f"cannot {what} while the petition is {state.status.value}; it must be {allowed_text}")


# --- commands ---------------------------------------------------------------------------------


def _reported(s: PetitionState, c: cmd.Report, now: datetime) -> ev.PetitionReported:
    """The `PetitionReported` of a command that starts a petition. AlreadyReported if it exists; InvalidCommand
    for an anonymous caller with a name or phone."""
    if s.reported:
        raise AlreadyReported("the petition has already been reported")
    if c.anonymous and (c.reporter_name or c.reporter_phone):
        raise InvalidCommand("an anonymous caller's name and phone are not recorded: leave them out",
                             field="anonymous")
    return ev.PetitionReported(
        at=now, petition_id=c.petition_id, category=c.category, description=c.description,
        address=c.address, grid_code=c.grid_code, channel=c.channel, urgency=c.urgency,
        reporter_name=c.reporter_name, reporter_phone=c.reporter_phone, policy_name=c.policy_name,
        rules=c.rules, ladder=c.ladder, actor=c.actor, desk_code=c.desk_code, tracks_delivery=c.tracks_delivery,
        confidential=c.confidential, public_summary=c.public_summary,
        latitude=c.latitude, longitude=c.longitude, media_urls=c.media_urls,
        request_type=c.request_type, anonymous=c.anonymous, compound=c.compound,
        **({"visit_team": c.visit_team, "visit_round": c.visit_round} if isinstance(c, cmd.ReportVisitMatter) else {}),
    )


def report(s: PetitionState, c: cmd.Report, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """发现上报: the petition's `PetitionReported`, a `FollowUpReported` if it follows a closed one, and the first
    rung's `WorkOrderAssigned` with its deadlines. AlreadyReported if it exists."""
    reported = _reported(s, c, now)
    s = s.model_copy(update={"rules": c.rules, "ladder": c.ladder})
    follows = [ev.FollowUpReported(at=now, follows=c.follows, unit_code=c.follows_unit)] if c.follows else []
    return [reported, *follows, assign(s, 0, now, cal, "report")]


def report_on_the_spot(s: PetitionState, c: cmd.ReportOnTheSpot, now: datetime,
                       cal: WorkCalendar) -> list[ev.Event]:
    """就地解决: the grid worker of the grid reports, accepts and resolves in one step (fixed, in time, with
    evidence); the return visit follows as for any resolution."""
    first = c.ladder[0]
    if first.level is not Level.GRID or first.unit_code != c.grid_code or c.actor.unit_code != c.grid_code:
        raise NotPermitted(f"only a grid worker of grid {c.grid_code} resolves its petitions on the spot")
    return _resolved_at_the_grid(s, c, now, cal)


def _resolved_at_the_grid(s: PetitionState, c: cmd.ReportOnTheSpot | cmd.ReportVisitMatter, now: datetime,
                          cal: WorkCalendar) -> list[ev.Event]:
    """Reported, accepted and resolved (fixed, in time, with `c`'s result and evidence) at the first rung, the
    grid, in one step; the return visit follows as for any resolution."""
    first = c.ladder[0]
    reported = report(s, c, now, cal)
    accepted = ev.WorkOrderAccepted(at=now, unit_code=first.unit_code, in_time=True, actor=c.actor)
    window = c.rules.visit_window
    visit_due = cal.add(now, window.seconds, window.clock)
    resolved = ev.PetitionResolved(
        at=now, unit_code=first.unit_code, resolution=Resolution.FIXED, result=c.result,
        evidence_urls=list(c.evidence_urls), in_time=True, visit_due=visit_due, actor=c.actor,
        provisional=cal.provisional(now, visit_due, window.clock), on_the_spot=True,
    )
    return [*reported, accepted, resolved]


# --- issue 14 §4: 民意"5"来听 visit days ---------------------------------------------------------


def report_visit_matter(s: PetitionState, c: cmd.ReportVisitMatter, now: datetime,
                        cal: WorkCalendar) -> list[ev.Event]:
    """A matter raised to a visit team: channel `visit` only. Resolved on the spot (the ladder starts at the
    grid; `result` and at least one piece of evidence required): reported, accepted and resolved at the grid in
    one step, return-visited as any resolution. Handed on: reported and assigned to its first rung as any
    report. InvalidCommand otherwise."""
    if c.channel is not Channel.VISIT:
        raise InvalidCommand("a visit team's matter comes through the visit channel", field="channel")
    if not c.on_the_spot:
        if c.result or c.evidence_urls:
            raise InvalidCommand("result and evidence belong to a matter resolved on the spot (on_the_spot)",
                                 field="result")
        return report(s, c, now, cal)
    if not c.result.strip() or not c.evidence_urls:
        raise InvalidCommand("a matter resolved on the spot needs what was done (result) and evidence "
                             "(evidence_urls, at least one)", field="evidence_urls" if c.result.strip() else "result")
    first = c.ladder[0]
    if first.level is not Level.GRID or first.unit_code != c.grid_code:
        raise InvalidCommand("a matter resolved on the spot is resolved at its grid (the ladder must start there)")
    return _resolved_at_the_grid(s, c, now, cal)


def report_triaged(s: PetitionState, c: cmd.ReportTriaged, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """A call triaged at intake: reported, the triage recorded with its reason, closed at once (no work order)."""
    outcome = TRIAGE_CLOSES.get(c.triage)
    if outcome is None:
        raise InvalidCommand(f"triage: {c.triage.value} does not close a call at intake (dispatch reports it, "
                             "same_matter links the caller to the open petition)", field="triage")
    if c.triage is TriageOutcome.ANSWERED:
        if c.request_type is not RequestType.CONSULTATION:
            raise InvalidCommand("triage: only a consultation (咨询, request_type consultation) is answered and "
                                 "closed at intake; dispatch the others", field="triage")
        if not c.answer.strip():
            raise InvalidCommand("answer: what the caller was told is required for a consultation answered at "
                                 "intake", field="answer")
    elif c.answer:
        raise InvalidCommand("answer: only a consultation answered at intake has one", field="answer")
    if (c.triage is TriageOutcome.EMERGENCY_HANDOVER) != (c.emergency_line is not None):
        raise InvalidCommand("emergency_line: 110, 119 or 120, given exactly when the call is handed over to one",
                             field="emergency_line")
    if (c.triage is TriageOutcome.LEGAL_CHANNEL) != (c.legal_channel is not None):
        raise InvalidCommand("legal_channel: given exactly when the caller is referred to a legal channel",
                             field="legal_channel")
    reported = _reported(s, c, now)
    triaged = ev.IntakeTriaged(at=now, outcome=c.triage, reason=c.reason, answer=c.answer,
                               emergency_line=c.emergency_line, legal_channel=c.legal_channel, actor=c.actor)
    state = evolve(evolve(s, reported), triaged)
    return [reported, triaged, *close_events(state, now, outcome, VisitOutcome.NOT_VISITED, c.reason, c.actor)]


def link_caller(s: PetitionState, c: cmd.LinkCaller, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """The same matter, no new facts: the caller is linked to this open petition (no new order)."""
    if c.anonymous and (c.caller_name or c.caller_phone):
        raise InvalidCommand("an anonymous caller's name and phone are not recorded: leave them out",
                             field="anonymous")
    if not c.anonymous and not c.caller_phone.strip():
        raise InvalidCommand("caller_phone: a linked caller is return-visited; their phone is required (or "
                             "anonymous: true)", field="caller_phone")
    return [ev.CallerLinked(at=now, caller=len(s.linked_callers) + 1, caller_name=c.caller_name,
                            caller_phone=c.caller_phone, anonymous=c.anonymous, request_type=c.request_type,
                            reason=c.reason, actor=c.actor, confidential=c.confidential)]


def _callers_waiting(s: PetitionState, but: int = 0) -> list[int]:
    """Linked callers still to be return-visited (anonymous ones, and merged or burst reporters who left no
    phone, cannot be called), except `but`."""
    return [c.caller for c in s.linked_callers
            if c.visit_outcome is None and c.callable and c.caller != but]


def visit_linked_caller(s: PetitionState, c: cmd.VisitLinkedCaller, now: datetime,
                        cal: WorkCalendar) -> list[ev.Event]:
    """A linked caller's return visit. The petition closes when the reporter's visit is over and every linked
    caller has been visited (a linked caller's answer is recorded; only the reporter's reopens it)."""
    _require_status(s, {Status.RESOLVED}, "record a linked caller's return visit")
    linked = next((x for x in s.linked_callers if x.caller == c.caller), None)
    if linked is None:
        raise InvalidCommand(f"caller: the petition has no linked caller {c.caller}", field="caller")
    if linked.anonymous:
        raise InvalidState(f"caller {c.caller} stayed anonymous: there is nobody to call")
    if not linked.callable:
        raise InvalidState(f"caller {c.caller} left no phone: there is nobody to call")
    if linked.visit_outcome is not None:
        raise InvalidState(f"caller {c.caller} was visited already ({linked.visit_outcome.label})")
    if c.outcome is VisitOutcome.NOT_VISITED:
        raise InvalidCommand("'not_visited' is recorded by the system when the window closes")
    visited = ev.LinkedCallerVisited(at=now, caller=c.caller, outcome=c.outcome, note=c.note, actor=c.actor)
    if s.reporter_visited and not _callers_waiting(s, but=c.caller):
        assert s.last_visit is not None
        return [visited, *close_events(s, now, _outcome_of(s), s.last_visit, "", c.actor)]
    return [visited]


def company_callback(s: PetitionState, c: cmd.CompanyCallback, now: datetime,
                     cal: WorkCalendar) -> list[ev.Event]:
    """客服回访 (物业110, issue 14 §3): the property company that resolved the petition calls the resident back while
    it waits for its return visit; a later callback replaces the earlier outcome. InvalidState unless resolved
    (awaiting the visit) or when the company may not call (a confidential petition: the company never sees the
    resident's phone; an anonymous caller), NotPermitted for anyone but the company that resolved it,
    InvalidCommand for `not_visited` (the system's)."""
    _require_status(s, {Status.RESOLVED}, "record the company's callback")
    assert s.resolution is not None
    if s.confidential or s.anonymous or not s.reporter_phone:
        raise InvalidState("the resident's phone is not the company's to call (confidential, anonymous or none "
                           "given): the return visitors call them back")
    if c.actor.unit_code != s.resolution.unit_code:
        raise NotPermitted(f"only the company that resolved it ({s.resolution.unit_code}) calls the resident back")
    if c.outcome is VisitOutcome.NOT_VISITED:
        raise InvalidCommand("'not_visited' is recorded by the system when the window closes", field="outcome")
    return [ev.CompanyCallbackRecorded(at=now, unit_code=s.resolution.unit_code, outcome=c.outcome, note=c.note,
                                       actor=c.actor)]


# --- issue 14 §5: duplicates and bursts (the rules: domain/duplicates.py) -----------------------------------


def merged_reporters(s: PetitionState) -> list[cmd.MergedReporter]:
    """Who a merge of `s` carries to the survivor: its reporter, then its linked callers not yet visited."""
    reporter = cmd.MergedReporter(name=s.reporter_name, phone=s.reporter_phone, anonymous=s.anonymous,
                                  request_type=s.request_type, confidential=s.confidential)
    return [reporter, *(cmd.MergedReporter(name=c.caller_name, phone=c.caller_phone, anonymous=c.anonymous,
                                           confidential=c.confidential or s.confidential)
                        for c in s.linked_callers if c.visit_outcome is None)]


def merge_cut_short(s: PetitionState, into: str) -> bool:
    """Whether `s` already holds the reporters of `into` from a merge of `into` into `s` that was cut short (the
    process died between the survivor's half, `absorb_merged`, and the merged one's close): merging `s` into
    `into` now would hand `into` its own reporters back. The way out is to finish that first merge."""
    return any(c.merged_from == into for c in s.linked_callers)


def merge_into(s: PetitionState, c: cmd.MergeInto, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """合并工单: the petition closes as a duplicate of `c.into` (`PetitionMerged`, then the close with its
    `UnitEvaluated`: a duplicate leaves every unit's rates). InvalidCommand when merged into itself; InvalidState
    for a closed one (the catalogue's stage). The survivor's half (`absorb_merged`) is checked by the API."""
    if c.into == s.id:
        raise InvalidCommand("into: a petition cannot be merged into itself", field="into")
    merged = ev.PetitionMerged(at=now, into=c.into, reason=c.reason, reporters=len(merged_reporters(s)),
                               actor=c.actor)
    closing = close(s, cmd.Close(actor=c.actor, outcome=CloseOutcome.DUPLICATE, duplicate_of=c.into,
                                 explanation=f"合并至 {c.into} / merged into {c.into}: {c.reason}"), now, cal)
    return [merged, *closing]


def absorb_merged(s: PetitionState, c: cmd.AbsorbMerged, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """The survivor's half of a merge: each reporter of the merged petition linked as another reporter
    (`CallerLinked` with `merged_from`), return-visited when this one closes. InvalidCommand for itself or a
    petition of another district's desk; InvalidState when that petition was merged into this one already."""
    if c.merged_id == s.id:
        raise InvalidCommand("into: a petition cannot be merged into itself", field="into")
    if c.merged_desk_code != s.desk_code:
        raise InvalidCommand(f"into: a merge stays within one district: {s.id} is {s.desk_code or 'no'} desk's, "
                             f"{c.merged_id} is {c.merged_desk_code or 'no'} desk's (dispatch it first)", field="into")
    if any(x.merged_from == c.merged_id for x in s.linked_callers):
        raise InvalidState(f"petition {c.merged_id} was merged into {s.id} already")
    first = len(s.linked_callers) + 1
    return [ev.CallerLinked(at=now, caller=first + i, caller_name=r.name, caller_phone=r.phone,
                            anonymous=r.anonymous, request_type=r.request_type, reason=c.reason, actor=c.actor,
                            merged_from=c.merged_id, confidential=r.confidential)
            for i, r in enumerate(c.reporters)]


def declare_burst(s: PetitionState, c: cmd.DeclareBurst, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """突发集中诉求: a burst on this open petition (its grid and point unless the command names others).
    InvalidCommand when `until` is not ahead, more than 3 days ahead, or the radius is out of range."""
    if (problem := burst_problem(now, c.until, c.radius_m)) is not None:
        raise InvalidCommand(problem, field=problem.split(":")[0])
    if (c.latitude is None) != (c.longitude is None):
        raise InvalidCommand("latitude and longitude: both or neither", field="latitude")
    point = (c.latitude, c.longitude) if c.latitude is not None else (s.latitude, s.longitude)
    return [ev.BurstDeclared(at=now, burst=Burst(
        declared_at=now, until=c.until, grid_codes=list(dict.fromkeys(c.grid_codes or [s.grid_code])),
        radius_m=c.radius_m, latitude=point[0], longitude=point[1], keywords=list(c.keywords), reason=c.reason,
        declared_by=c.actor))]


def sketch_of(s: PetitionState) -> Sketch:
    """What the duplicate and burst rules read of a petition's state."""
    return Sketch(id=s.id, status=s.status.value, category=s.category, description=s.description,
                  grid_code=s.grid_code, latitude=s.latitude, longitude=s.longitude, reported_at=s.reported_at)


def join_burst(s: PetitionState, c: cmd.JoinBurst, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """A report inside this petition's burst: its reporter linked with what they said (`CallerLinked`, `burst`),
    no new order. InvalidState when no burst is declared or the report falls outside it (`burst_match`: ended,
    another category, outside its grids and radius, none of its keywords); InvalidCommand for an anonymous
    reporter with a name or phone."""
    if s.burst is None:
        raise InvalidState("no burst is declared on this petition")
    report = Sketch(category=c.category, description=c.description, grid_code=c.grid_code, latitude=c.latitude,
                    longitude=c.longitude)
    match = burst_match(s.burst, sketch_of(s), report, now)
    if match is None:
        raise InvalidState("the report falls outside the burst declared on this petition (ended, another "
                           "category or place, or none of its keywords): report it on its own")
    if c.anonymous and (c.reporter_name or c.reporter_phone):
        raise InvalidCommand("an anonymous caller's name and phone are not recorded: leave them out",
                             field="anonymous")
    return [ev.CallerLinked(at=now, caller=len(s.linked_callers) + 1, caller_name=c.reporter_name,
                            caller_phone=c.reporter_phone, anonymous=c.anonymous, request_type=c.request_type,
                            reason=match.describe(), actor=c.actor, burst=True, description=c.description,
                            distance_m=match.distance_m, confidential=c.confidential)]


def dispatch(s: PetitionState, c: cmd.Dispatch, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """分办/改派: the petition starts over on `c.ladder` (a returned order, or one moved from its holder).
    InvalidState unless returned, dispatched or accepted, or when sent to the unit that holds it."""
    _require_status(s, {Status.RETURNED, Status.DISPATCHED, Status.ACCEPTED}, "re-dispatch")
    if s.rung is not None and s.status is not Status.RETURNED and c.ladder[0].unit_code == s.rung.unit_code:
        # a fine command against the petition's state (HTTP 409), not a malformed one
        raise InvalidState(f"the petition is already with {s.rung.unit_name} ({s.rung.unit_code}), "
                           f"{s.status.label}: dispatch it to another unit, or urge the holder to act")
    return [
        *_lapse(s, now, "the dispatcher re-routed the petition / 已改派"),
        ev.PetitionRedispatched(at=now, ladder=c.ladder, note=c.note, actor=c.actor,
                                desk_code=c.desk_code if c.desk_code != s.desk_code else ""),
        assign(s, 0, now, cal, "redispatch", ladder=c.ladder),
    ]


def accept(s: PetitionState, c: cmd.Accept, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """签收 by the holding unit (NotPermitted for another unit; InvalidState unless dispatched), `in_time` if at or
    before its accept deadline."""
    rung = _require_handler(s, c.actor)
    _require_status(s, {Status.DISPATCHED}, "accept")
    assert s.assignment is not None
    return [ev.WorkOrderAccepted(at=now, unit_code=rung.unit_code, in_time=now <= s.assignment.accept_due,
                                 actor=c.actor)]


def return_order(s: PetitionState, c: cmd.Return, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """退单: the holding unit sends a misrouted order back to its dispatch desk within the policy's `return_window`,
    and the desk's re-dispatch deadline starts. InvalidState for a final (终审) order, InvalidCommand after the
    window (Shandong 12345: returned within 2 working days with its reason)."""
    rung = _require_handler(s, c.actor)
    _require_status(s, {Status.DISPATCHED, Status.ACCEPTED}, "return")
    assert s.assignment is not None and s.rules is not None
    if s.assignment.final:
        raise InvalidState(f"终审: the order was sent back to {rung.unit_name} after it returned it; it may not be "
                           "returned again unless a supervisor allows it (allow-return)")
    window = s.rules.return_window
    if now > cal.add(s.assignment.assigned_at, window.seconds, window.clock):
        raise InvalidCommand("the return window has passed: escalate or ask for an extension instead")
    redispatch = s.rules.redispatch
    if redispatch is None:  # rules frozen before re-dispatch deadlines existed
        return [*_lapse(s, now, "the unit returned the order / 已退单"),
                ev.WorkOrderReturned(at=now, unit_code=rung.unit_code, reason=c.reason, actor=c.actor)]
    due = cal.add(now, redispatch.seconds, redispatch.clock)
    used = None
    if s.rules.return_keeps_clock:
        clock = s.rules.resolve_on(rung).clock
        used = s.clock_used.get(rung.unit_code, 0.0) + max(cal.between(s.assignment.assigned_at, now, clock), 0.0)
    return [*_lapse(s, now, "the unit returned the order / 已退单"), ev.WorkOrderReturned(clock_used=used,
        at=now, unit_code=rung.unit_code, reason=c.reason, actor=c.actor, desk_code=s.desk_code,
        redispatch_warn_at=cal.add(now, redispatch.seconds * s.rules.warning_fraction, redispatch.clock),
        redispatch_due=due, provisional=cal.provisional(now, due, redispatch.clock),
    )]


def allow_return(s: PetitionState, c: cmd.AllowReturn, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """A supervisor above the holding unit lifts 终审 so the unit may return the order once more. InvalidState if the
    order is not final; NotPermitted for the holding unit itself."""
    a = s.assignment
    if a is None or s.status not in (Status.DISPATCHED, Status.ACCEPTED) or not a.final:
        raise InvalidState("the order is not final (终审): its unit may return it within the window as it is")
    if c.actor.unit_code == a.rung.unit_code:
        raise NotPermitted("the unit holding the order does not lift its own 终审; the supervisors above it do")
    return [ev.ReturnAllowed(at=now, unit_code=a.rung.unit_code, reason=c.reason, actor=c.actor)]


def confirm_delivery(s: PetitionState, c: cmd.ConfirmDelivery, now: datetime,
                     cal: WorkCalendar) -> list[ev.Event]:
    """Only the delivery of the order that still waits counts; a late confirmation of an order that
    has moved on records nothing."""
    a = s.assignment
    if s.delivery_pending_since is None or a is None or not c.delivery_id.endswith(f"@{a.assigned_at.isoformat()}"):
        return []
    return [ev.WorkOrderDelivered(at=now, unit_code=a.rung.unit_code, delivery_id=c.delivery_id)]


def open_work_order(s: PetitionState, c: cmd.OpenWorkOrder, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """查收: staff of the department holding the order opened it before any system of the department took
    it; the hand-over is theirs. Refused (so that the API's attempt leaves no trace in history) when no
    delivery waits or the order is another unit's."""
    a = s.assignment
    if a is None or s.delivery_pending_since is None:
        raise InvalidState("no work order waits for its hand-over")
    if c.actor.unit_code != a.rung.unit_code:
        raise NotPermitted("only the department holding the order opens it")
    # named as the workflow names the delivery it schedules (`PetitionWorkflow._ensure_delivery`)
    delivery_id = f"{s.id}@{a.assigned_at.isoformat()}"
    return [ev.WorkOrderDelivered(at=now, unit_code=a.rung.unit_code, delivery_id=delivery_id, opened_by=c.actor)]


def escalate(s: PetitionState, c: cmd.Escalate, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """The holding unit moves the petition one rung up (`by_deadline` False). InvalidState at the top of the ladder
    or unless dispatched or accepted."""
    rung = _require_handler(s, c.actor)
    _require_status(s, {Status.DISPATCHED, Status.ACCEPTED}, "escalate")
    return _climb(s, now, cal, reason=c.reason, by_deadline=False, actor=c.actor, from_rung=rung)


def _climb(s: PetitionState, now: datetime, cal: WorkCalendar, *, reason: str, by_deadline: bool,
           actor: Actor, from_rung: Rung) -> list[ev.Event]:
    assert s.assignment is not None
    if s.at_top:
        raise InvalidState(f"{from_rung.unit_name} is the top of the ladder; there is no rung above")
    nxt = s.assignment.rung_index + 1
    return [
        *_lapse(s, now, f"the petition was escalated to the rung above / 已上报: {reason}"),
        ev.PetitionEscalated(at=now, from_unit=from_rung.unit_code, to_unit=s.ladder[nxt].unit_code,
                             reason=reason, by_deadline=by_deadline, actor=actor),
        assign(s, nxt, now, cal, "escalation"),
    ]


def request_extension(s: PetitionState, c: cmd.RequestExtension, now: datetime,
                      cal: WorkCalendar) -> list[ev.Event]:
    """延期申请 by the holding unit, after accepting: at most `max_extensions` granted, each at most `max_extension`
    in its clock. Under rules with a decision deadline the unit's resolve clock is held (seconds left kept) until the
    rung above decides. InvalidCommand / InvalidState naming the limit otherwise."""
    rung = _require_handler(s, c.actor)
    _require_status(s, {Status.ACCEPTED}, "ask for an extension")
    assert s.rules is not None and s.assignment is not None
    if s.pending_extension is not None:
        raise InvalidState("an extension request is already waiting for a decision")
    if s.extensions_granted >= s.rules.max_extensions:
        raise InvalidCommand(f"the policy allows {s.rules.max_extensions} extension(s); none is left")
    limit = s.rules.max_extension
    if c.duration.clock is not limit.clock:  # the clock its rules froze at report (docs/deadline-rules.md)
        raise InvalidCommand(f"duration: this petition's extensions count in {limit.unit} ({limit.clock.label}), "
                             f"not {c.duration.unit} ({c.duration.clock.label}): at most {_describe(limit)}",
                             field="duration")
    if c.duration.seconds > limit.seconds:
        raise InvalidCommand(f"duration: an extension may be at most {_describe(limit)}", field="duration")
    if limit.clock is Clock.WHOLE_WORKING_DAYS and c.duration.seconds % 86_400:
        raise InvalidCommand(f"duration: an extension counts whole working days: at most {_describe(limit)}",
                             field="duration")
    if s.assignment.resolve_breached:
        raise InvalidState("the deadline has already been missed; an extension can no longer be granted")
    window = s.rules.extension_decision
    if window is None:  # rules frozen before decisions had a deadline: the unit's deadline runs on
        return [ev.ExtensionRequested(at=now, unit_code=rung.unit_code, span=c.duration, reason=c.reason,
                                      actor=c.actor)]
    clock = s.rules.resolve_on(rung).clock
    return [ev.ExtensionRequested(
        at=now, unit_code=rung.unit_code, span=c.duration, reason=c.reason, actor=c.actor,
        decide_due=cal.add(now, window.seconds, window.clock),
        resolve_left=cal.between(now, s.assignment.resolve_due, clock),
        warn_left=max(cal.between(now, s.assignment.warn_at, clock), 0.0) if not s.assignment.warned else 0.0,
    )]


def _lapse(s: PetitionState, now: datetime, reason: str) -> list[ev.Event]:
    """The pending extension request ends undecided because the petition moves on (rules that give
    decisions a deadline say so in an event; older rules dropped it silently)."""
    pending = s.pending_extension
    if pending is None or s.rules is None or s.rules.extension_decision is None or s.rung is None:
        return []
    return [ev.ExtensionRequestLapsed(at=now, unit_code=pending.requested_by.unit_code,
                                      requested_at=pending.requested_at, reason=reason)]


def decide_extension(s: PetitionState, c: cmd.DecideExtension, now: datetime,
                     cal: WorkCalendar) -> list[ev.Event]:
    """The rung above approves (the deadline moves by the span asked, the yellow card with it) or refuses the pending
    request; a held clock restarts with what it had left. InvalidState when nothing waits or the request lapsed."""
    pending = s.pending_extension
    lapsed = s.lapsed_extension
    if pending is None and lapsed is not None:
        raise InvalidState(f"the extension request of {lapsed.unit_code} made at {_beijing(lapsed.requested_at)} "
                           f"lapsed at {_beijing(lapsed.lapsed_at)} (Beijing time): {lapsed.reason}")
    rung = _require_overseer(s, c.actor)
    if pending is None:
        raise InvalidState("there is no extension request to decide")
    assert s.assignment is not None and s.rules is not None
    a = s.assignment
    if pending.resolve_left is not None and pending.warn_left is not None:  # the request held the clock
        resolve = s.rules.resolve_on(rung)
        due = cal.add(now, pending.resolve_left, resolve.clock)
        warn = cal.add(now, pending.warn_left, resolve.clock)
        if c.approve:
            due = cal.add(due, pending.span.seconds, pending.span.clock)
            warn = cal.subtract(due, resolve.seconds - s.rules.warning_offset_on(rung).seconds, resolve.clock)
        return [ev.ExtensionDecided(at=now, unit_code=rung.unit_code, approved=c.approve, note=c.note,
                                    warn_at=warn, resolve_due=due, actor=c.actor, held=True,
                                    provisional=cal.provisional(now, due, resolve.clock))]
    due, warn, provisional = a.resolve_due, a.warn_at, a.provisional
    if c.approve:
        span = pending.span
        due = cal.add(a.resolve_due, span.seconds, span.clock)
        resolve = s.rules.resolve_on(rung)
        warn = cal.subtract(due, resolve.seconds - s.rules.warning_offset_on(rung).seconds, resolve.clock)
        provisional = a.provisional or cal.provisional(a.resolve_due, due, span.clock)
    return [ev.ExtensionDecided(at=now, unit_code=rung.unit_code, approved=c.approve, note=c.note,
                                warn_at=warn, resolve_due=due, actor=c.actor, provisional=provisional)]


def pause(s: PetitionState, c: cmd.Pause, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """挂起: from the holding unit a request (with a reason); from the rung above an approval (of the request, or on
    its own authority) that stops every clock and keeps the seconds each had left, or (`approve=False`) a denial.
    InvalidState while an extension request holds the clock."""
    rung = s.rung
    if rung is None:
        raise InvalidState("no unit holds the petition")
    _require_status(s, {Status.DISPATCHED, Status.ACCEPTED}, "pause the clock")
    if s.pending_extension is not None and s.pending_extension.resolve_left is not None:
        raise InvalidState("an extension request holds the clock until the rung above decides it")
    if c.actor.unit_code == rung.unit_code:
        if s.pending_pause is not None:
            raise InvalidState("a pause request is already waiting for the rung above")
        if not c.reason:
            raise InvalidCommand("say why the clock should stop (reason)")
        return [ev.PauseRequested(at=now, reason_kind=c.reason_kind, reason=c.reason, actor=c.actor)]
    _require_overseer(s, c.actor)
    if not c.approve:
        if s.pending_pause is None:
            raise InvalidState("there is no pause request to deny")
        return [ev.PauseDenied(at=now, note=c.reason, actor=c.actor)]
    kind = s.pending_pause.reason_kind if s.pending_pause else c.reason_kind
    reason = c.reason or (s.pending_pause.reason if s.pending_pause else "")
    if not reason:
        raise InvalidCommand("say why the clock should stop (reason)")
    a = s.assignment
    assert a is not None and s.rules is not None
    clock = s.rules.resolve_on(rung).clock
    accept_left = None if a.accepted_at else cal.between(now, a.accept_due, s.rules.accept_on(rung).clock)
    return [ev.ClockPaused(at=now, reason_kind=kind, reason=reason, accept_left=accept_left,
                           warn_left=cal.between(now, a.warn_at, clock),
                           resolve_left=cal.between(now, a.resolve_due, clock), actor=c.actor)]


def resume(s: PetitionState, c: cmd.Resume, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """Restart a paused clock (the holding unit or the rung above): each deadline is now plus the seconds of its own
    clock it had left. InvalidState if not paused, NotPermitted for anyone else."""
    rung = s.rung
    if s.status is not Status.PAUSED or s.paused is None or rung is None or s.assignment is None:
        raise InvalidState("the clock is not paused")
    if c.actor.unit_code not in (rung.unit_code, rung.overseer_code):
        raise NotPermitted("only the handling unit or the rung above may restart the clock")
    assert s.rules is not None
    p, a, clock = s.paused, s.assignment, s.rules.resolve_on(rung).clock
    accept_due = a.accept_due if p.accept_left is None else cal.add(now, p.accept_left, s.rules.accept_on(rung).clock)
    resolve_due = cal.add(now, p.resolve_left, clock)
    provisional = (cal.provisional(now, accept_due, s.rules.accept_on(rung).clock)
                   or cal.provisional(now, resolve_due, clock))
    return [ev.ClockResumed(at=now, accept_due=accept_due, warn_at=cal.add(now, p.warn_left, clock),
                            resolve_due=resolve_due, note=c.note, actor=c.actor, provisional=provisional)]


def note_progress(s: PetitionState, c: cmd.NoteProgress, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """A progress note by the holding unit while the petition is dispatched, accepted or paused."""
    _require_handler(s, c.actor)
    _require_status(s, {Status.DISPATCHED, Status.ACCEPTED, Status.PAUSED}, "note progress")
    return [ev.ProgressNoted(at=now, note=c.note, actor=c.actor)]


def resolve(s: PetitionState, c: cmd.Resolve, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """办结 by the holding unit after accepting: `in_time` if by the resolve deadline (or the clock was held by a
    timely extension request); the return visit window (policy `visit_window`) starts."""
    rung = _require_handler(s, c.actor)
    _require_status(s, {Status.ACCEPTED}, "resolve")
    assert s.assignment is not None and s.rules is not None
    window = s.rules.visit_window
    visit_due = cal.add(now, window.seconds, window.clock)
    pending = s.pending_extension
    held = pending is not None and pending.resolve_left is not None  # asked in time: the clock stood still
    return [*_lapse(s, now, "the unit resolved the petition / 已办结"), ev.PetitionResolved(
        at=now, unit_code=rung.unit_code, resolution=c.resolution, result=c.result,
        evidence_urls=list(c.evidence_urls), in_time=held or now <= s.assignment.resolve_due,
        visit_due=visit_due, actor=c.actor, provisional=cal.provisional(now, visit_due, window.clock),
        survey_due=_survey_due(s, now, visit_due, cal),
    )]


def _survey_due(s: PetitionState, now: datetime, visit_due: datetime, cal: WorkCalendar) -> datetime | None:
    """When the SMS survey's window closes (never after the visit's own): only under rules with a survey
    window, for a resident with a phone, and never for a confidential petition (工单保密: no SMS)."""
    assert s.rules is not None
    window = s.rules.survey_window
    if window is None or s.confidential or not s.reporter_phone.strip():
        return None
    return min(cal.add(now, window.seconds, window.clock), visit_due)


def urge(s: PetitionState, c: cmd.Urge, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """督办/催办 of the holding unit: supervisors and dispatchers anywhere they see, others only as the rung above.
    InvalidState when no unit holds it (returned, resolved, closed)."""
    rung = s.rung
    if rung is None or s.status is Status.RETURNED:
        raise InvalidState("no unit holds the petition to be urged")
    if c.actor.role not in URGING_ANYWHERE and c.actor.unit_code != rung.overseer_code:
        raise NotPermitted("only a supervisor, a dispatcher or the rung above may urge")
    _require_status(s, {Status.DISPATCHED, Status.ACCEPTED, Status.PAUSED}, "urge")
    return [ev.PetitionUrged(at=now, unit_code=rung.unit_code, note=c.note, automatic=False, actor=c.actor)]


def return_visit(s: PetitionState, c: cmd.RecordReturnVisit, now: datetime,
                 cal: WorkCalendar) -> list[ev.Event]:
    """回访: satisfied closes the petition; dissatisfied reopens it to the unit that resolved it until `max_reopens`,
    then closes it as the rules say (`dissatisfied_at_limit`); unreachable closes after `visit_attempts` tries, each
    at least `visit_retry_after` apart. InvalidState unless resolved."""
    _require_status(s, {Status.RESOLVED}, "record a return visit")
    if s.reporter_visited:
        raise InvalidState(f"the reporter's return visit is recorded ({s.last_visit.label if s.last_visit else ''}); "
                           f"linked callers {_callers_waiting(s)} wait for theirs (linked-caller-visit)")
    if c.outcome is VisitOutcome.NOT_VISITED:
        raise InvalidCommand("'not_visited' is recorded by the system when the window closes")
    assert s.rules is not None and s.resolution is not None
    retry = s.rules.visit_retry_after
    if (retry is not None and c.outcome is VisitOutcome.UNREACHABLE and s.last_visit is VisitOutcome.UNREACHABLE
            and s.visit_attempts and s.last_visit_at is not None):
        allowed_at = cal.add(s.last_visit_at, retry.seconds, retry.clock)
        if now < allowed_at:  # a retried request, or tries too close together to count as separate attempts
            raise InvalidState(f"the last attempt to reach the resident was at {_beijing(s.last_visit_at)}; the next "
                               f"may be made from {_beijing(allowed_at)} (Beijing time)")
    attempt = s.visit_attempts + 1
    visit = ev.ReturnVisitRecorded(at=now, outcome=c.outcome, note=c.note, attempt=attempt, actor=c.actor,
                                   channel=c.channel)
    visited = s.model_copy(update={"last_visit_channel": c.channel})  # the channel the closing records name
    if c.outcome in SATISFIED:
        if _callers_waiting(s):  # the linked callers are visited too before it closes
            return [visit]
        return [visit, *close_events(visited, now, _outcome_of(s), c.outcome, "", c.actor)]
    if c.outcome is VisitOutcome.DISSATISFIED:
        # the limit counts the resident's dissatisfied visits; reopens after close count too only under
        # rules frozen before `after_close_counts_to_limit` (docs/deadline-rules.md, "Closed petitions")
        counted = s.reopens if s.rules.after_close_counts_to_limit else s.reopens - s.reopened_after_close
        if counted < s.rules.max_reopens:
            index = s.resolution.rung_index
            return [visit,
                    ev.PetitionReopened(at=now, unit_code=s.resolution.unit_code, reopen_count=s.reopens + 1,
                                        note=c.note),
                    assign(s, index, now, cal, "reopen")]
        if s.rules.dissatisfied_at_limit == "not_resolved":
            return [visit, *close_events(visited, now, CloseOutcome.CLOSED_NOT_RESOLVED, c.outcome,
                                         f"已达重办上限({s.rules.max_reopens}次), 群众仍不满意, 未解决办结", c.actor)]
        # rules frozen before `dissatisfied_at_limit`: they keep closing as they did
        return [visit, *close_events(visited, now, _outcome_of(s), c.outcome,
                                     "reopen limit reached; resident still dissatisfied", c.actor)]
    if attempt >= s.rules.visit_attempts:
        if _callers_waiting(s):
            return [visit]
        return [visit, *close_events(visited, now, _outcome_of(s), c.outcome,
                                     f"{attempt}次回访均未联系上群众, 回访结束 / resident unreachable after "
                                     f"{attempt} attempt(s)", c.actor)]
    return [visit]


def close(s: PetitionState, c: cmd.Close, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """结案 with an explicit outcome: `resolved` only for a petition resolved as fixed; any other outcome needs an
    explanation; `duplicate_of` only (and never itself) when closing as a duplicate. Every unit with a record gets
    its `UnitEvaluated`."""
    if c.outcome is CloseOutcome.RESOLVED:
        if s.status is not Status.RESOLVED or (s.resolution and s.resolution.kind is not Resolution.FIXED):
            raise InvalidState("only a petition resolved as fixed can be closed as resolved")
    elif not c.explanation.strip():
        raise InvalidCommand(f"closing as {c.outcome.value} needs an explanation")
    if c.duplicate_of and c.outcome is not CloseOutcome.DUPLICATE:
        raise InvalidCommand("duplicate_of names the original only when closing as duplicate")
    if c.duplicate_of == s.id:
        raise InvalidCommand("a petition cannot be a duplicate of itself")
    visit = s.last_visit if s.status is Status.RESOLVED and s.last_visit else VisitOutcome.NOT_VISITED
    return [*_lapse(s, now, "the petition was closed / 已结案"),
            *close_events(s, now, c.outcome, visit, c.explanation, c.actor, duplicate_of=c.duplicate_of)]


def reopen_closed(s: PetitionState, c: cmd.ReopenClosed, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """结案后重办: back to the unit that resolved it (or, closed without a resolution, the rung that held
    it last) with fresh clocks; it is return-visited again once resolved."""
    if s.status is not Status.CLOSED or s.closed_at is None:
        raise InvalidState("the petition is not closed; reopening after close is for closed petitions")
    assert s.rules is not None
    window = s.rules.reopen_after_close
    if window is None:
        raise InvalidState("the rules this petition was reported under do not allow reopening it after it closed; "
                           "report a new petition that follows it")
    if s.close_outcome in NOT_REOPENABLE or s.assignment is None:  # (no order: triaged at intake)
        outcome = s.close_outcome.value if s.close_outcome else ""
        raise InvalidState(f"a petition closed as {outcome} is not reopened; report a new petition that follows it")
    until = cal.add(s.closed_at, window.seconds, window.clock)
    if now > until:
        raise InvalidState(f"the petition closed at {_beijing(s.closed_at)}; it could be reopened until "
                           f"{_beijing(until)} (Beijing time). Report a new petition that follows it")
    if s.resolution is not None:
        index, unit_code = s.resolution.rung_index, s.resolution.unit_code
    else:
        assert s.assignment is not None
        index, unit_code = s.assignment.rung_index, s.assignment.rung.unit_code
    return [ev.PetitionReopened(at=now, unit_code=unit_code, reopen_count=s.reopens + 1, note=c.reason,
                                after_close=True, reason=c.reason, contact_name=c.contact_name,
                                contact_phone=c.contact_phone, actor=c.actor),
            assign(s, index, now, cal, "reopen")]


def _outcome_of(s: PetitionState) -> CloseOutcome:
    fixed = s.resolution is not None and s.resolution.kind is Resolution.FIXED
    return CloseOutcome.RESOLVED if fixed else CloseOutcome.CLOSED_WITHOUT_FIX


def close_events(s: PetitionState, now: datetime, outcome: CloseOutcome, visit: VisitOutcome,
                 explanation: str, actor: Actor, duplicate_of: str = "") -> list[ev.Event]:
    """The petition closes and every unit with a record on it gets its evaluation: each unit that held
    it, and a dispatch desk or an approver with a part of their own (`UnitRecord`). The records are
    read after the close, which ends a returned order's wait at the desk."""
    closed = ev.PetitionClosed(at=now, outcome=outcome, visit_outcome=visit, explanation=explanation, actor=actor,
                               duplicate_of=duplicate_of)
    records = []
    channel = None if visit is VisitOutcome.NOT_VISITED else s.last_visit_channel
    for record in evolve(s, closed).units.values():
        if s.resolution is not None and record.unit_code == s.resolution.unit_code:
            record = record.model_copy(update={"visit_outcome": visit, "visit_channel": channel})
        records.append(ev.UnitEvaluated(at=now, record=record, close_outcome=outcome, category=s.category,
                                        channel=s.channel))
    return [closed, *records]


def replan_deadlines(s: PetitionState, c: cmd.ReplanDeadlines, now: datetime,
                     cal: WorkCalendar) -> list[ev.Event]:
    """Re-plan the deadlines still ahead under the newly loaded arrangement, the way SLA engines repair
    SLAs: each keeps its place among the working days ahead of it, counted from today
    (`WorkCalendar.same_place`: due on the 3rd working day from now at 16:00, it is due on the new
    calendar's 3rd working day at 16:00; a natural clock never moves). A deadline already passed, or
    already warned of or breached, stays as it was; so does a paused clock (it holds time left, not
    instants). Returns [] when nothing moves and nothing stops being provisional."""
    arrangement = c.arrangement
    new = cal.with_years({arrangement.year: arrangement.rules()})
    rules = s.rules
    assert rules is not None
    moves: list[ev.DeadlineMove] = []

    def moved(kind: str, unit_code: str, due: datetime, clock: Clock) -> datetime:
        if due <= now or clock is Clock.NATURAL:
            return due
        after = cal.same_place(new, now, due)
        if after == due:  # the changed days lie elsewhere
            return due
        moves.append(ev.DeadlineMove(deadline=kind, unit_code=unit_code, old=due, new=after))
        return after

    provisional = False
    if s.status is Status.RESOLVED and s.visit_due is not None:
        due = moved("visit", s.desk_code, s.visit_due, rules.visit_window.clock)
        provisional = new.provisional(now, due, rules.visit_window.clock)
    elif s.status is Status.RETURNED and s.redispatch is not None and not s.redispatch.breached \
            and rules.redispatch is not None:
        clock, r = rules.redispatch.clock, s.redispatch
        if not r.warned:
            moved("redispatch_warn", r.desk_code, r.warn_at, clock)
        due = moved("redispatch", r.desk_code, r.due, clock)
        provisional = new.provisional(now, due, clock)
    elif s.status in (Status.DISPATCHED, Status.ACCEPTED) and s.assignment is not None:
        a, pending = s.assignment, s.pending_extension
        if pending is not None and pending.resolve_left is not None:  # held: only the approver's clock runs
            if pending.decide_due is not None and not pending.decision_breached and rules.extension_decision:
                clock = rules.extension_decision.clock
                due = moved("decision", a.rung.overseer_code, pending.decide_due, clock)
                provisional = new.provisional(now, due, clock)
        else:
            resolve = rules.resolve_on(a.rung).clock
            accept_due = a.accept_due
            if a.accepted_at is None and not a.accept_breached:
                accept_due = moved("accept", a.rung.unit_code, a.accept_due, rules.accept_on(a.rung).clock)
            if not a.warned and not a.resolve_breached:
                moved("warn", a.rung.unit_code, a.warn_at, resolve)
            resolve_due = a.resolve_due if a.resolve_breached else moved("resolve", a.rung.unit_code,
                                                                         a.resolve_due, resolve)
            accept_clock = rules.accept_on(a.rung).clock
            provisional = (a.accepted_at is None and new.provisional(now, accept_due, accept_clock)) \
                or new.provisional(now, resolve_due, resolve)
    else:
        return []
    if not moves and provisional == deadlines_provisional(s):
        return []
    return [ev.DeadlinesReplanned(
        at=now, year=arrangement.year, sequence=arrangement.sequence, source=arrangement.source, moves=moves,
        provisional=provisional,
        reason=f"{arrangement.year}年节假日安排已载入({arrangement.source}), 未到期的截止时间按新的工作日重新计算 / "
               f"the official {arrangement.year} holiday arrangement was loaded; deadlines still ahead re-planned",
    )]


# --- timers -----------------------------------------------------------------------------------


def tick(s: PetitionState, now: datetime, cal: WorkCalendar) -> list[ev.Event]:
    """Act on the earliest deadline that has passed (the workflow ticks until nothing is due)."""
    item = due_item(s)
    if item is None or item.at > now:
        return []
    a = s.assignment
    if item.kind == "visit":  # (a reporter visited while linked callers waited keeps their answer)
        visit = s.last_visit if s.reporter_visited and s.last_visit else VisitOutcome.NOT_VISITED
        return close_events(s, now, _outcome_of(s), visit,
                            "回访期限届满未回访 / the return-visit window closed without a visit", SYSTEM_ACTOR)
    if item.kind in ("redispatch_warn", "redispatch"):
        clock = s.redispatch
        assert clock is not None
        if item.kind == "redispatch_warn":
            return [ev.DeadlineWarned(at=now, unit_code=clock.desk_code, resolve_due=clock.due, deadline="redispatch")]
        return [ev.DeadlineBreached(at=now, unit_code=clock.desk_code, deadline="redispatch", due=clock.due)]
    assert a is not None
    rung = a.rung
    if item.kind == "decision":  # the rung above has not decided a timely extension request in time
        assert s.pending_extension is not None and s.pending_extension.decide_due is not None
        return [ev.DeadlineBreached(at=now, unit_code=rung.overseer_code, deadline="decision",
                                    due=s.pending_extension.decide_due)]
    if item.kind == "accept":
        return [ev.DeadlineBreached(at=now, unit_code=rung.unit_code, deadline="accept", due=a.accept_due),
                ev.PetitionUrged(at=now, unit_code=rung.unit_code, automatic=True, actor=SYSTEM_ACTOR,
                                 note="not accepted in time / 超时未签收")]
    if item.kind == "warn":
        return [ev.DeadlineWarned(at=now, unit_code=rung.unit_code, resolve_due=a.resolve_due)]
    breach = ev.DeadlineBreached(at=now, unit_code=rung.unit_code, deadline="resolve", due=a.resolve_due)
    if s.at_top:
        return [breach, ev.PetitionUrged(at=now, unit_code=rung.unit_code, automatic=True, actor=SYSTEM_ACTOR,
                                         note="overdue at the top of the ladder / 超期未办结")]
    return [breach, *_climb(s, now, cal, reason="resolve deadline missed / 超期自动提级", by_deadline=True,
                            actor=SYSTEM_ACTOR, from_rung=rung)]


def _beijing(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _describe(span: Span) -> str:
    return span.describe()
