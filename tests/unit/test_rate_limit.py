"""The intake limiter's token buckets (api/rate_limit.py), on a clock the test turns."""

from pytest import approx

from api import rate_limit
from api.rate_limit import IntakeLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_then_a_wait_that_says_how_long():
    clock = Clock()
    limiter = IntakeLimiter(burst=2, per_minute=6, clock=clock)  # one token every 10 s
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == approx(10.0)
    clock.now += 4
    assert limiter.take("a") == approx(6.0)  # a refusal spends nothing
    clock.now += 6
    assert limiter.take("a") == 0.0
    assert limiter.take("b") == 0.0  # another client has its own bucket


def test_a_long_pause_refills_only_up_to_the_burst():
    clock = Clock()
    limiter = IntakeLimiter(burst=2, per_minute=60, clock=clock)
    limiter.take("a")
    clock.now += 3600
    assert [limiter.take("a") for _ in range(3)][:2] == [0.0, 0.0]
    assert limiter.take("a") > 0


def test_off_at_zero_a_minute():
    limiter = IntakeLimiter(burst=1, per_minute=0)
    assert not limiter.enabled and all(limiter.take("a") == 0.0 for _ in range(100))


def test_many_clients_first_reports_always_pass_and_full_buckets_are_dropped(monkeypatch):
    monkeypatch.setattr(rate_limit, "PRUNE_ABOVE", 50)
    clock = Clock()
    limiter = IntakeLimiter(burst=1, per_minute=60, clock=clock)
    for n in range(200):
        assert limiter.take(f"ip:{n}") == 0.0
        clock.now += 0.001
    assert len(limiter._buckets) <= 50  # bounded even while none has refilled
    assert limiter.take("ip:199") > 0  # the latest are kept
    clock.now += 2  # every bucket full again: the next newcomer drops them
    limiter.take("new")
    assert len(limiter._buckets) == 1


def test_a_client_of_its_own_limit():
    clock = Clock()
    limiter = IntakeLimiter(burst=1, per_minute=60, clock=clock)
    assert [limiter.take("platform", 5, 600) for _ in range(5)] == [0.0] * 5
    assert limiter.take("platform", 5, 600) == approx(0.1)
    assert all(limiter.take("unlimited", 1, 0) == 0.0 for _ in range(50))
    assert limiter.take("other") == 0.0 and limiter.take("other") > 0
