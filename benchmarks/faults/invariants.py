"""The invariants the fault suite checks after the faults, as pure functions of a `Snapshot` (what the log,
the read model, Temporal, the notifications table, the hub and the cadres' journal say), so a doctored
snapshot shows that each check can fail (tests/unit/test_fault_invariants.py).

Each check returns its violations, one line each; the suite passes when every list is empty.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from benchmarks.faults.cadres import Command
from domain.enums import Status
from domain.events import event_from
from domain.evolve import fold
from domain.model import PetitionState
from domain.timers import due_item

GRACE = timedelta(seconds=30)  # a deadline this far past with no event for it is a missed timer


@dataclass
class Snapshot:
    """Everything the checks read. `events`: the log's rows (stream_id, version, event_id, type, data, metadata),
    in stream order; `rows`: the petitions read model by id (status, version, level, unit_code); `workflow_versions`:
    the running workflows' own version by petition id; `rebuild_differs`: ids whose live row differs from a rebuild;
    `audit_findings`: what `jiehu audit verify` found; `notifications`: the notifications table's rows;
    `hub`: POSTs the messaging hub received per delivery id; `commands`: the cadres' journal; `now`: the check time
    (UTC)."""

    events: list[dict[str, Any]]
    rows: dict[str, dict[str, Any]]
    workflow_versions: dict[str, int]
    rebuild_differs: list[str]
    audit_findings: list[str]
    notifications: list[dict[str, Any]]
    hub: Counter[str]
    commands: list[Command]
    now: datetime
    petitions: list[str] = field(default_factory=list)  # the petitions the cadres reported
    # streams that grew while the snapshot was read (a deadline fired meanwhile): their row and workflow were read
    # earlier than their events, so they may be behind them, never ahead
    moving: set[str] = field(default_factory=set)

    def streams(self) -> dict[str, list[dict[str, Any]]]:
        """The petitions' streams (those that begin with a report), events in version order."""
        by_stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in self.events:
            by_stream[event["stream_id"]].append(event)
        return {sid: sorted(evs, key=lambda e: e["version"]) for sid, evs in by_stream.items()
                if any(e["type"] == "PetitionReported" for e in evs)}


def folded(events: list[dict[str, Any]], stream_id: str) -> PetitionState:
    """The petition's state: its events through the pure core's `evolve` (domain/evolve.py)."""
    return fold(PetitionState(id=stream_id), (event_from(e["type"], e["data"]) for e in events))


def state_matches_events(s: Snapshot) -> list[str]:
    """Every petition's read-model row and running workflow say what folding its events says (status, version,
    holding level and unit); every petition the cadres were told exists has a stream."""
    out = []
    streams = s.streams()
    for pid in s.petitions:
        if pid not in streams:
            out.append(f"{pid}: reported (2xx) but has no stream")
    for sid, events in streams.items():
        try:
            state = folded(events, sid)
        except Exception as error:  # noqa: BLE001 - an event the core cannot fold is itself the finding
            out.append(f"{sid}: its events do not fold: {error}"[:300])
            continue
        row = s.rows.get(sid)
        want = {"status": state.status.value, "version": state.version,
                "level": state.rung.level.value if state.rung else None,
                "unit_code": state.rung.unit_code if state.rung else None}
        workflow = s.workflow_versions.get(sid)
        if sid in s.moving:  # read at two moments: behind the events is fine, ahead of them never
            if row is not None and row["version"] > state.version or workflow is not None and workflow > state.version:
                out.append(f"{sid}: the read model ({row and row['version']}) or the workflow ({workflow}) is ahead "
                           f"of its stream ({state.version})")
            continue
        if row is None:
            out.append(f"{sid}: no read-model row")
        elif (got := {k: row.get(k) for k in want}) != want:
            out.append(f"{sid}: the read model says {got}, its events {want}")
        if workflow is not None and workflow != state.version:
            out.append(f"{sid}: the workflow is at version {workflow}, its stream at {state.version}")
    return out


def streams_contiguous(s: Snapshot) -> list[str]:
    """Each stream's versions are 1..n without a gap or a repeat; no event id occurs twice in the log."""
    out = []
    by_stream: dict[str, list[int]] = defaultdict(list)
    for event in s.events:
        by_stream[event["stream_id"]].append(event["version"])
    for sid, versions in by_stream.items():
        if sorted(versions) != list(range(1, len(versions) + 1)):
            out.append(f"{sid}: versions {sorted(versions)[:20]} are not 1..{len(versions)}")
    ids = Counter(str(e["event_id"]) for e in s.events)
    out += [f"event id {eid} occurs {n} times" for eid, n in ids.items() if n > 1]
    return out


def breaches_at_most_once(s: Snapshot) -> list[str]:
    """No deadline is breached twice: one DeadlineBreached per (petition, deadline kind, unit, due time)."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    for e in s.events:
        if e["type"] == "DeadlineBreached":
            d = e["data"]
            seen[(e["stream_id"], d["deadline"], d["unit_code"], str(d["due"]))] += 1
    return [f"{sid}: the {kind} deadline of {unit} due {due} breached {n} times"
            for (sid, kind, unit, due), n in seen.items() if n > 1]


def no_deadline_missed(s: Snapshot) -> list[str]:
    """Every deadline that passed more than GRACE ago while the petition was open has its event (a breach, a
    warning, a return visit lapsing): folding the stream leaves no pending deadline that far in the past; and no
    department's order still waits on its queue that long (its worker is back)."""
    out = []
    for sid, events in s.streams().items():
        try:
            state = folded(events, sid)
        except Exception:  # noqa: BLE001 - reported by state_matches_events
            continue
        item = due_item(state)
        if state.open and item is not None and item.at < s.now - GRACE:
            out.append(f"{sid}: its {item.kind} deadline passed at {item.at.isoformat()} with no event for it")
        pending = state.delivery_pending_since
        if state.open and pending is not None and pending < s.now - GRACE:
            out.append(f"{sid}: its department order has waited on its queue since {pending.isoformat()}")
    return out


def acknowledged_in_log(s: Snapshot) -> list[str]:
    """Every command answered 2xx is in its petition's stream (its events carry the command's update id, kept in
    `metadata.update_id`; a keyed command's id is services.idempotency.update_id(subject, key))."""
    logged: dict[str, set[str]] = defaultdict(set)
    for e in s.events:
        if update := (e["metadata"] or {}).get("update_id"):
            logged[e["stream_id"]].add(update)
    return [f"command {c.seq} {c.action} on {c.petition_id} answered {c.status} but is not in its stream"
            for c in s.commands if 200 <= c.status < 300 and c.update_id not in logged.get(c.petition_id, set())]


def refused_not_in_log(s: Snapshot) -> list[str]:
    """No command answered 4xx left an event anywhere in the log (a refused command never touches history)."""
    logged = {(e["metadata"] or {}).get("update_id") for e in s.events}
    return [f"command {c.seq} {c.action} on {c.petition_id} answered {c.status} ({c.code}) but is in the log"
            for c in s.commands if 400 <= c.status < 500 and c.update_id in logged]


def every_command_answered(s: Snapshot) -> list[str]:
    """Every command got a final answer (2xx or 4xx) within its retries: the stack came back after every fault."""
    return [f"command {c.seq} {c.action} on {c.petition_id or '(intake)'} got no final answer "
            f"({c.attempts} attempts, last {c.code or c.status})" for c in s.commands if not 200 <= c.status < 500]


CLOCK_MOVES = ("PetitionEscalated", "ReturnVisitRecorded", "PetitionClosed")  # a timer's events that move a petition


def conflicts_one_winner(s: Snapshot) -> list[str]:
    """Of two contradicting commands sent at once, exactly one won (2xx) and the other got 409. Both may get 409
    only when a third party won the race: the clock (an escalation by deadline, a return visit lapsing: an event
    of CLOCK_MOVES with no command's update id in the petition's stream). A 422 is a command invalid on its own
    (e.g. a return after the policy's return window): no race was run, and the other answer must still be a
    win, or a 409 the clock explains."""
    pairs: dict[str, list[Command]] = defaultdict(list)
    for c in s.commands:
        if c.pair:
            pairs[c.pair].append(c)
    clock_moved = {e["stream_id"] for e in s.events
                   if e["type"] in CLOCK_MOVES and not (e["metadata"] or {}).get("update_id")}
    out = []
    for tag, both in pairs.items():
        answers = sorted(c.status for c in both)
        if len(both) != 2 or answers[0] == 0:
            continue  # unanswered: every_command_answered says so
        if 200 <= answers[0] < 300 and answers[1] == 409:
            continue
        if answers == [409, 409] and both[0].petition_id in clock_moved:
            continue
        if answers[1] == 422 and (200 <= answers[0] < 300 or answers[0] == 422 or
                                  (answers[0] == 409 and both[0].petition_id in clock_moved)):
            continue
        out.append(f"{tag}: answers {answers}, not one 2xx and one 409")
    return out


def conflicts_not_raced(s: Snapshot) -> dict[str, int]:
    """Pairs that were no clean race (figures): both lost to a deadline (409, 409), one invalid on its own (a 422)."""
    pairs: dict[str, list[int]] = defaultdict(list)
    for c in s.commands:
        if c.pair:
            pairs[c.pair].append(c.status)
    return {"both_lost_to_a_deadline": sum(1 for answers in pairs.values() if answers == [409, 409]),
            "one_invalid_on_its_own": sum(1 for answers in pairs.values() if 422 in answers)}


def read_model_equals_rebuild(s: Snapshot) -> list[str]:
    """The live petitions read model equals one rebuilt from the log (eventstore.petition_projection.verify)."""
    return [f"{pid}: the live row differs from the rebuilt one" for pid in s.rebuild_differs]


def notified_at_most_once(s: Snapshot) -> list[str]:
    """Each event is told to each recipient at most once: one notification row per (event, audience, unit, role,
    channel, address), and the hub never received two different deliveries for one; the hub received nothing
    jiehu did not record. (The same delivery POSTed again after a crash carries its id as Idempotency-Key: the hub
    takes it once; such repeats are counted, not violations.)"""
    out = []
    recipients: Counter[tuple[str, ...]] = Counter()
    owner: dict[str, tuple[str, ...]] = {}
    for n in s.notifications:
        key = (str(n["event_id"]), n["audience"], n["unit_code"], n["role"], n["channel"], n["address"])
        recipients[key] += 1
        owner[str(n["delivery_id"])] = key
    out += [f"event {k[0]}: {n} notification rows for {k[1:]}" for k, n in recipients.items() if n > 1]
    received: Counter[tuple[str, ...]] = Counter()
    for delivery in s.hub:
        if delivery not in owner:
            out.append(f"the hub received delivery {delivery!r} that no notification row names")
        else:
            received[owner[delivery]] += 1
    out += [f"event {k[0]}: {n} deliveries to {k[1:]}" for k, n in received.items() if n > 1]
    return out


def audit_chain_holds(s: Snapshot) -> list[str]:
    """`jiehu audit verify` passes: every stream's hash chain and every anchor hold (eventstore/audit.py)."""
    return list(s.audit_findings)


CHECKS: dict[str, Callable[[Snapshot], list[str]]] = {
    "state equals its events (replayed through domain.evolve)": state_matches_events,
    "stream versions contiguous, event ids unique": streams_contiguous,
    "no deadline breached twice": breaches_at_most_once,
    "no deadline passed without its event": no_deadline_missed,
    "every 2xx command is in the log": acknowledged_in_log,
    "no 4xx command is in the log": refused_not_in_log,
    "every command answered": every_command_answered,
    "conflicting pairs: one 2xx, one 409": conflicts_one_winner,
    "read model equals a rebuild": read_model_equals_rebuild,
    "notifications at most once per recipient and event": notified_at_most_once,
    "audit chain verifies": audit_chain_holds,
}


def check(s: Snapshot) -> dict[str, list[str]]:
    """Every check's violations, by the check's name (CHECKS)."""
    return {name: fn(s) for name, fn in CHECKS.items()}


def closed(s: Snapshot) -> int:
    """How many of the petitions are closed (a figure)."""
    return sum(1 for row in s.rows.values() if row.get("status") == Status.CLOSED.value)
