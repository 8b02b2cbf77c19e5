"""Intake (发现上报): one service reports a petition for every channel — the REST API, Open311, and the
hotline, 物业110 and visit days to come.

It checks every field (`services.intake_command.input_problem`: limits, blank text, control characters,
phone numbers, links — the same rules and messages for every channel), checks the category, finds the
grid (by code or by point), checks the reporter's reach, routes the petition (ladder, dispatch desk),
freezes the policy's rules into it, checks a petition it follows (结案后再诉), honours an Idempotency-Key
and starts the petition's workflow. It may not parse a channel's format or answer in it, and holds no
SQL (reads go through `eventstore/petition_queries.py`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from domain import commands as cmd
from domain.decider import NOT_REOPENABLE, sketch_of
from domain.duplicates import Candidate, DuplicateRule, Sketch
from domain.enums import Status
from domain.model import PetitionState
from domain.policy import Policy, Rules
from domain.workcalendar import CHINA, WorkCalendar
from eventstore.notification_log import set_opt_out
from eventstore.petition_locks import petition_locks
from eventstore.petition_queries import find_petition
from org.model import OrgTree
from services.duplicates import burst_for, candidates_for
from services.errors import (
    FollowedPetitionOpen,
    FollowUpNotAllowed,
    FollowUpWindowPassed,
    OutOfScope,
    PetitionNotFound,
    PetitionNotOpen,
    ReportInProgress,
    UnknownCategory,
)
from services.idempotency import claim_key, first_answer, keep_answer, update_id
from services.intake_command import Intake, input_problem, locate, report_command, route
from workflows.client import PetitionClient


def new_petition_id() -> str:
    """JH<date in Beijing>-<8 random hex digits>, e.g. JH20261129-3F2A9C01."""
    return f"JH{datetime.now(CHINA):%Y%m%d}-{secrets.token_hex(4).upper()}"


class Reach(Protocol):
    """What the reporter may reach in the org tree (the channel knows who is calling)."""

    def may_report_in(self, grid_code: str) -> bool:
        """Whether the reporter may report a petition in this grid (a known one)."""

    def may_see(self, row: dict[str, Any]) -> bool:
        """Whether the reporter may see this petition (a row of the petitions read model)."""


@dataclass(frozen=True)
class Reported:
    """The answer: the petition's state right after its report (`state`), or, for a retry of a keyed
    report that an earlier request already made, its read-model row as it is now (`row`, `state` None)."""

    petition_id: str
    state: PetitionState | None  # the petition as the report (or, for a keyed retry, the first report) left it
    row: dict[str, Any] | None = None  # None unless `state` is: the petition as it is now
    status: int = 201  # the HTTP status to answer: 201 Created, also for a keyed retry of the first one
    # issue 14 §5: open petitions that look like the same problem (the reporter may see them), and the burst the
    # report joined instead of making a petition (`petition_id` is then the burst's petition; status 200)
    candidates: tuple[Candidate, ...] = ()
    joined: JoinedBurst | None = None


@dataclass(frozen=True)
class JoinedBurst:
    """A report that joined a burst: the burst's petition, the reporter's number among its linked callers, and
    why it matched (`BurstMatch.describe`)."""

    petition_id: str
    caller: int
    reason: str


CREATED, OK = 201, 200


class IntakeService:
    """Reports petitions: one instance per process, holding the clients it needs."""

    def __init__(self, pool: asyncpg.Pool, petitions: PetitionClient, policy: Policy,
                 calendar: Callable[[], WorkCalendar], new_id: Callable[[], str] = new_petition_id,
                 duplicates: DuplicateRule | None = None) -> None:
        self._pool, self._petitions, self._policy = pool, petitions, policy
        self._calendar, self._new_id = calendar, new_id
        self._duplicates = duplicates or DuplicateRule()

    async def report(self, intake: Intake, org: OrgTree, reach: Reach) -> Reported:
        """Report `intake`. Raises (services/errors.py) InvalidField (a field that should not be stored;
        FieldTooLong: over its limit), UnknownCategory, a Location* error, OutOfScope (the grid is beyond
        `reach`), InvalidCommand (the org cannot route it), PetitionNotFound / FollowedPetitionOpen /
        FollowUpNotAllowed / FollowUpWindowPassed (`follows`), IdempotencyKeyReused, ReportInProgress (a
        keyed retry while the first is still starting)."""
        if (problem := input_problem(intake)) is not None:
            raise problem
        if intake.category not in org.categories:
            raise UnknownCategory(f"unknown category {intake.category!r}; see GET /v1/categories")
        grid_code = locate(org, intake.grid_code, intake.latitude, intake.longitude)
        if grid_code in org.units and not reach.may_report_in(grid_code):
            raise OutOfScope(f"grid {grid_code} is outside your unit")
        on_the_spot = intake.on_the_spot is not None or (intake.visit is not None and intake.visit.on_the_spot)
        where = route(org, grid_code, intake.category, from_grid=on_the_spot, compound=intake.compound)
        if intake.for_district_desk:
            intake = replace(intake, actor=intake.actor.model_copy(update={"unit_code": where.desk_code}))
        if (joined := await self._join_burst(intake, grid_code, reach)) is not None:
            return joined
        rules = self._policy.rules_for(intake.category, intake.urgency)
        follows_unit = await self._followed_unit(intake.follows, rules, reach) if intake.follows else ""
        petition_id, update = self._new_id(), None
        if intake.idempotency_key is not None:
            subject, key = intake.actor.id, intake.idempotency_key
            claimed = await claim_key(self._pool, subject, key, intake.request, petition_id)
            petition_id, update = claimed.petition_id, update_id(subject, key)
            # a retry: the first answer (the petition as its report left it, with the same status), also
            # after the petition moved on or closed; a retry while the first still runs shares its update
            if not claimed.first and (answer := await first_answer(self._pool, subject, key, claimed, petition_id)):
                return Reported(petition_id, answer.state, status=answer.status or CREATED,
                                candidates=answer.candidates)
        command = report_command(replace(intake, grid_code=grid_code), petition_id, where, self._policy.name,
                                 rules, follows_unit=follows_unit)
        if not intake.resident_sms:  # before the petition exists: no message can go out ahead of the choice
            await set_opt_out(self._pool, petition_id, True, "上报时群众表示不需要短信 / no SMS, said at report",
                              f"{intake.actor.name} ({intake.actor.id})")
        state = await self._petitions.report(command, update_id=update)
        if state is not None:
            candidates = await self._candidates(state, reach)
            if intake.idempotency_key is not None:
                await keep_answer(self._pool, intake.actor.id, intake.idempotency_key, state, CREATED, candidates)
            return Reported(petition_id, state, candidates=candidates)
        # an earlier request with this key already reported it (under rules from before keys kept answers)
        row = await find_petition(self._pool, petition_id)
        if row is None:
            raise ReportInProgress("a request with this Idempotency-Key is still being handled")
        return Reported(petition_id, None, row, status=OK)

    # --- issue 14 §5: duplicates and bursts ----------------------------------------------------------------

    async def _candidates(self, state: PetitionState, reach: Reach) -> tuple[Candidate, ...]:
        """The new petition's duplicate candidates the reporter may see (none for one closed at intake)."""
        if not state.open:
            return ()
        return tuple(await candidates_for(self._pool, sketch_of(state), self._duplicates, reach.may_see,
                                          datetime.now(CHINA)))

    async def _join_burst(self, intake: Intake, grid_code: str, reach: Reach) -> Reported | None:
        """A report inside a running burst the reporter may see joins it (no new petition, status 200): not one
        resolved on the spot, triaged, following a closed one, a visit team's matter (its round's tally counts
        it), or said to be another problem (`separate_matter`). None: it is reported as usual."""
        if intake.on_the_spot or intake.triage or intake.follows or intake.visit or intake.separate_matter:
            return None
        report = Sketch(category=intake.category, description=intake.description, grid_code=grid_code,
                        latitude=intake.latitude, longitude=intake.longitude)
        found = await burst_for(self._pool, report, reach.may_see, datetime.now(CHINA))
        if found is None:
            return None
        burst_id, update = found.row["id"], None
        if intake.idempotency_key is not None:
            subject, key = intake.actor.id, intake.idempotency_key
            claimed = await claim_key(self._pool, subject, key, intake.request, burst_id)
            if not claimed.first and (answer := await first_answer(self._pool, subject, key, claimed,
                                                                   claimed.petition_id)):
                return _joined(claimed.petition_id, answer.state, answer.status or OK)
            update = update_id(subject, key)
        command = cmd.JoinBurst(actor=intake.actor, category=intake.category, description=intake.description,
                                grid_code=grid_code, latitude=intake.latitude, longitude=intake.longitude,
                                reporter_name=intake.reporter_name, reporter_phone=intake.reporter_phone,
                                anonymous=intake.anonymous, confidential=intake.confidential,
                                request_type=intake.request_type)
        state = await self._petitions.send(burst_id, command, update_id=update)
        if intake.idempotency_key is not None:
            await keep_answer(self._pool, intake.actor.id, intake.idempotency_key, state, OK)
        return _joined(burst_id, state, OK, found.match.describe())

    async def link_caller(self, petition_id: str, command: cmd.LinkCaller, reach: Reach,
                          idempotency_key: str | None = None, request: dict[str, Any] | None = None) -> PetitionState:
        """The same matter with no new facts (接诉即办 Art. 11): link the caller to the open petition
        `petition_id` (one the agent may see) as another reporter; no new petition, no new order. Answers the
        petition as it now is (its progress, for the caller). PetitionNotFound; PetitionNotOpen (closed: reopen
        it or report one that follows it); IdempotencyKeyReused; the decider's refusals."""
        async with petition_locks(self._pool, [petition_id]):  # not while a merge moves its reporters away
            return await self._link_caller(petition_id, command, reach, idempotency_key, request)

    async def _link_caller(self, petition_id: str, command: cmd.LinkCaller, reach: Reach,
                           idempotency_key: str | None, request: dict[str, Any] | None) -> PetitionState:
        row = await find_petition(self._pool, petition_id)
        if row is None or not reach.may_see(row):
            raise PetitionNotFound(f"no petition {petition_id}")
        update = None
        if idempotency_key is not None:
            subject = command.actor.id
            claimed = await claim_key(self._pool, subject, idempotency_key,
                                      {"link": petition_id, "body": request or {}}, petition_id)
            if not claimed.first and (answer := await first_answer(self._pool, subject, idempotency_key, claimed,
                                                                   petition_id)):
                return answer.state
            update = update_id(subject, idempotency_key)
        if row["status"] == Status.CLOSED.value and row.get("duplicate_of"):
            raise PetitionNotOpen(f"petition {petition_id} was closed as a duplicate of {row['duplicate_of']}: "
                                  f"link the caller to {row['duplicate_of']}", field="same_as")
        if row["status"] == Status.CLOSED.value:
            raise PetitionNotOpen(f"petition {petition_id} is closed: a new call about it is reopened (reopen) or "
                                  "reported as a new petition that follows it", field="same_as")
        state = await self._petitions.send(petition_id, command, update_id=update)
        if idempotency_key is not None:
            await keep_answer(self._pool, command.actor.id, idempotency_key, state, OK)
        return state

    async def _followed_unit(self, follows: str, rules: Rules, reach: Reach) -> str:
        """结案后再诉: the petition followed must be one the reporter may see, closed, within the reopen window
        of the rules the new petition is reported under. Returns the unit charged with a reopen: the one
        that resolved it or held it last — nobody for a duplicate or a withdrawn petition."""
        row = await find_petition(self._pool, follows)
        if row is None or not reach.may_see(row):
            raise PetitionNotFound(f"no petition {follows}")
        if row["status"] != Status.CLOSED.value:
            raise FollowedPetitionOpen(f"petition {follows} is still open: urge it rather than report it again")
        window = rules.reopen_after_close
        if window is None:
            raise FollowUpNotAllowed("the policy in force has no window for following a closed petition")
        until = self._calendar().add(row["closed_at"], window.seconds, window.clock)
        if datetime.now(CHINA) > until:
            raise FollowUpWindowPassed(
                f"petition {follows} closed at {row['closed_at'].astimezone(CHINA):%Y-%m-%d %H:%M}; it could be "
                f"followed until {until.astimezone(CHINA):%Y-%m-%d %H:%M} (Beijing time)")
        if row["close_outcome"] in {o.value for o in NOT_REOPENABLE}:
            return ""
        return row["unit_code"] or ""


def _joined(petition_id: str, state: PetitionState, status: int, why: str = "") -> Reported:
    """The answer of a report that joined the burst of `petition_id`: the burst petition as the join left it
    (its last linked caller is the one this report linked), and why: the burst's reason, and where the report
    matched (`why`, '' on a keyed retry)."""
    caller = state.linked_callers[-1].caller if state.linked_callers else 0
    burst = f"{state.burst.reason} (至 {state.burst.until.astimezone(CHINA):%m-%d %H:%M})" if state.burst else ""
    return Reported(petition_id, state, status=status,
                    joined=JoinedBurst(petition_id, caller, "; ".join(x for x in (burst, why) if x)))
