"""Pure-domain fixtures: a reported petition folded from its own events, without any service."""

from __future__ import annotations

from datetime import datetime, timedelta

from config.reference_data import load_policy, work_calendar
from domain import commands as cmd
from domain.catalogue import decide
from domain.enums import Channel, Role, Urgency
from domain.evolve import fold
from domain.model import Actor, PetitionState
from domain.policy import Rules
from org.model import OrgTree
from org.routing import dispatch_desk, ladder_for_report

CAL = work_calendar()
GRID = "rc-yuehe-taibai-g1"
DISPATCHER = Actor(id="d", name="派单员", unit_code="rencheng", role=Role.DISPATCHER)
VISITOR = Actor(id="v", name="回访员", unit_code="rencheng", role=Role.RETURN_VISITOR)


def unit_actor(code: str, role: Role = Role.GRID_WORKER) -> Actor:
    return Actor(id=f"a-{code}", name=f"staff of {code}", unit_code=code, role=role)


class Petition:
    """A petition driven by the pure decider, with its own clock."""

    def __init__(self, org: OrgTree, now: datetime, *, category: str = "sanitation", policy: str = "default",
                 urgency: Urgency = Urgency.NORMAL, rules: Rules | None = None) -> None:
        self.now = now
        self.events: list = []
        self.state = PetitionState(id="P-1")
        self.send(cmd.Report(
            actor=unit_actor(GRID), petition_id="P-1", category=category, description="垃圾堆积", grid_code=GRID,
            channel=Channel.GRID_WORKER, urgency=urgency, policy_name=policy,
            rules=rules or load_policy(policy).rules_for(category, urgency),
            ladder=ladder_for_report(org, GRID, category),
            desk_code=dispatch_desk(org, GRID), tracks_delivery=True,
        ))

    def send(self, command: cmd.Command) -> list:
        events = decide(self.state, command, self.now, CAL)
        self.events += events
        self.state = fold(self.state, events)
        return events

    def wait(self, delta: timedelta) -> list:
        """Let time pass, ticking the timers the way the workflow does."""
        target, fired = self.now + delta, []
        while True:
            from domain.timers import due_item

            item = due_item(self.state)
            if item is None or item.at > target:
                break
            self.now = max(self.now, item.at)
            fired += self.send(cmd.Tick())
        self.now = target
        return fired

    @property
    def handler(self) -> Actor:
        return unit_actor(self.state.rung.unit_code)

    @property
    def overseer(self) -> Actor:
        return unit_actor(self.state.rung.overseer_code, Role.COMMUNITY_STAFF)
