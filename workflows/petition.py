"""PetitionWorkflow: the single writer of one petition's event stream.

Commands arrive as Updates, one per command of the catalogue (`domain/catalogue.py`), added to the
class from its catalogue entry by `command_updates`; each validator runs `decide` so that an invalid
command is rejected before it touches history. Accepted commands are decided again under a lock (so
two commands never append against the same version), appended through an activity with the expected
version and deterministic event ids, and only then folded into the state. Deadlines are one durable
timer: the workflow sleeps until the earliest due item and sends itself a `Tick`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from config.reference_data import base_calendar
    from domain import commands as cmd
    from domain.arrangements import Arrangement, apply_arrangements
    from domain.catalogue import UPDATES, CommandSpec, decide
    from domain.errors import DomainError, InvalidCommand
    from domain.events import Event, UnitEvaluated, WorkOrderAssigned, event_data
    from domain.evolve import fold
    from domain.model import SYSTEM_ACTOR, PetitionState
    from domain.text import unstorable_text
    from domain.timers import due_item
    from eventstore.petition_projection import petition_row
    from workflows.inputs import (
        APPEND_TIMEOUT,
        DELIVERY_TIMEOUT,
        AppendEventsInput,
        AppendEventsResult,
        PetitionInput,
        StoredEventIn,
        WorkOrderDelivery,
    )

APPEND_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                           non_retryable_error_types=["StreamConflict"])
LOCAL_APPEND = "append-events-as-local-activity"  # workflow.patched id: never rename
DELIVERY_RECEIPT = "record-work-order-delivered"  # workflow.patched id: never rename
APPEND_AFTER_COMMIT = "append-events-after-the-task-commits"  # workflow.patched id: never rename
REOPEN_AFTER_CLOSE = "reopen-after-close"  # workflow.patched id: never rename
DESK_AND_APPROVER_RECORDS = "evaluate-desk-and-approver"  # workflow.patched id: never rename
DELIVERY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=5))


def _rejected(error: DomainError) -> ApplicationError:
    return ApplicationError(error.message, {"code": error.code}, type=type(error).__name__, non_retryable=True)


W = TypeVar("W", bound=type)


def command_updates(cls: W) -> W:
    """Add one Temporal update with its validator to `cls` for each command of the catalogue that people
    send (`domain.catalogue.UPDATES`), named as the catalogue names it. Applied before `@workflow.defn`,
    which collects them as if they were written in the class body; `tests/unit/test_catalogue.py` checks
    that the workflow's updates are exactly the catalogue's."""
    for spec in UPDATES:
        setattr(cls, spec.name, _command_update(spec))
    return cls


def _command_update(spec: CommandSpec) -> Any:
    """The update of one command: validated by `decide` (a refused command leaves no trace in history),
    then decided again and appended under the workflow's lock (`_execute`)."""

    async def update(self: PetitionWorkflow, c: cmd.Command) -> PetitionState:
        return await self._execute(c)

    def validate(self: PetitionWorkflow, c: cmd.Command) -> None:
        self._validate(c)

    # Temporal decodes the update's argument into the class its annotation names (this command's), and
    # requires the validator's parameters to be the update's: both say it, `self` unannotated.
    update.__annotations__ = {"c": spec.command, "return": PetitionState}
    validate.__annotations__ = {"c": spec.command, "return": None}
    update.__name__ = update.__qualname__ = spec.name
    validate.__name__ = validate.__qualname__ = f"validate_{spec.name}"
    update.__doc__ = spec.summary
    handler = workflow.update(name=spec.name)(update)
    handler.validator(validate)
    return handler


@workflow.defn
@command_updates
class PetitionWorkflow:
    """One petition (诉求), from its report to its close: the only writer of its stream. Commands arrive as updates
    (validated by `decide`), timers tick at the next deadline, department deliveries run in the background; it
    continues as new before its history grows too long."""

    @workflow.init
    def __init__(self, input: PetitionInput) -> None:
        # Initialised here, not in run(): an update delivered with the start runs before run().
        self._state = input.snapshot or PetitionState(id=input.petition_id)
        self._delivered = set(input.delivered)
        self._history_limit = input.history_limit
        # the shipped calendar and the arrangements loaded since, as this petition's history knows them
        self._arrangements = list(input.arrangements)
        self._calendar = apply_arrangements(base_calendar(), self._arrangements)
        self._lock = asyncio.Lock()
        self._changed = False
        self._deliveries: dict[str, asyncio.Task[None]] = {}

    @workflow.run
    async def run(self, input: PetitionInput) -> PetitionState:
        """Wait for the report, then tick at each deadline and wait for commands until the petition closes; returns
        its final state. Continues as new when the history passes its limit."""
        await workflow.wait_condition(lambda: self._state.reported)
        self._ensure_delivery()
        while True:
            while self._state.open:
                item = due_item(self._state)
                self._changed = False
                if item is not None:
                    wait = (item.at - workflow.now()).total_seconds()
                    if wait <= 0 or not await self._woken_within(wait):
                        await self._execute(cmd.Tick())
                else:
                    await workflow.wait_condition(lambda: self._changed)
                if self._state.open and self._history_too_long():
                    await self._continue_as_new()
            await workflow.wait_condition(workflow.all_handlers_finished)
            # 结案后重办: a run started for a closed petition (its snapshot), or one that was ending when
            # the reopen arrived, carries on with the reopened petition. Closed runs never get here open.
            if not (self._state.open and workflow.patched(REOPEN_AFTER_CLOSE)):
                break
        for task in self._deliveries.values():
            task.cancel()
        return self._state

    @workflow.query
    def state(self) -> PetitionState:
        """The petition's state (query)."""
        return self._state

    # --- signals ------------------------------------------------------------------------------

    @workflow.signal
    async def calendar_changed(self, arrangement: Arrangement) -> None:
        """A year's official holiday arrangement was loaded (`jiehu calendar load`): re-plan the deadlines
        it moves (one `DeadlinesReplanned` event) and count every later deadline on it. A signal, not an
        update, because the calendar re-plan workflow sends it; sent twice, it changes nothing."""
        if any(known.sequence >= arrangement.sequence for known in self._arrangements
               if known.year == arrangement.year):
            return  # this arrangement (or a later one of its year) is already in force here
        command = cmd.ReplanDeadlines(actor=SYSTEM_ACTOR, arrangement=arrangement)
        async with self._lock:
            # the re-plan and the switch of calendars happen together, between two commands
            try:
                events = decide(self._state, command, workflow.now(), self._calendar) if self._state.open else []
            except DomainError as error:
                workflow.logger.info("calendar re-plan not recorded: %s", error.message)
                events = []
            if events:
                try:
                    await self._append(events, command.kind)
                except ActivityError as failed:  # the log refused: the petition keeps its old deadlines
                    workflow.logger.error("calendar re-plan not recorded: %s", failed.cause)
            self._arrangements.append(arrangement)
            self._calendar = apply_arrangements(base_calendar(), self._arrangements)

    # --- the machinery -----------------------------------------------------------------------

    def _validate(self, command: cmd.Command) -> None:
        # Validators do not run again when history replays, so new checks belong here.
        unstorable = unstorable_text(command.model_dump())
        if unstorable:
            raise _rejected(InvalidCommand(unstorable))
        try:
            decide(self._state, command, workflow.now(), self._calendar)
        except DomainError as error:
            raise _rejected(error) from None

    async def _execute(self, command: cmd.Command) -> PetitionState:
        async with self._lock:
            # decide again: another command may have changed the state since validation
            try:
                events = decide(self._state, command, workflow.now(), self._calendar)
            except DomainError as error:
                raise _rejected(error) from None
            if events:
                try:
                    await self._append(events, command.kind)
                except ActivityError as failed:
                    # the command is refused as a whole: nothing was appended, the state is unchanged
                    raise ApplicationError(f"the events could not be recorded: {failed.cause}",
                                           type="AppendFailed", non_retryable=True) from None
            return self._state

    async def _append(self, events: list[Event], kind: str) -> None:
        # A close now also evaluates a dispatch desk or an approver that never held the petition (a
        # record with received 0). A close appended before that had no such events: replaying it, the
        # workflow leaves them out so that its stream version stays the log's.
        off_ladder = [e for e in events if isinstance(e, UnitEvaluated) and not e.record.received]
        if off_ladder and not workflow.patched(DESK_AND_APPROVER_RECORDS):
            events = [e for e in events if not any(e is o for o in off_ladder)]
        new_state = fold(self._state, events)
        stored = [
            StoredEventIn(event_id=str(workflow.uuid4()), type=e.type, data=event_data(e), occurred_at=e.at.isoformat())
            for e in events
        ]
        update = workflow.current_update_info()  # None when a timer ticks
        append = AppendEventsInput(
            stream_id=self._state.id, expected_version=self._state.version, events=stored,
            read_model_row=petition_row(new_state, updated_at=events[-1].at.isoformat()),
            workflow_id=workflow.info().workflow_id, request_id=update.id if update else "",
        )
        summary = f"{kind}: {', '.join(e.type for e in events)}"
        if workflow.patched(APPEND_AFTER_COMMIT) or not workflow.patched(LOCAL_APPEND):
            # An activity runs only once the workflow task that schedules it is committed. A local
            # activity runs inside the task: when the server rejects that task (as it does while many
            # updates arrive at once), its append has already reached the log, and the retried task may
            # decide other commands in another order with other event ids — the log and the workflow
            # part ways (found with 24 concurrent commands on one petition). Correctness over the
            # round trip the local activity saved.
            await workflow.execute_activity(
                "append_events", append, result_type=AppendEventsResult, start_to_close_timeout=APPEND_TIMEOUT,
                retry_policy=APPEND_RETRY, summary=summary,
            )
        else:  # petitions that appended locally before the fix replay their local activities
            await workflow.execute_local_activity(
                "append_events", append, result_type=AppendEventsResult, start_to_close_timeout=APPEND_TIMEOUT,
                retry_policy=APPEND_RETRY, summary=summary,
            )
        self._state = new_state
        self._changed = True
        if any(isinstance(e, WorkOrderAssigned) for e in events):
            self._ensure_delivery()

    def _ensure_delivery(self) -> None:
        """A department's work order goes out on its own task queue; it waits there if no worker runs."""
        state, assignment = self._state, self._state.assignment
        for key, task in list(self._deliveries.items()):
            if assignment is None or not key.endswith(f"@{assignment.assigned_at.isoformat()}"):
                task.cancel()  # the order moved on before the department picked it up
                del self._deliveries[key]
        if assignment is None or not state.open or assignment.rung.task_queue is None:
            return
        delivery_id = f"{state.id}@{assignment.assigned_at.isoformat()}"
        if delivery_id in self._deliveries:
            return
        if delivery_id in self._delivered and state.delivery_pending_since is None:
            return  # delivered, and (for petitions that track it) the delivery is in the log
        order = WorkOrderDelivery(
            delivery_id=delivery_id, petition_id=state.id, department=assignment.rung.unit_code,
            department_name=assignment.rung.unit_name, category=state.category, description=state.description,
            address=state.address, urgency=state.urgency.value, accept_due=assignment.accept_due.isoformat(),
            resolve_due=assignment.resolve_due.isoformat(), cause="assigned",
        )
        self._deliveries[delivery_id] = asyncio.create_task(self._deliver(order, assignment.rung.task_queue))

    async def _deliver(self, order: WorkOrderDelivery, task_queue: str) -> None:
        try:
            if order.delivery_id not in self._delivered:
                await workflow.execute_activity(
                    "deliver_work_order", order, task_queue=task_queue, start_to_close_timeout=DELIVERY_TIMEOUT,
                    retry_policy=DELIVERY_RETRY, summary=f"to {order.department}",
                )
                self._delivered.add(order.delivery_id)
            # Petitions reported since deliveries are tracked record the hand-over as an event, so the
            # API can show an order that no department worker has picked up (and since when).
            if self._state.tracks_delivery and workflow.patched(DELIVERY_RECEIPT):
                await self._execute(cmd.ConfirmDelivery(actor=SYSTEM_ACTOR, delivery_id=order.delivery_id))
        except (asyncio.CancelledError, ActivityError):
            pass  # cancelled because the order moved on; the petition's own clocks keep running
        except ApplicationError as refused:  # the petition closed or moved on meanwhile: nothing to record
            workflow.logger.info("delivery receipt not recorded: %s", refused.message)
        finally:
            self._deliveries.pop(order.delivery_id, None)

    async def _woken_within(self, seconds: float) -> bool:
        try:
            await workflow.wait_condition(lambda: self._changed, timeout=seconds)
            return True
        except TimeoutError:
            return False

    def _history_too_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > self._history_limit

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        # a delivery receipt may be appending: let it finish so the snapshot carries its event
        await workflow.wait_condition(lambda: not self._lock.locked())
        for task in self._deliveries.values():
            task.cancel()
        workflow.continue_as_new(PetitionInput(
            petition_id=self._state.id, snapshot=self._state, delivered=sorted(self._delivered),
            history_limit=self._history_limit, arrangements=self._arrangements,
        ))
