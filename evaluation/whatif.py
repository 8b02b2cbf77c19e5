"""Policy what-if: replay a period's petitions under a candidate SLA policy, in memory only.

Each petition's human actions (accept, return, redispatch, escalate, extensions, pause/resume,
resolve, return visit, close) are replayed at the moments they really happened; the candidate's
deadlines fire in between. When a deadline moves the petition up the ladder earlier than it did,
the rung that holds it then is taken to act at those same moments. Actions the replayed petition
can no longer take are counted as `skipped`. Nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.enums import Clock, Urgency
from domain.errors import DomainError
from domain.model import SYSTEM_ACTOR, Actor, PetitionState
from domain.policy import Rules, Span
from domain.timeline import Timeline
from domain.workcalendar import WorkCalendar
from services.intake_command import Intake, Route, report_command

RulesFor = Callable[[str, Urgency], Rules]


@dataclass
class Tally:
    """What a what-if counts over the petitions replayed: breaches, escalations by deadline, closes and skipped
    actions, in all and by level."""

    petitions: int = 0
    accept_breaches: int = 0
    resolve_breaches: int = 0
    escalations_by_deadline: int = 0
    closed: int = 0
    skipped_actions: int = 0
    by_level: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, state: PetitionState, skipped: int) -> None:
        """Count one replayed petition (`skipped`: its actions the replay could not take). Only units that held it
        count (not a desk's or approver's record)."""
        self.petitions += 1
        self.skipped_actions += skipped
        self.closed += not state.open
        for record in state.units.values():
            if not record.received:  # a dispatch desk's or approver's record: none of the rungs' deadlines
                continue
            assert record.level is not None
            self.accept_breaches += record.accept_breaches
            self.resolve_breaches += record.resolve_breaches
            self.escalations_by_deadline += record.escalations_by_deadline
            level = self.by_level.setdefault(record.level.value, {"breaches": 0, "escalations_by_deadline": 0})
            level["breaches"] += record.accept_breaches + record.resolve_breaches
            level["escalations_by_deadline"] += record.escalations_by_deadline

    def as_dict(self) -> dict[str, Any]:
        """The counts as the API serves them (`breaches`: accept and resolve)."""
        return {"petitions": self.petitions, "breaches": self.accept_breaches + self.resolve_breaches,
                "accept_breaches": self.accept_breaches, "resolve_breaches": self.resolve_breaches,
                "escalations_by_deadline": self.escalations_by_deadline, "closed": self.closed,
                "skipped_actions": self.skipped_actions, "by_level": self.by_level}


def replay(events: list[ev.Event], calendar: WorkCalendar, rules_for: RulesFor | None,
           until: Any = None) -> tuple[PetitionState, int]:
    """Replay one petition's recorded events; `rules_for=None` keeps the rules it was reported with."""
    reported = events[0]
    assert isinstance(reported, ev.PetitionReported), "a petition's stream starts with its report"
    rules = rules_for(reported.category, reported.urgency) if rules_for else reported.rules
    timeline = Timeline(reported.petition_id, reported.at, calendar)
    intake = Intake(actor=reported.actor, category=reported.category, description=reported.description,
                    channel=reported.channel, grid_code=reported.grid_code, address=reported.address,
                    urgency=reported.urgency)
    where = Route(reported.grid_code, reported.ladder, reported.desk_code)  # as routed then, not as the org is now
    timeline.send(report_command(intake, reported.petition_id, where, reported.policy_name, rules,
                                 tracks_delivery=reported.tracks_delivery))
    skipped = 0
    for event in events[1:]:
        timeline.advance_to(event.at)
        command = _command_of(event, timeline.state)
        if command is None:
            continue
        try:
            timeline.send(command)
        except DomainError:
            skipped += 1
    if until is not None:
        timeline.advance_to(until)
    return timeline.state, skipped


def _command_of(e: ev.Event, s: PetitionState) -> cmd.Command | None:
    """The human command that produced `e`, addressed from whoever holds the petition now."""
    if isinstance(e, ev.WorkOrderAccepted):
        return cmd.Accept(actor=_holder(e.actor, s))
    if isinstance(e, ev.WorkOrderReturned):
        return cmd.Return(actor=_holder(e.actor, s), reason=e.reason)
    if isinstance(e, ev.PetitionRedispatched):
        return cmd.Dispatch(actor=e.actor, ladder=e.ladder, note=e.note)
    if isinstance(e, ev.PetitionEscalated) and not e.by_deadline and e.actor != SYSTEM_ACTOR:
        return cmd.Escalate(actor=_holder(e.actor, s), reason=e.reason)
    if isinstance(e, ev.ExtensionRequested):
        return cmd.RequestExtension(actor=_holder(e.actor, s), duration=_in_days_of(e.span, s), reason=e.reason)
    if isinstance(e, ev.ExtensionDecided):
        return cmd.DecideExtension(actor=_overseer(e.actor, s), approve=e.approved, note=e.note)
    if isinstance(e, ev.PauseRequested):
        return cmd.Pause(actor=_holder(e.actor, s), reason_kind=e.reason_kind, reason=e.reason, approve=True)
    if isinstance(e, ev.ClockPaused):  # the rung above stopped the clock (on request, or itself)
        return cmd.Pause(actor=_overseer(e.actor, s), reason_kind=e.reason_kind, reason=e.reason, approve=True)
    if isinstance(e, ev.PauseDenied):
        return cmd.Pause(actor=_overseer(e.actor, s), reason=e.note, approve=False)
    if isinstance(e, ev.ClockResumed):
        return cmd.Resume(actor=_holder(e.actor, s), note=e.note)
    if isinstance(e, ev.PetitionResolved):
        return cmd.Resolve(actor=_holder(e.actor, s), resolution=e.resolution, result=e.result,
                           evidence_urls=e.evidence_urls)
    if isinstance(e, ev.ReturnVisitRecorded):
        return cmd.RecordReturnVisit(actor=e.actor, outcome=e.outcome, note=e.note)
    if isinstance(e, ev.PetitionReopened) and e.after_close and e.actor is not None:  # 结案后重办
        return cmd.ReopenClosed(actor=e.actor, reason=e.reason or e.note or "-", contact_name=e.contact_name,
                                contact_phone=e.contact_phone)
    if isinstance(e, ev.PetitionClosed) and e.actor != SYSTEM_ACTOR and e.actor.role.value != "system":
        return cmd.Close(actor=e.actor, outcome=e.outcome, explanation=e.explanation)
    return None


_DAYS = (Clock.WORKING, Clock.WHOLE_WORKING_DAYS)


def _in_days_of(span: Span, s: PetitionState) -> Span:
    """A recorded extension of N working days asked again in the kind of working days the replayed rules
    count (24-hour or whole from the next day), so a policy that changed the unit still sees it asked."""
    limit = s.rules.max_extension if s.rules is not None else None
    if limit is not None and span.clock in _DAYS and limit.clock in _DAYS:
        return Span(seconds=span.seconds, clock=limit.clock)
    return span


def _holder(actor: Actor, s: PetitionState) -> Actor:
    if s.assignment is None:
        return actor
    return actor.model_copy(update={"unit_code": s.assignment.rung.unit_code})


def _overseer(actor: Actor, s: PetitionState) -> Actor:
    if s.assignment is None or not s.assignment.rung.overseer_code:
        return actor
    return actor.model_copy(update={"unit_code": s.assignment.rung.overseer_code})
