"""Simulated cadres carrying petitions through the closed loop over the REST API (fast policy)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx

from api.auth import issue_token
from domain.enums import Role
from evaluation.lives import pick

GRID, COMMUNITY, OTHER = "rc-yuehe-taibai-g1", "rc-yuehe-taibai", "rc-jiyang-caoqiao"
# how petitions go in real life, roughly: most are solved where they start
MIX = (("direct", 0.80), ("escalated_by_deadline", 0.10), ("returned", 0.05), ("reopened", 0.05))


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    closed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    closed_ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Cadres:
    def __init__(self, http: httpx.AsyncClient, secret: str, tally: Tally) -> None:
        self.http, self.tally = http, tally

        def bearer(role: Role, unit: str) -> dict[str, str]:
            token = issue_token(secret, subject=f"bench-{role.value}", name="bench", role=role, unit=unit, hours=24)
            return {"authorization": f"Bearer {token}"}

        self.grid, self.community = bearer(Role.GRID_WORKER, GRID), bearer(Role.COMMUNITY_STAFF, COMMUNITY)
        self.other = bearer(Role.COMMUNITY_STAFF, OTHER)
        self.dispatcher = bearer(Role.DISPATCHER, "rencheng")
        self.visitor = bearer(Role.RETURN_VISITOR, "rencheng")
        self.street = bearer(Role.STREET_STAFF, "rc-yuehe")

    async def call(self, op: str, method: str, path: str, who: dict[str, str], body: dict | None = None) -> dict:
        began = time.perf_counter()
        response = await self.http.request(method, path, headers=who, json=body)
        self.tally.latencies[op].append(time.perf_counter() - began)
        if response.status_code >= 300:
            raise RuntimeError(f"{op}: {response.status_code} {response.text[:200]}")
        return response.json()

    async def petition(self, kind: str) -> bool:
        """Carry one petition through the loop; True when it closed."""
        try:
            created = await self.call("intake", "POST", "/v1/petitions", self.grid, {
                "category": "sanitation", "description": f"bench {kind}", "grid_code": GRID})
            pid = created["id"]

            async def act(action: str, who: dict[str, str], body: dict | None = None) -> dict:
                return await self.call(action, "POST", f"/v1/petitions/{pid}/{action}", who, body or {})

            handler = self.grid
            if kind == "escalated_by_deadline":
                while (await self.call("read", "GET", f"/v1/petitions/{pid}", self.community))["level"] == "grid":
                    await asyncio.sleep(0.5)
                handler = self.community
            elif kind == "returned":
                await act("return", self.grid, {"reason": "不属本网格"})
                await act("dispatch", self.dispatcher, {"unit_code": OTHER})
                handler = self.other
            await act("accept", handler)
            await act("resolve", handler, {"result": "已处理"})
            if kind == "reopened":
                await act("return-visit", self.visitor, {"outcome": "dissatisfied"})
                await act("accept", handler)
                await act("resolve", handler, {"result": "再次处理"})
            closed = await act("return-visit", self.visitor, {"outcome": "satisfied"})
            assert closed["status"] == "closed", closed["status"]
            self.tally.closed[kind] += 1
            self.tally.closed_ids.append(pid)
            return True
        except Exception as exc:  # noqa: BLE001 - a failed loop is counted, not fatal to the run
            self.tally.failed[kind] += 1
            self.tally.errors.append(f"{kind}: {exc}"[:300])
            return False

    async def list_queries(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.call("list", "GET", "/v1/petitions", self.street)
            await self.call("queue", "GET", "/v1/queue", self.grid)
            await asyncio.sleep(0.5)


def pick_kind(rng: random.Random) -> str:
    return pick(rng, MIX)
