"""The fault suite's invariant checks (benchmarks/faults/invariants.py) pass a clean snapshot and find each
kind of violation in a doctored one: a check that could not fail would prove nothing."""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.faults.cadres import Command
from benchmarks.faults.invariants import CHECKS, Snapshot, check, conflicts_one_winner, folded
from config.reference_data import DEMO_ORG
from domain import commands as cmd
from domain.events import event_data
from org.loader import load_org_file
from tests.unit.domain_helpers import VISITOR, Petition

ORG = load_org_file(Path(str(DEMO_ORG)))
T0 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def clean() -> Snapshot:
    """One petition carried through the loop by three commands (each with its update id), a deadline on the way."""
    p = Petition(ORG, T0, policy="fast")
    rows: list[dict] = []
    commands: list[Command] = []

    def logged(events: list, update: str | None) -> None:
        for event in events:
            rows.append({"stream_id": "P-1", "version": len(rows) + 1, "event_id": str(uuid.uuid4()),
                         "type": event.type, "data": event_data(event),
                         "metadata": {"update_id": update} if update else {}})

    logged(p.events, "u-report")
    commands.append(Command(0, "report", "P-1", "s", "k0", "u-report", status=201))
    p.now += timedelta(seconds=1)
    logged(p.send(cmd.Accept(actor=p.handler)), "u-accept")
    commands.append(Command(1, "accept", "P-1", "s", "k1", "u-accept", status=200, pair="accept_accept:P-1"))
    commands.append(Command(2, "accept", "P-1", "s2", "k2", "u-accept-2", status=409, pair="accept_accept:P-1"))
    logged(p.wait(timedelta(seconds=3)), None)  # the yellow card: a timer's event, no command
    logged(p.send(cmd.Resolve(actor=p.handler, result="已处理")), "u-resolve")
    commands.append(Command(3, "resolve", "P-1", "s", "k3", "u-resolve", status=200))
    logged(p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome="satisfied")), "u-visit")
    commands.append(Command(4, "return-visit", "P-1", "s", "k4", "u-visit", status=200))
    assert p.state.status.value == "closed"
    state = folded(rows, "P-1")
    notification = {"delivery_id": "d-1", "event_id": rows[0]["event_id"], "audience": "holder",
                    "unit_code": "rc-yuehe-taibai-g1", "role": "grid_worker", "channel": "webhook", "address": ""}
    return Snapshot(events=rows, rows={"P-1": {"status": state.status.value, "version": state.version,
                                               "level": state.rung.level.value, "unit_code": state.rung.unit_code}},
                    workflow_versions={}, rebuild_differs=[], audit_findings=[], notifications=[notification],
                    hub=Counter({"d-1": 1}), commands=commands, now=p.now + timedelta(seconds=5), petitions=["P-1"])


def doctored(kind: str) -> Snapshot:
    s = copy.deepcopy(clean())
    events = s.events
    if kind == "state equals its events (replayed through domain.evolve)":
        s.rows["P-1"]["status"] = "accepted"  # the read model says what the events do not
    elif kind == "stream versions contiguous, event ids unique":
        events[3]["version"] = 9  # a gap
    elif kind == "no deadline breached twice":
        p = Petition(ORG, T0, policy="fast")
        fired = p.wait(timedelta(seconds=7))  # the accept deadline (6 s) breached...
        breach = next(e for e in fired if e.type == "DeadlineBreached")
        s.events = [{"stream_id": "P-2", "version": i + 1, "event_id": str(uuid.uuid4()), "type": e.type,
                     "data": event_data(e), "metadata": {}} for i, e in enumerate([*p.events, *fired, breach])]
        s.events[-1]["event_id"] = str(uuid.uuid4())  # ...and recorded a second time
        s.now = p.now
    elif kind == "no deadline passed without its event":
        s.events = [e for e in events if e["type"] in ("PetitionReported", "WorkOrderAssigned")]
        s.now = T0 + timedelta(minutes=5)  # its accept deadline passed long ago, and nothing fired
    elif kind == "every 2xx command is in the log":
        events[2]["metadata"] = {}  # the acceptance lost its update id: the 2xx accept is not in the log
    elif kind == "no 4xx command is in the log":
        s.commands[2].update_id = "u-resolve"  # a refused command whose update is in the log
    elif kind == "every command answered":
        s.commands[4].status = 0
    elif kind == "conflicting pairs: one 2xx, one 409":
        s.commands[2].status = 200  # both cadres won
    elif kind == "read model equals a rebuild":
        s.rebuild_differs = ["P-1"]
    elif kind == "notifications at most once per recipient and event":
        s.notifications.append({**s.notifications[0], "delivery_id": "d-2"})
        s.hub["d-2"] = 1  # the same event told twice to the same recipient, under two delivery ids
    elif kind == "audit chain verifies":
        s.audit_findings = ["edited: P-1 v2: hash differs"]
    return s


def test_a_clean_snapshot_passes_every_check():
    assert {name: found for name, found in check(clean()).items() if found} == {}


@pytest.mark.parametrize("name", list(CHECKS))
def test_each_check_finds_its_violation(name: str):
    found = check(doctored(name))
    assert found[name], f"{name} missed the doctored violation"


def test_both_losing_passes_only_when_the_clock_won():
    """A pair where both answers are 409 had no winner: a violation, unless a deadline moved the petition first
    (an escalation with no command's update id); a 403 is never the clear answer."""
    s = clean()
    s.commands[1].status = 409
    assert check(s)["conflicting pairs: one 2xx, one 409"]
    s.events.append({**s.events[-1], "version": len(s.events) + 1, "event_id": str(uuid.uuid4()),
                     "type": "PetitionEscalated", "metadata": {}})
    assert not conflicts_one_winner(s)
    s.commands[1].status = 403
    assert conflicts_one_winner(s)


def test_a_delivery_posted_again_is_not_a_second_notification():
    """The same delivery id POSTed twice (a retry after a crash) is one notification: the hub takes it once."""
    s = clean()
    s.hub["d-1"] = 2
    assert not check(s)["notifications at most once per recipient and event"]


def test_a_command_invalid_on_its_own_is_no_race_but_the_other_must_still_be_explained():
    """A 422 (say, a return after the return window) lost no race: the pair passes if the other won, or got a
    409 the clock explains; a 409 nothing explains is still a violation."""
    s = clean()
    s.commands[2].status = 422
    assert not conflicts_one_winner(s)  # the other won
    s.commands[1].status = 409
    assert conflicts_one_winner(s)  # nobody won and nothing moved the petition
    s.events.append({**s.events[-1], "version": len(s.events) + 1, "event_id": str(uuid.uuid4()),
                     "type": "PetitionEscalated", "metadata": {}})
    assert not conflicts_one_winner(s)  # the clock moved it first


def test_a_stream_that_moved_while_read_may_be_behind_but_never_ahead():
    """A deadline fired between reading the workflow and the log: the workflow behind its stream is no finding;
    a workflow (or row) ahead of the log it says it wrote is one."""
    s = clean()
    last = s.events[-1]["version"]
    s.workflow_versions["P-1"] = last + 1
    assert check(s)["state equals its events (replayed through domain.evolve)"]
    s.moving = {"P-1"}
    assert check(s)["state equals its events (replayed through domain.evolve)"]  # ahead: still a violation
    s.workflow_versions["P-1"] = last - 1
    assert not check(s)["state equals its events (replayed through domain.evolve)"]
