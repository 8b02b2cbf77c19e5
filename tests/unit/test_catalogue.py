"""The command catalogue is the one source of each command's name, roles and handler: the workflow's
updates, the client, the API's routes and role check all agree with it, and the update names stay the
ones recorded histories hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest
from fastapi.routing import APIRoute
from temporalio.workflow import _Definition

from api.routes import commands, duplicates, petitions, reopen
from api.scope import ROLES_OF_ACTION
from domain import commands as cmd
from domain.catalogue import BY_ACTION, BY_TYPE, CATALOGUE, UPDATES, Stage, decide
from domain.enums import Role
from domain.errors import InvalidState, NotPermitted
from domain.model import Actor, PetitionState
from tests.unit.decider_spec import CAL, MONDAY
from workflows.client import UPDATE_NAMES
from workflows.petition import PetitionWorkflow

HISTORIES = Path(__file__).parent.parent / "histories"

# Never change this list: running petitions' histories hold these names (add new ones at the end).
RECORDED_UPDATE_NAMES = (
    "report", "dispatch", "accept", "return", "allow_return", "escalate", "extension_request",
    "extension_decision", "pause", "resume", "progress", "resolve", "urge", "return_visit", "close", "reopen_closed",
    "open_work_order", "report_on_the_spot", "report_triaged", "link_caller", "linked_caller_visit",
    "report_visit_matter",  # issue 14 §4
    # issue 14 §3 (物业110)
    "company_callback",
    # issue 14 §5: duplicates and bursts
    "merge", "absorb_merged", "declare_burst", "join_burst",
)


def test_the_update_names_are_the_ones_running_petitions_were_sent() -> None:
    assert tuple(spec.name for spec in UPDATES) == RECORDED_UPDATE_NAMES


def test_every_update_in_the_recorded_histories_is_in_the_catalogue() -> None:
    sent = set()
    for path in HISTORIES.glob("*.json"):
        for event in json.loads(path.read_text())["events"]:
            accepted = event.get("workflowExecutionUpdateAcceptedEventAttributes")
            if accepted:
                sent.add(accepted["acceptedRequest"]["input"]["name"])
    assert sent and sent <= {spec.name for spec in UPDATES}


def test_every_command_but_the_timers_tick_is_in_the_catalogue_once() -> None:
    assert set(get_args(cmd.Command)) - {cmd.Tick} == set(BY_TYPE)
    assert len(BY_TYPE) == len(CATALOGUE)
    assert all(spec.summary and spec.roles for spec in CATALOGUE)


def test_the_workflow_has_exactly_one_validated_update_per_catalogue_command() -> None:
    definition = _Definition.from_class(PetitionWorkflow)
    assert definition is not None
    assert set(definition.updates) == {spec.name for spec in UPDATES}
    for spec in UPDATES:
        update = definition.updates[spec.name]
        assert update.arg_types == [spec.command], spec.name  # Temporal decodes the payload into this class
        assert update.ret_type is PetitionState
        assert update.validator is not None, f"{spec.name} has no validator"
        assert update.fn.__doc__ == spec.summary  # each update says why it exists


def test_the_client_sends_each_command_under_its_update_name() -> None:
    assert UPDATE_NAMES == {spec.command: spec.name for spec in UPDATES}


def test_every_action_of_the_catalogue_has_one_route() -> None:
    posted = [route.path for router in (commands.router, reopen.router, petitions.router, duplicates.router)
              for route in router.routes
              if isinstance(route, APIRoute) and "POST" in route.methods]
    prefix = "/v1/petitions/{petition_id}/"
    actions = [path.removeprefix(prefix) for path in posted if path.startswith(prefix)]
    assert sorted(actions) == sorted(action for action in BY_ACTION if action != "report")
    assert "/v1/petitions" in posted  # report: a new petition


def test_the_api_checks_the_catalogue_roles() -> None:
    for action, spec in BY_ACTION.items():
        assert ROLES_OF_ACTION[action] == spec.roles, action


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda spec: spec.name)
def test_decide_refuses_every_role_the_catalogue_does_not_grant(spec) -> None:
    """Callers that do not pass through the API (the what-if, simulations, the reopen check) meet the
    same roles. Checked before anything else, so an unreported petition and a bare command do."""
    unreported = PetitionState(id="P-1")
    for role in Role:
        command = spec.command.model_construct(actor=Actor(id="x", name="x", unit_code="rencheng", role=role))
        if role in spec.roles:
            if spec.stage is not Stage.NEW:  # past the role check: refused for the petition's stage
                with pytest.raises(InvalidState, match="not been reported"):
                    decide(unreported, command, MONDAY, CAL)
        else:
            with pytest.raises(NotPermitted, match=f"{spec.action or spec.name} needs one of the roles"):
                decide(unreported, command, MONDAY, CAL)
