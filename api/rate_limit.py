"""Per-client rate limits on intake (issue 16 §3): a runaway client or a flood of reports gets 429.

A token bucket per client, in this API process's memory: each client may send `burst` reports at once
and then `per_minute` a minute (`JIEHU_INTAKE_BURST`, `JIEHU_INTAKE_PER_MINUTE`; 0 a minute turns the
limit off). With several API processes behind a proxy each keeps its own buckets, so a client that
the proxy spreads across N processes may send up to N times as much: the limit stops a runaway
client, it is not an exact quota (docs/hostile-input.md). A client's first report always passes
(`burst` ≥ 1), so a resident's single report is never refused.

Who the client is: the token's subject for cadres and hotline agents (`sub:<subject>`), the Open311
integrator's api_key for a GeoReport POST with a valid key, the caller's IP address without one
(`ip:<address>`). Refusals count in `jiehu_intake_rate_limited_total{intake}`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from api.auth import CurrentActor
from api.errors import ApiError
from domain.model import Actor
from observability.metrics import RATE_LIMITED

# past this many clients, buckets that have filled up again (the same as no bucket) are dropped, then the oldest half
PRUNE_ABOVE = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float  # the clock's reading when `tokens` was counted (seconds)
    burst: int
    rate: float  # tokens a second


@dataclass
class IntakeLimiter:
    """Token buckets by client key: `burst` tokens at most, refilled at `per_minute` a minute; one token a report.
    `per_minute` 0 lets everything pass. `clock` reads seconds (monotonic; tests may pass their own)."""

    burst: int
    per_minute: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """False when `per_minute` is 0: no limit."""
        return self.per_minute > 0

    def take(self, client: str, burst: int | None = None, per_minute: float | None = None) -> float:
        """Spend one of `client`'s tokens: 0.0 if it had one, else the seconds until it will have one again (the
        report is refused and nothing is spent). `burst` and `per_minute` (None: the limiter's) are a client's own
        limit (an Open311 integrator's); its `per_minute` 0: no limit for it."""
        burst = self.burst if burst is None else burst
        per_minute = self.per_minute if per_minute is None else per_minute
        if per_minute <= 0:
            return 0.0
        now, rate = self.clock(), per_minute / 60.0
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= PRUNE_ABOVE:
                self._prune(now)
            bucket = self._buckets[client] = _Bucket(float(burst), now, burst, rate)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) * rate)
        bucket.burst, bucket.rate = burst, rate
        bucket.at = now
        if bucket.tokens >= 1.0 - 1e-9:  # a token refilled exactly on time counts, rounding aside
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
            return 0.0
        return (1.0 - bucket.tokens) / rate

    def _prune(self, now: float) -> None:
        """Drop buckets that are full again; if as many clients are still in their window (a flood from many
        addresses), drop the half that spent longest ago: memory stays bounded, and they merely start afresh."""
        full = [key for key, b in self._buckets.items() if b.tokens + (now - b.at) * b.rate >= b.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= PRUNE_ABOVE:
            oldest = sorted(self._buckets, key=lambda key: self._buckets[key].at)[:len(self._buckets) // 2]
            for key in oldest:
                del self._buckets[key]


def limiter_of(request: Request) -> IntakeLimiter:
    """The API process's intake limiter (built at start-up from the settings)."""
    limiter: IntakeLimiter = request.app.state.intake_limiter
    return limiter


def refuse_if_limited(request: Request, client: str, intake: str, burst: int | None = None,
                      per_minute: float | None = None) -> None:
    """Charge `client` one report on the `intake` route (petitions, hotline, property_hotline, open311), within its
    own `burst` and `per_minute` if it has them (else the settings'). Raises ApiError 429 `rate_limited` (its
    `retry_after` in whole seconds, at least 1) when its bucket is empty."""
    wait = limiter_of(request).take(client, burst, per_minute)
    if wait > 0:
        RATE_LIMITED.labels(intake=intake).inc()
        seconds = max(1, math.ceil(wait))
        raise RateLimited(seconds)


class RateLimited(ApiError):
    """429 `rate_limited`: the client sent more reports than its limit; `retry_after` seconds until the next."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "rate_limited", f"too many reports from this client; retry after {retry_after} s",
                         headers={"retry-after": str(retry_after)})
        self.retry_after = retry_after


def _intake_of(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    if path.startswith("/v1/hotline"):
        return "hotline"
    if path.startswith("/v1/property-hotline"):
        return "property_hotline"
    return "petitions"


async def _limited_actor(request: Request, actor: CurrentActor) -> Actor:
    refuse_if_limited(request, f"sub:{actor.id}", _intake_of(request))
    return actor


IntakeActor = Annotated[Actor, Depends(_limited_actor)]
"""The authenticated caller of an intake route, charged one report against its rate limit (429 past it)."""
