"""Deploying new workflow code while petitions are open (issue 16 §6; docs/upgrades.md).

On the real Temporal dev server, with a test-only workflow shaped like the petition's (it waits for a
command or a deadline, decides, waits again): the old code starts some, its worker stops, the new code's
worker takes over. Two ways, as docs/upgrades.md describes:

- `workflow.patched` (what jiehu does today): one worker at a time. A patch checked once when the run starts
  keeps the open ones on the rules they started with; a patch at the point of change moves them to the new
  behaviour from there on. Either way the old histories replay.
- Worker Versioning (Temporal's recommendation; SDK 1.35 and the dev server support it): each build is a
  Worker Deployment Version, workflows pinned to the version they started on, new ones on the current one.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkerDeploymentConfig

NEW_RULE = "probe-new-rule"  # a workflow.patched id: never renamed once shipped


@workflow.defn(name="UpgradeProbe")
class OldProbe:
    """The code before the change: each command is answered by the old rule."""

    def __init__(self) -> None:
        self._commands: list[str] = []
        self._answers: list[str] = []

    @workflow.run
    async def run(self, deadlines: int) -> list[str]:
        for _ in range(deadlines):  # a command, or else a deadline of 1 s
            try:
                await workflow.wait_condition(lambda: bool(self._commands), timeout=timedelta(seconds=1))
                self._answers.append(f"old:{self._commands.pop(0)}")
            except TimeoutError:
                self._answers.append("old:deadline")
        await workflow.wait_condition(lambda: bool(self._commands))
        self._answers.append(f"old:{self._commands.pop(0)}")
        return self._answers

    @workflow.signal
    def command(self, name: str) -> None:
        """A cadre's command."""
        self._commands.append(name)

    @workflow.query
    def answers(self) -> list[str]:
        """What it answered so far."""
        return self._answers


@workflow.defn(name="UpgradeProbe")
class NewProbe(OldProbe):
    """The new code: petitions that started under it answer by the new rule; the open ones started under the
    old code keep the old rule (the patch is taken once, when the run starts, as the petition takes its rules);
    `moved` shows the other placement: at the point of change, so open runs switch from there on."""

    @workflow.run
    async def run(self, deadlines: int) -> list[str]:
        rule = "new" if workflow.patched(NEW_RULE) else "old"  # before the first await: replayed as it was
        for _ in range(deadlines):
            try:
                await workflow.wait_condition(lambda: bool(self._commands), timeout=timedelta(seconds=1))
                self._answers.append(f"{rule}:{self._commands.pop(0)}")
            except TimeoutError:
                self._answers.append(f"{rule}:deadline")
        await workflow.wait_condition(lambda: bool(self._commands))
        moved = "new" if workflow.patched(f"{NEW_RULE}-at-the-point") else "old"
        self._answers.append(f"{rule}/{moved}:{self._commands.pop(0)}")
        return self._answers


def _worker(client, queue: str, probe: type, deployment: WorkerDeploymentConfig | None = None) -> Worker:
    return Worker(client, task_queue=queue, workflows=[probe], workflow_runner=UnsandboxedWorkflowRunner(),
                  **({"deployment_config": deployment} if deployment else {}))


async def _answers(handle, count: int) -> list[str]:
    for _ in range(200):
        answers = await handle.query(OldProbe.answers)
        if len(answers) >= count:
            return answers
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} answered only {answers}")


async def test_open_workflows_continue_on_patched_code_and_new_ones_take_the_new_branch(temporal_env):
    client, queue = temporal_env.client, f"tq-{uuid.uuid4()}"
    async with _worker(client, queue, OldProbe):
        old = await client.start_workflow(OldProbe.run, 2, id=f"probe-{uuid.uuid4()}", task_queue=queue)
        await client.get_workflow_handle(old.id).signal(OldProbe.command, "accept")
        assert await _answers(old, 1) == ["old:accept"]
    # the old worker is gone; its open workflow's deadline passes while no worker runs
    await asyncio.sleep(1.5)
    async with _worker(client, queue, NewProbe):
        new = await client.start_workflow(NewProbe.run, 1, id=f"probe-{uuid.uuid4()}", task_queue=queue)
        await new.signal(OldProbe.command, "accept")
        # the deadline is handled before the next command is sent (in one activation a command would win)
        assert await _answers(old, 2) == ["old:accept", "old:deadline"]
        assert await _answers(new, 1) == ["new:accept"]
        await old.signal(OldProbe.command, "resolve")
        await new.signal(OldProbe.command, "resolve")
        # the open one replays its old history on the new code (no non-determinism), keeps its rule, and its
        # deadline that passed while no worker ran fires; a patch at the point of change moves it on
        assert await asyncio.wait_for(old.result(), 60) == ["old:accept", "old:deadline", "old/new:resolve"]
        assert await asyncio.wait_for(new.result(), 60) == ["new:accept", "new/new:resolve"]


async def _set_current(client, deployment: str, build_id: str) -> None:
    """Make `build_id` the deployment's current version, once its worker has registered it by polling."""
    for _ in range(100):
        try:
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(namespace=client.namespace, deployment_name=deployment,
                                                         build_id=build_id))
            return
        except RPCError:
            await asyncio.sleep(0.2)
    raise AssertionError(f"{deployment}/{build_id} never became current")


async def test_pinned_workflows_stay_on_their_worker_deployment_version(temporal_env):
    """Worker Versioning: v2 is not even patched; the open workflow stays on v1's workers, new ones go to v2."""
    client, queue, deployment = temporal_env.client, f"tq-{uuid.uuid4()}", f"jiehu-{uuid.uuid4().hex[:8]}"

    def version(build_id: str) -> WorkerDeploymentConfig:
        return WorkerDeploymentConfig(version=WorkerDeploymentVersion(deployment, build_id),
                                      use_worker_versioning=True,
                                      default_versioning_behavior=VersioningBehavior.PINNED)

    async with _worker(client, queue, OldProbe, version("v1")):
        await _set_current(client, deployment, "v1")
        old = await client.start_workflow(OldProbe.run, 0, id=f"probe-{uuid.uuid4()}", task_queue=queue)
        async with _worker(client, queue, Unpatched, version("v2")):
            await _set_current(client, deployment, "v2")
            new = await client.start_workflow(OldProbe.run, 0, id=f"probe-{uuid.uuid4()}", task_queue=queue)
            await old.signal(OldProbe.command, "resolve")
            await new.signal(OldProbe.command, "resolve")
            assert await asyncio.wait_for(old.result(), 60) == ["old:resolve"]
            assert await asyncio.wait_for(new.result(), 60) == ["v2:resolve"]
            description = await old.describe()
            assert description.raw_description.workflow_execution_info.versioning_info.deployment_version\
                .build_id == "v1"


@workflow.defn(name="UpgradeProbe")
class Unpatched(OldProbe):
    """New code without a patch: replaying an old history on it would fail; pinning never asks it to."""

    @workflow.run
    async def run(self, deadlines: int) -> list[str]:
        await workflow.sleep(0.01)  # a command the old code never issued
        await workflow.wait_condition(lambda: bool(self._commands))
        self._answers.append(f"v2:{self._commands.pop(0)}")
        return self._answers
