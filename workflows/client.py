"""Starting petitions and sending them commands: the caller's side of PetitionWorkflow."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from config.reference_data import current_arrangements
from domain import commands as cmd
from domain.arrangements import Arrangement
from domain.catalogue import UPDATES
from domain.model import PetitionState
from observability.request_context import REQUEST_ID
from workflows.inputs import PetitionInput
from workflows.petition import PetitionWorkflow

ABORTED_UPDATE_RETRIES = 12  # up to about 8 s of backoff in all (0.05 s doubling, at most 1 s a wait)

# The update of each command people send, named by the catalogue (recorded histories hold these names).
UPDATE_NAMES: dict[type, str] = {spec.command: spec.name for spec in UPDATES}


class PetitionClient:
    """The API's and services' handle on petition workflows: report (update-with-start), send commands as updates,
    query state. Holds the Temporal client and the petitions' task queue."""

    def __init__(self, client: Client, task_queue: str, history_limit: int = 2000,
                 arrangements: Callable[[], list[Arrangement]] = current_arrangements) -> None:
        self._arrangements = arrangements  # the holiday arrangements loaded since release: new runs start with them
        self._client = client
        self._task_queue = task_queue
        self._history_limit = history_limit

    async def report(self, report: cmd.Report, update_id: str | None = None) -> PetitionState | None:
        """Start the petition's workflow and report it in one call (update-with-start). `update_id` (from an
        Idempotency-Key) names the update, so a retry while the first is running gets its outcome. `report`
        is any command that starts a petition (`domain.catalogue.STARTING`: a report, one resolved on the
        spot, a call triaged at intake), sent under its own update name.

        Returns None when this petition id was reported before (a retried request): the caller
        reads the existing petition instead. A closed petition's id is never started again.
        """
        start = WithStartWorkflowOperation(
            PetitionWorkflow.run,
            PetitionInput(petition_id=report.petition_id, history_limit=self._history_limit,
                          arrangements=self._arrangements()),
            id=report.petition_id,
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        try:
            return await self._client.execute_update_with_start_workflow(
                UPDATE_NAMES[type(report)], report, start_workflow_operation=start, result_type=PetitionState,
                id=update_id or REQUEST_ID.get(),
            )
        except WorkflowAlreadyStartedError:
            return None
        except WorkflowUpdateFailedError as failure:
            if isinstance(failure.cause, ApplicationError) and failure.cause.type == "AlreadyReported":
                return None
            raise

    async def reopen_closed(self, snapshot: PetitionState, command: cmd.ReopenClosed,
                            update_id: str | None = None) -> PetitionState:
        """Reopen a closed petition (结案后重办): its workflow ended when it closed, so a new run with the
        same id starts from `snapshot` (folded from the petition's events in the log) together with the
        reopen update. A run still finishing its close takes the update itself and carries on."""
        start = WithStartWorkflowOperation(
            PetitionWorkflow.run,
            PetitionInput(petition_id=snapshot.id, snapshot=snapshot, history_limit=self._history_limit,
                          arrangements=self._arrangements()),
            id=snapshot.id,
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        return await self._client.execute_update_with_start_workflow(
            UPDATE_NAMES[cmd.ReopenClosed], command, start_workflow_operation=start, result_type=PetitionState,
            id=update_id or REQUEST_ID.get(),
        )

    async def restart_from(self, snapshot: PetitionState) -> None:
        """Start the petition's workflow afresh from `snapshot` (folded from its events in the log), ending a
        run of the same id that is still going: for a workflow behind its stream after a restore (it lost
        commands the log holds; docs/backup.md). Deadlines are planned again from the snapshot, as after a
        continue-as-new."""
        await self._client.start_workflow(
            PetitionWorkflow.run,
            PetitionInput(petition_id=snapshot.id, snapshot=snapshot, history_limit=self._history_limit,
                          arrangements=self._arrangements()),
            id=snapshot.id,
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )

    async def send(self, petition_id: str, command: cmd.Command, update_id: str | None = None) -> PetitionState:
        """Send `command` as an update. `update_id` (from an Idempotency-Key) makes a retry return the first
        result; without one the API request's id names the update, so the workflow's append logs carry it."""
        handle = self._client.get_workflow_handle(petition_id)
        name, update = UPDATE_NAMES[type(command)], update_id or REQUEST_ID.get()
        for attempt in range(ABORTED_UPDATE_RETRIES - 1):
            try:
                return await handle.execute_update(name, command, result_type=PetitionState, id=update)
            except RPCError as error:
                # The server aborts updates whose workflow task it rejected (many updates at once), and refuses
                # more than its limit of updates in flight on one workflow (10 by default: forty callers
                # joining one burst at once). The same update id again is safe: one that landed answers with
                # its outcome.
                aborted = error.status == RPCStatusCode.UNAVAILABLE and "aborted" in error.message
                crowded = error.status == RPCStatusCode.RESOURCE_EXHAUSTED and "in-flight" in error.message
                if not (aborted or crowded):
                    raise
                await asyncio.sleep(min(1.0, 0.05 * 2**attempt))
        return await handle.execute_update(name, command, result_type=PetitionState, id=update)  # the last try

    async def state(self, petition_id: str) -> PetitionState:
        """The running workflow's petition state (query). RPCError NOT_FOUND when no workflow has this id."""
        return await self._client.get_workflow_handle(petition_id).query(PetitionWorkflow.state)

    async def check_health(self) -> None:
        """Raise (RPCError) unless the Temporal frontend answers a health check."""
        await self._client.service_client.check_health()
