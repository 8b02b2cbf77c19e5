"""Decider tests as given events / when command / then events (Emmett's DeciderSpecification):

    given(*reported(org), accepted()).when(cmd.Urge(actor=COMMUNITY, note="…")).then(ev.PetitionUrged(…))
    given(*reported(org)).when(cmd.Accept(actor=OTHER_GRID)).then_raises(NotPermitted, "handling unit")

The state is the fold of the given events (never built by hand); `when` decides at the time of the last
given event unless told `at=`; `then` compares the decided events with the expected ones, field by field.
The facts of the standard story below are written out, deadlines included, so a test reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from config.reference_data import load_policy, work_calendar
from domain import commands as cmd
from domain import events as ev
from domain.catalogue import decide
from domain.enums import Channel, Role, Urgency
from domain.errors import DomainError
from domain.evolve import fold
from domain.model import Actor, PetitionState
from org.model import OrgTree
from org.routing import dispatch_desk, ladder_for_report

CAL = work_calendar()
PETITION = "P-1"
GRID = "rc-yuehe-taibai-g1"  # 太白社区第1网格, the first rung; its rung above is the community
COMMUNITY = "rc-yuehe-taibai"  # 太白社区
STREET = "rc-yuehe"  # 越河街道
MONDAY = datetime.fromisoformat("2026-11-23T09:00:00+08:00")  # an ordinary working Monday, 09:00 Beijing
# The grid's deadlines for a report at MONDAY under the default policy: accept within 4 office hours
# (09:00-12:00, 13:30-14:30), resolve within 2 whole working days counted from the next working day
# (Tue, Wed; due when the office closes), warned one working day before.
ACCEPT_DUE = datetime.fromisoformat("2026-11-23T14:30:00+08:00")
WARN_AT = datetime.fromisoformat("2026-11-24T17:30:00+08:00")
RESOLVE_DUE = datetime.fromisoformat("2026-11-25T17:30:00+08:00")


def actor(unit_code: str, role: Role) -> Actor:
    return Actor(id=f"{role.value}@{unit_code}", name=f"{role.value} of {unit_code}", unit_code=unit_code, role=role)


GRID_WORKER = actor(GRID, Role.GRID_WORKER)
COMMUNITY_STAFF = actor(COMMUNITY, Role.COMMUNITY_STAFF)  # the rung above the grid
OTHER_COMMUNITY_STAFF = actor("rc-yuehe-yuehe", Role.COMMUNITY_STAFF)  # overseeing, but not this order
SUPERVISOR = actor("rencheng", Role.SUPERVISOR)
DISPATCHER = actor("rencheng", Role.DISPATCHER)
VISITOR = actor("rencheng", Role.RETURN_VISITOR)


@dataclass(frozen=True)
class When:
    given: tuple[ev.Event, ...]
    command: cmd.Command
    now: datetime

    def decided(self) -> list[ev.Event]:
        """The events `decide` makes for the command on the fold of the given events."""
        state = fold(PetitionState(id=PETITION), list(self.given))
        return decide(state, self.command, self.now, CAL)

    def then(self, *expected: ev.Event) -> None:
        """Exactly these events, in this order (none: the command changes nothing)."""
        decided = self.decided()
        assert decided == list(expected), _difference(decided, list(expected))

    def then_raises(self, error: type[DomainError], match: str | None = None) -> DomainError:
        """The command is refused with `error` (its message matching the regex `match`)."""
        with pytest.raises(error, match=match) as raised:
            self.decided()
        return raised.value


@dataclass(frozen=True)
class Given:
    events: tuple[ev.Event, ...]

    def when(self, command: cmd.Command, at: datetime | None = None) -> When:
        if at is None and not self.events:
            raise ValueError("say when the command arrives (at=) when nothing is given")
        return When(self.events, command, at or self.events[-1].at)


def given(*events: ev.Event) -> Given:
    return Given(events)


# --- the standard story: a sanitation petition a grid worker reported on MONDAY --------------------


def reported(org: OrgTree) -> list[ev.Event]:
    """Reported by the grid worker at MONDAY under the default policy, and assigned to the grid with
    ACCEPT_DUE, WARN_AT and RESOLVE_DUE."""
    ladder = ladder_for_report(org, GRID, "sanitation")
    return [
        ev.PetitionReported(
            at=MONDAY, petition_id=PETITION, category="sanitation", description="垃圾堆积", address="", grid_code=GRID,
            channel=Channel.GRID_WORKER, urgency=Urgency.NORMAL, reporter_name="", reporter_phone="",
            policy_name="default", rules=load_policy("default").rules_for("sanitation", Urgency.NORMAL),
            ladder=ladder, actor=GRID_WORKER, desk_code=dispatch_desk(org, GRID), tracks_delivery=True,
        ),
        ev.WorkOrderAssigned(
            at=MONDAY, rung_index=0, rung=ladder[0], cause="report",
            accept_due=ACCEPT_DUE, warn_at=WARN_AT, resolve_due=RESOLVE_DUE,
        ),
    ]


def accepted(at: datetime = MONDAY) -> ev.WorkOrderAccepted:
    """The grid worker accepted the grid's order at `at`."""
    return ev.WorkOrderAccepted(at=at, unit_code=GRID, in_time=at <= ACCEPT_DUE, actor=GRID_WORKER)


def _difference(decided: list[ev.Event], expected: list[ev.Event]) -> str:
    """Where the decided events part from the expected ones: their types, then the fields that differ."""
    types = ([e.type for e in decided], [e.type for e in expected])
    if types[0] != types[1]:
        return f"decided {types[0]}, expected {types[1]}"
    lines = []
    for index, (got, want) in enumerate(zip(decided, expected, strict=True)):
        got_fields, want_fields = got.model_dump(), want.model_dump()
        for name in sorted(set(got_fields) | set(want_fields)):
            if got_fields.get(name) != want_fields.get(name):
                lines.append(f"{index} {got.type}.{name}: decided {got_fields.get(name)!r}, "
                             f"expected {want_fields.get(name)!r}")
    return "\n".join(lines)
