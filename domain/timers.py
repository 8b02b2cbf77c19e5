"""Which deadline comes next: the workflow sleeps until it, then sends a `Tick`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from domain.enums import DeadlineState, Status
from domain.model import PetitionState


@dataclass(frozen=True)
class DueItem:
    kind: Literal["accept", "warn", "resolve", "visit"]
    at: datetime


def due_item(state: PetitionState) -> DueItem | None:
    """The earliest pending deadline, or None when no clock runs (closed, returned, paused)."""
    if state.status is Status.RESOLVED and state.visit_due is not None:
        return DueItem("visit", state.visit_due)
    a = state.assignment
    if a is None or state.status not in (Status.DISPATCHED, Status.ACCEPTED):
        return None
    candidates: list[DueItem] = []
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
    if a is None or state.status not in (Status.DISPATCHED, Status.ACCEPTED):
        return DeadlineState.NONE
    if a.resolve_breached or a.accept_breached:
        return DeadlineState.OVERDUE
    if a.warned:
        return DeadlineState.WARNING
    return DeadlineState.OK
