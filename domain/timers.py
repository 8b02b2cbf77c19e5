"""Which deadline comes next: the workflow sleeps until it, then sends a `Tick`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from domain.enums import DeadlineState, Status
from domain.model import PetitionState


@dataclass(frozen=True)
class DueItem:
    """The next deadline of a petition: which one (`kind`) and when."""

    kind: Literal["accept", "warn", "resolve", "visit", "redispatch_warn", "redispatch", "decision"]
    at: datetime


def due_item(state: PetitionState) -> DueItem | None:
    """The earliest pending deadline, or None when no clock runs (closed, paused, or returned under
    rules without a re-dispatch deadline)."""
    if state.status is Status.RESOLVED and state.visit_due is not None:
        return DueItem("visit", state.visit_due)
    if state.status is Status.RETURNED:
        clock = state.redispatch
        if clock is None or clock.breached:
            return None
        return DueItem("redispatch_warn", clock.warn_at) if not clock.warned else DueItem("redispatch", clock.due)
    a = state.assignment
    if a is None or state.status not in (Status.DISPATCHED, Status.ACCEPTED):
        return None
    candidates: list[DueItem] = []
    pending = state.pending_extension
    if pending is not None and pending.resolve_left is not None:
        # a timely extension request holds the unit's clock; only the approver's deadline runs
        return None if pending.decision_breached or pending.decide_due is None else DueItem("decision",
                                                                                             pending.decide_due)
    if a.accepted_at is None and not a.accept_breached:
        candidates.append(DueItem("accept", a.accept_due))
    if not a.warned and not a.resolve_breached:
        candidates.append(DueItem("warn", a.warn_at))
    if not a.resolve_breached:
        candidates.append(DueItem("resolve", a.resolve_due))
    # On equal instants the order above holds: accept, then warn, then resolve.
    return min(candidates, key=lambda item: item.at, default=None)


def deadline_state(state: PetitionState) -> DeadlineState:
    """The yellow/red card of the current work order, as the events left it."""
    a = state.assignment
    if state.status is Status.PAUSED:
        return DeadlineState.PAUSED
    if state.status is Status.RETURNED and state.redispatch is not None:
        clock = state.redispatch
        return DeadlineState.OVERDUE if clock.breached else DeadlineState.WARNING if clock.warned else DeadlineState.OK
    if a is None or state.status not in (Status.DISPATCHED, Status.ACCEPTED):
        return DeadlineState.NONE
    if a.resolve_breached or a.accept_breached:
        return DeadlineState.OVERDUE
    if a.warned:
        return DeadlineState.WARNING
    return DeadlineState.OK


def deadlines_provisional(state: PetitionState) -> bool:
    """Whether the running deadlines (those `next_due` picks from) count a day of a year without an
    official holiday arrangement, so they may move when it is published."""
    if state.status is Status.RESOLVED:
        return state.visit_due is not None and state.visit_due_provisional
    if state.status is Status.RETURNED:
        return state.redispatch is not None and state.redispatch.provisional
    a = state.assignment
    return a is not None and state.status in (Status.DISPATCHED, Status.ACCEPTED, Status.PAUSED) and a.provisional


def next_due(state: PetitionState) -> datetime | None:
    """The next deadline of any kind that someone must meet (accept, resolve, re-dispatch, return
    visit), whether or not it has passed; None when no clock runs (paused, closed)."""
    if state.status is Status.RESOLVED:
        return state.visit_due
    if state.status is Status.RETURNED:
        return state.redispatch.due if state.redispatch else None
    pending = state.pending_extension
    if pending is not None and pending.resolve_left is not None:
        return pending.decide_due  # the unit's clock is held: the approver's decision comes next
    a = state.assignment
    if a is None or state.status not in (Status.DISPATCHED, Status.ACCEPTED):
        return None
    return min(a.accept_due, a.resolve_due) if a.accepted_at is None else a.resolve_due
