"""A petition on a simulated clock: commands applied at chosen moments, timers fired in between.

Used to play petition lives (benchmarks, the simulated month) and to replay real petitions under
another policy (the what-if); the workflow does the same with durable timers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import commands as cmd
from domain.catalogue import decide
from domain.events import Event
from domain.evolve import fold
from domain.model import PetitionState
from domain.timers import due_item
from domain.workcalendar import WorkCalendar


class Timeline:
    """A petition on a simulated clock: `send` decides and folds a command at `now`, `advance_to` and `later` move
    the clock, ticking every timer due on the way. `state` and `events` are what a workflow would hold and record."""

    def __init__(self, petition_id: str, now: datetime, calendar: WorkCalendar) -> None:
        self.now, self.calendar = now, calendar
        self.state = PetitionState(id=petition_id)
        self.events: list[Event] = []

    def send(self, command: cmd.Command) -> list[Event]:
        """Decide `command` at the timeline's `now` and fold its events; returns them. Raises the decider's
        DomainError when refused (nothing changes)."""
        events = decide(self.state, command, self.now, self.calendar)
        self.events += events
        self.state = fold(self.state, events)
        return events

    def advance_to(self, moment: datetime) -> None:
        """Move the clock to `moment`, firing every timer that falls due on the way."""
        while (item := due_item(self.state)) is not None and item.at <= moment:
            self.now = max(self.now, item.at)
            self.send(cmd.Tick())
        self.now = max(self.now, moment)

    def later(self, delta: timedelta) -> None:
        """Move the clock `delta` forward, firing the timers due on the way."""
        self.advance_to(self.now + delta)
