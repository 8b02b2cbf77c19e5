"""Simulated cadres acting on petitions through the REST API, every command with its own Idempotency-Key,
retried with the same key while the answer is no answer (connection cut, API killed) or a 5xx; every attempt
and every command's final answer go into a `Journal`.

A petition's life is a short script (`LIVES`) run from intake until it ends or a command is refused; a
conflict life sends two cadres' contradicting commands at the same moment (`PAIRS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from api.auth import issue_token
from benchmarks.faults.processes import DEPARTMENT
from domain.enums import Role
from services.idempotency import update_id

GRID, COMMUNITY, DISTRICT = "rc-yuehe-taibai-g1", "rc-yuehe-taibai", "rencheng"
RETRY_FOR = 300.0  # seconds a command is retried (same key) before the cadre gives up on an answer
RETRYABLE_409 = ("in_progress", "stream_conflict")  # 409s that say "not yet, try again" (every 5xx is retried)
# the lives and how often each is picked (weights)
LIVES = (("direct", 25), ("extension", 10), ("reopened", 10), ("escalated", 10), ("department", 10), ("idle", 5),
         ("conflict", 30))
# two cadres at the same moment; exactly one may win, the loser gets 409 (conflict lives pick one)
PAIRS = ("accept_accept", "resolve_return", "resolve_escalate", "return_escalate", "visit_visit")


@dataclass
class Command:
    """One command as the cadre meant it: its key and update id, and its final answer (0: none in time)."""

    seq: int
    action: str
    petition_id: str
    subject: str
    key: str
    update_id: str
    status: int = 0
    code: str = ""
    attempts: int = 0
    pair: str = ""  # the conflict pair's id, '' for a lone command
    at: float = 0.0


@dataclass
class Journal:
    """Every command sent and every attempt's HTTP answer (written as JSON lines by `write`)."""

    commands: list[Command] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    petitions: list[str] = field(default_factory=list)
    lives: dict[str, int] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        """Write the commands and the attempts to `path` (JSON lines, `kind` says which)."""
        with path.open("w") as out:
            for command in self.commands:
                out.write(json.dumps({"kind": "command", **asdict(command)}, ensure_ascii=False) + "\n")
            for attempt in self.attempts:
                out.write(json.dumps({"kind": "attempt", **attempt}, ensure_ascii=False) + "\n")

    def answer_classes(self) -> dict[str, int]:
        """Commands by the class of their final answer: 2xx, 4xx, 5xx, none."""
        counts = {"2xx": 0, "4xx": 0, "5xx": 0, "none": 0}
        for command in self.commands:
            counts["none" if command.status == 0 else f"{command.status // 100}xx"] += 1
        return counts


@dataclass(frozen=True)
class Who:
    """A cadre: the token's subject and its bearer header."""

    subject: str
    headers: dict[str, str]


Step = tuple[str, Who, dict[str, Any]]  # an action, who sends it, its body


class Cadres:
    """The cadres of one grid's ladder, its district's dispatcher and return visitors, and the department's
    staff, talking to the API at `base_url`."""

    def __init__(self, base_url: str, secret: str, journal: Journal, rng: random.Random) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60, connect=5),
                                      limits=httpx.Limits(max_connections=64))
        self.journal, self.rng = journal, rng
        self.closing = False  # set at the run's cap: lives send no further step (commands in flight finish)

        def who(role: Role, unit: str, n: int = 1) -> Who:
            subject = f"faults-{role.value}-{n}"
            token = issue_token(secret, subject=subject, name=f"故障{n}", role=role, unit=unit, hours=24)
            return Who(subject, {"authorization": f"Bearer {token}"})

        self.grid, self.grid2 = who(Role.GRID_WORKER, GRID), who(Role.GRID_WORKER, GRID, 2)
        self.community = who(Role.COMMUNITY_STAFF, COMMUNITY)
        self.dispatcher = who(Role.DISPATCHER, DISTRICT)
        self.visitor, self.visitor2 = who(Role.RETURN_VISITOR, DISTRICT), who(Role.RETURN_VISITOR, DISTRICT, 2)
        self.department = who(Role.DEPARTMENT_STAFF, DEPARTMENT)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.http.aclose()

    async def send(self, action: str, petition_id: str, who: Who, body: dict[str, Any], pair: str = ""
                   ) -> tuple[Command, dict[str, Any]]:
        """POST the command (intake when `action` is 'report') with a fresh Idempotency-Key, retrying with the
        same key on no answer, a 5xx, a 'try again' 409 or a 429 (after its Retry-After, as a well-behaved client
        waits for the intake rate limit: docs/hostile-input.md) for up to RETRY_FOR seconds. Returns the command
        (recorded in the journal) and the final answer's JSON ({} if none)."""
        key = uuid.uuid4().hex
        path = "/v1/petitions" if action == "report" else f"/v1/petitions/{petition_id}/{action}"
        command = Command(len(self.journal.commands), action, petition_id, who.subject, key,
                          update_id(who.subject, key), pair=pair, at=time.time())
        self.journal.commands.append(command)
        give_up, pause, answer = time.monotonic() + RETRY_FOR, 0.2, {}
        while True:
            command.attempts += 1
            status, code, request_id = 0, "", ""
            try:
                response = await self.http.post(path, json=body, headers={**who.headers, "idempotency-key": key})
                status, request_id = response.status_code, response.headers.get("x-request-id", "")
                with contextlib.suppress(ValueError):
                    answer = response.json()
                code = str(answer.get("code", "")) if status >= 400 and isinstance(answer, dict) else ""
            except httpx.HTTPError as error:
                code = type(error).__name__
            self.journal.attempts.append({"seq": command.seq, "attempt": command.attempts, "status": status,
                                          "code": code, "request_id": request_id, "at": time.time()})
            retry = status in (0, 429) or status >= 500 or (status == 409 and any(c in code for c in RETRYABLE_409))
            if not retry:
                command.status, command.code = status, code
                if action == "report" and status < 300:
                    command.petition_id = str(answer.get("id", ""))
                return command, answer if isinstance(answer, dict) else {}
            if time.monotonic() > give_up:
                command.code = code
                return command, {}
            if status == 429:
                await asyncio.sleep(min(30.0, float(response.headers.get("retry-after", "1"))))
                continue
            await asyncio.sleep(pause)
            pause = min(3.0, pause * 1.6)

    async def think(self) -> None:
        """A cadre's pause between two steps (0–1.5 s)."""
        await asyncio.sleep(self.rng.uniform(0, 1.5))

    async def life(self, kind: str) -> str:
        """Run one petition's life of `kind` (LIVES); returns its id ('' if intake gave none)."""
        report, answer = await self.send("report", "", self.grid, {
            "category": "sanitation", "description": f"故障演练 {kind} 小区门口垃圾堆积", "grid_code": GRID})
        pid = report.petition_id
        if report.status >= 300 or not pid:
            return ""
        self.journal.petitions.append(pid)
        self.journal.lives[kind] = self.journal.lives.get(kind, 0) + 1
        steps = _steps(self, kind)
        if kind == "conflict":
            await self.conflict(pid, self.rng.choice(PAIRS))
            return pid
        for action, who, body in steps:
            await self.think()
            if self.closing:
                break
            command, _ = await self.send(action, pid, who, body)
            if command.status >= 300 or command.status == 0:
                break
        return pid

    async def conflict(self, pid: str, pair: str) -> None:
        """Bring the petition to where the pair contradicts itself, then send both at once."""
        grid, visitor = self.grid, self.visitor
        resolve: Step = ("resolve", grid, {"result": "已处理"})
        first: Step
        second: Step
        if pair == "accept_accept":
            first, second = ("accept", grid, {}), ("accept", self.grid2, {})
        elif pair in ("resolve_return", "resolve_escalate"):
            if not await self._steps_ok(pid, [("accept", grid, {})]):
                return
            first = resolve
            second = ("return", self.grid2, {"reason": "不属本网格"}) if pair == "resolve_return" else \
                ("escalate", self.grid2, {"reason": "需社区协调"})
        elif pair == "return_escalate":  # before anyone accepted it
            first = ("return", grid, {"reason": "不属本网格"})
            second = ("escalate", self.grid2, {"reason": "需社区协调"})
        else:  # two return visitors record opposite outcomes of the same visit
            if not await self._steps_ok(pid, [("accept", grid, {}), resolve]):
                return
            first = ("return-visit", visitor, {"outcome": "satisfied"})
            second = ("return-visit", self.visitor2, {"outcome": "dissatisfied"})
        tag = f"{pair}:{pid}"
        await asyncio.gather(self.send(*_args(first, pid), pair=tag), self.send(*_args(second, pid), pair=tag))

    async def _steps_ok(self, pid: str, steps: list[tuple[str, Who, dict[str, Any]]]) -> bool:
        for action, who, body in steps:
            if self.closing:
                return False
            command, _ = await self.send(action, pid, who, body)
            if not 200 <= command.status < 300:
                return False
        return True


def _args(step: tuple[str, Who, dict[str, Any]], pid: str) -> tuple[str, str, Who, dict[str, Any]]:
    action, who, body = step
    return action, pid, who, body


def _steps(c: Cadres, kind: str) -> list[Step]:
    accept: Step = ("accept", c.grid, {})
    resolve: Step = ("resolve", c.grid, {"result": "已处理"})
    satisfied: Step = ("return-visit", c.visitor, {"outcome": "satisfied"})
    if kind == "direct":
        return [accept, ("progress", c.grid, {"note": "正在处理"}), resolve, satisfied]
    if kind == "extension":
        return [accept, ("extension-request", c.grid, {"duration": {"seconds": 5}, "reason": "需协调物业"}),
                ("extension-decision", c.community, {"approve": True, "note": "同意"}), resolve, satisfied]
    if kind == "reopened":
        return [accept, resolve, ("return-visit", c.visitor, {"outcome": "dissatisfied"}), accept,
                ("resolve", c.grid, {"result": "再次处理"}), satisfied]
    if kind == "escalated":  # the grid asks the community to take it; the dispatcher urges the community
        return [accept, ("escalate", c.grid, {"reason": "需社区协调"}), ("urge", c.dispatcher, {"note": "请尽快处理"}),
                ("accept", c.community, {}), ("resolve", c.community, {"result": "社区已协调"}), satisfied]
    if kind == "department":
        return [("return", c.grid, {"reason": "需执法局处理"}),
                ("dispatch", c.dispatcher, {"unit_code": DEPARTMENT, "note": "转执法局"}),
                ("accept", c.department, {}), ("resolve", c.department, {"result": "已执法"}), satisfied]
    return []  # idle: reported, then left to its deadlines (and conflict: see Cadres.conflict)


def pick_life(rng: random.Random) -> str:
    """A life kind drawn by the weights of LIVES."""
    return rng.choices([k for k, _ in LIVES], weights=[w for _, w in LIVES])[0]

