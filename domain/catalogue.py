"""The command catalogue: each command of a petition written once, with its name, who may send it and
the rule that decides it; and `decide`, which sends every command through it.

Everything else derives from `CATALOGUE`: the workflow's Temporal updates (`workflows/petition.py`),
the client's update names (`workflows/client.py`), the REST actions and their role check
(`api/routes/commands.py`, `api/scope.py`). A command's name is its class's `kind`; it is also its
Temporal update name, which recorded histories hold, so a `kind` is never renamed.

Each command's roles are granted here and only here (from the groups of `domain/roles.py`): the API
refuses a role early (403 `role_not_allowed`) from the same sets, and `decide` refuses it again for
every caller that does not pass through the API (what-if replays, simulations, the reopen check).
The decider's handlers check the unit and the state.

urge (督办/催办): the API used to let community and street staff urge and the decider let anyone of the
rung above's unit urge, whatever their role. One rule now, as the decider applied it and DESIGN.md
names it ("a supervisor pushes an overdue or sensitive case"): supervisors, dispatchers and admins
urge any open petition they see; community and street staff (overseeing roles) only as the rung above
the holding unit. Nothing changes through the API; a grid worker, return visitor or auditor of the
rung above's unit may no longer urge by calling `decide` directly.

Pure: no I/O, no clock. To add a command (the route, the workflow update, the client's name and the
role check follow from here):
- its class in `domain/commands.py` (with a new `kind`), added to the `Command` union there;
- its handler in `domain/decider.py`, and its events in `domain/events.py` with their `evolve` rules;
- one `CommandSpec` below;
- and, on purpose by hand, in the tests that freeze what must not change by accident: the recorded
  update names (`tests/unit/test_catalogue.py`) and the authorization matrix's actions and bodies
  (`tests/integration/test_api_authorization.py`); and the README's table of actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain import commands as cmd
from domain import decider
from domain import roles as r
from domain.enums import Role, Status
from domain.errors import InvalidState, NotPermitted
from domain.events import Event
from domain.model import Actor, PetitionState
from domain.workcalendar import WorkCalendar

Handler = Callable[[PetitionState, Any, datetime, WorkCalendar], list[Event]]


class Stage(StrEnum):
    """Which petitions a command is for; `decide` refuses the others before its handler runs."""

    NEW = "new"  # any, reported or not (the handler refuses a second report)
    OPEN = "open"  # reported and not closed
    CLOSED = "closed"  # reported, closed or not (the handler refuses an open one)


@dataclass(frozen=True)
class CommandSpec:
    """One command: its class, the roles that may send it and its handler.

    `action`: the REST action (`POST /v1/petitions/{id}/{action}`), None for a command no person sends.
    `update`: False for the workflow's own commands (no Temporal update; the workflow decides them itself).
    `summary`: what it is for, in a line; the API's summary and the update's docstring.
    """

    command: type[cmd.Command]
    handler: Handler
    roles: frozenset[Role]
    summary: str
    action: str | None
    stage: Stage = Stage.OPEN
    update: bool = True

    @property
    def name(self) -> str:
        """The command's `kind`, which is also its Temporal update name (never renamed)."""
        kind = self.command.model_fields["kind"].default
        assert isinstance(kind, str)
        return kind


# In the order the workflow has always declared its updates.
CATALOGUE: tuple[CommandSpec, ...] = (
    CommandSpec(cmd.Report, decider.report, r.HANDLING | r.DISPATCHING,
                "Report a petition (发现上报); sent together with the start of its workflow", "report",
                stage=Stage.NEW),
    CommandSpec(cmd.Dispatch, decider.dispatch, r.DISPATCHING,
                "Re-route the petition to another unit (分办/改派); its ladder continues above that unit",
                "dispatch"),
    CommandSpec(cmd.Accept, decider.accept, r.HANDLING, "Accept the work order (签收)", "accept"),
    CommandSpec(cmd.Return, decider.return_order, r.HANDLING,
                "Return a misrouted order to the dispatcher (退单)", "return"),
    CommandSpec(cmd.AllowReturn, decider.allow_return, r.SUPERVISING,
                "Let the holding unit return a final (终审) order once more, as a supervisor", "allow-return"),
    CommandSpec(cmd.Escalate, decider.escalate, r.HANDLING, "Escalate one rung up (上报/提级)", "escalate"),
    CommandSpec(cmd.RequestExtension, decider.request_extension, r.HANDLING,
                "Ask the rung above for more time (申请延期)", "extension-request"),
    CommandSpec(cmd.DecideExtension, decider.decide_extension, r.OVERSEEING,
                "Grant or deny an extension, as the rung above (延期审批)", "extension-decision"),
    CommandSpec(cmd.Pause, decider.pause, r.HANDLING | r.OVERSEEING,
                "Request, approve or deny stopping the clock (暂停计时)", "pause"),
    CommandSpec(cmd.Resume, decider.resume, r.HANDLING | r.OVERSEEING, "Restart the clock (恢复计时)", "resume"),
    CommandSpec(cmd.NoteProgress, decider.note_progress, r.HANDLING, "Note progress (办理进展)", "progress"),
    CommandSpec(cmd.Resolve, decider.resolve, r.HANDLING, "Resolve with a result and evidence (办结)", "resolve"),
    CommandSpec(cmd.Urge, decider.urge, r.URGING_ANYWHERE | r.OVERSEEING,
                "Urge the handling unit (督办/催办)", "urge"),
    CommandSpec(cmd.RecordReturnVisit, decider.return_visit, r.VISITING,
                "Record the resident's return visit (回访)", "return-visit"),
    CommandSpec(cmd.Close, decider.close, r.CLOSING, "Close with an explicit outcome (结案)", "close"),
    CommandSpec(cmd.ReopenClosed, decider.reopen_closed, r.CLOSING,
                "Reopen a closed petition within the policy window (结案后重办); sent with the start of a new "
                "run whose snapshot is the closed petition", "reopen", stage=Stage.CLOSED),
    # sent by the API, not a route of its own: staff of the holding department read or act on the order
    CommandSpec(cmd.OpenWorkOrder, decider.open_work_order, r.HANDLING,
                "Open a department's work order in the API (查收): its hand-over, when no system of the "
                "department took it first", None),
    CommandSpec(cmd.ConfirmDelivery, decider.confirm_delivery, r.SYSTEM,
                "A department's system took the work order off its task queue", None, update=False),
    # sent by the workflow's `calendar_changed` signal, which the calendar re-plan workflow sends
    CommandSpec(cmd.ReplanDeadlines, decider.replan_deadlines, r.SYSTEM,
                "A year's official holiday arrangement was loaded: re-plan the deadlines still ahead it moves",
                None, update=False),
    # issue 14 §1, §2: intake's other ways to start a petition (sent with the start of its workflow, as a
    # report is) and the same matter linked to an open petition
    CommandSpec(cmd.ReportOnTheSpot, decider.report_on_the_spot, r.ON_THE_SPOT,
                "Report and resolve on the spot in one step, with evidence (就地解决); return-visited as any "
                "resolution", None, stage=Stage.NEW),
    CommandSpec(cmd.ReportTriaged, decider.report_triaged, r.HOTLINE,
                "Record a hotline call triaged at intake with its reason and close it at once (接诉即办: answered "
                "consultation, 110/119/120, legal channel, outside government duties)", None, stage=Stage.NEW),
    CommandSpec(cmd.LinkCaller, decider.link_caller, r.HOTLINE,
                "Link another caller about the same matter, with no new facts, to this open petition (no new "
                "order); they are return-visited too", "link-caller"),
    CommandSpec(cmd.VisitLinkedCaller, decider.visit_linked_caller, r.VISITING,
                "Record a linked caller's return visit (回访)", "linked-caller-visit"),
    # issue 14 §4: a matter raised to a visit team on its visit day (sent by the visit desk, route of its own)
    CommandSpec(cmd.ReportVisitMatter, decider.report_visit_matter, r.VISIT_CADRES,
                "Record a matter raised to a visit team (民意\"5\"来听): resolved on the spot or handed on",
                None, stage=Stage.NEW),
    # issue 14 §3 (物业110): the property company's customer service calls back after it resolved
    CommandSpec(cmd.CompanyCallback, decider.company_callback, r.COMPANY_CALLBACK,
                "Record the property company's own callback after it resolved (物业客服回访); the official "
                "return visit still closes the petition", "company-callback"),
    # issue 14 §5: a dispatcher merges a duplicate into the petition it duplicates (both halves: the API sends
    # the survivor's first) and declares a burst, which later reports join at intake (sent by intake)
    CommandSpec(cmd.MergeInto, decider.merge_into, r.MERGING,
                "Merge this petition into another open one of the district about the same problem (合并工单): it "
                "closes as a duplicate naming it, its reporters are return-visited when that one closes", "merge"),
    CommandSpec(cmd.AbsorbMerged, decider.absorb_merged, r.MERGING,
                "The survivor's half of a merge: the merged petition's reporters become its linked reporters",
                None),
    CommandSpec(cmd.DeclareBurst, decider.declare_burst, r.DISPATCHING,
                "Declare a burst on this petition (突发集中诉求): matching reports join it as reporters instead of "
                "starting work orders", "burst"),
    CommandSpec(cmd.JoinBurst, decider.join_burst, r.HANDLING | r.DISPATCHING,
                "A report inside a declared burst joins it as another reporter (no new order)", None),
)

BY_TYPE: dict[type, CommandSpec] = {spec.command: spec for spec in CATALOGUE}
# the commands that start a petition (update-with-start; `workflows/client.py` sends them)
STARTING: tuple[type[cmd.Command], ...] = tuple(spec.command for spec in CATALOGUE if spec.stage is Stage.NEW)
BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in CATALOGUE}
BY_ACTION: dict[str, CommandSpec] = {spec.action: spec for spec in CATALOGUE if spec.action}
UPDATES: tuple[CommandSpec, ...] = tuple(spec for spec in CATALOGUE if spec.update)


def spec_of(command: cmd.Command | type[cmd.Command]) -> CommandSpec:
    """The catalogue entry of a command or command class. KeyError for `Tick` (the timers' own, no actor)."""
    return BY_TYPE[command if isinstance(command, type) else type(command)]


def allowed(actor: Actor, spec: CommandSpec) -> bool:
    """Whether the actor's role is one the catalogue grants `spec` (its unit is the decider's to check)."""
    return actor.role in spec.roles


def role_refusal(spec: CommandSpec) -> str:
    """The words of a refusal by role, the same in the API's 403 and the decider's NotPermitted."""
    return r.role_refusal(spec.action or spec.name, spec.roles)


def decide(state: PetitionState, command: cmd.Command, now: datetime, calendar: WorkCalendar) -> list[Event]:
    """The events `command` makes on `state` at `now` (aware datetime), counting time on `calendar`.

    Raises NotPermitted (a role the catalogue does not grant, or the handler's unit rule), InvalidState
    (the petition's stage or state does not allow it), InvalidCommand (the command breaks a rule or a
    policy limit); returns [] when there is nothing to do (a tick with nothing due). Pure.
    """
    if isinstance(command, cmd.Tick):
        if not state.reported:
            raise InvalidState("the petition has not been reported")
        return decider.tick(state, now, calendar)
    spec = spec_of(command)
    if not allowed(command.actor, spec):
        raise NotPermitted(role_refusal(spec))
    if spec.stage is not Stage.NEW and not state.reported:
        raise InvalidState("the petition has not been reported")
    if spec.stage is Stage.OPEN and state.status is Status.CLOSED:
        raise InvalidState("the petition is closed")
    return spec.handler(state, command, now, calendar)
