"""Per-client rate limits on intake (issue 16 §3): a flood from one client gets 429 with Retry-After after
its burst, another client at the same moment is unaffected, a single report never is, and the limit refills."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import REGISTRY

from api.main import create_app
from config.settings import Settings
from stack.workers import petition_worker
from tests.integration.api_client import OPEN311_KEY, OPEN311_TRUSTED_KEY, REPORT, SECRET, Caller

BURST, PER_MINUTE = 3, 6.0  # one more report every 10 s: none comes back while a test floods
FAST = 240.0  # 4 a second, for the test of the refill
OPEN311 = {"service_code": "noise", "description": "夜间广场舞音响扰民", "attribute[grid_code]": "rc-yuehe-taibai-g1",
           "phone": "13805371234"}


@pytest.fixture
async def limited(request, temporal_env, postgres, pool, org, task_queue):
    """The API with a small intake limit: BURST reports at once, then PER_MINUTE a minute (or the test's
    parameter), per client."""
    per_minute = getattr(request, "param", PER_MINUTE)
    settings = Settings(database_url=postgres.url(), task_queue=task_queue, jwt_secret=SECRET,
                        intake_burst=BURST, intake_per_minute=per_minute,
                        open311_api_keys={OPEN311_KEY: "12345热线测试客户端",
                                          OPEN311_TRUSTED_KEY: {"name": "12345平台", "burst": 20, "per_minute": 600}},
                        temporal_address=temporal_env.client.service_client.config.target_host)
    app = create_app(settings)
    async with petition_worker(temporal_env.client, pool, task_queue), app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jiehu") as client:
            yield client


def refused(intake: str) -> float:
    return REGISTRY.get_sample_value("jiehu_intake_rate_limited_total", {"intake": intake}) or 0.0


async def test_a_flood_from_one_cadre_gets_429_after_its_burst_and_others_are_unaffected(limited):
    runaway = Caller(limited, "grid_worker", "rc-yuehe-taibai-g1", subject="script-gone-wrong")
    colleague = Caller(limited, "grid_worker", "rc-yuehe-taibai-g1", subject="wang-fang")
    before = refused("petitions")
    answers = [await runaway.post("/v1/petitions", REPORT) for _ in range(BURST + 4)]
    assert [a.status_code for a in answers[:BURST]] == [201] * BURST
    flood = answers[BURST:]
    assert {a.status_code for a in flood} == {429}
    for answer in flood:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "rate_limited"
        assert int(answer.headers["retry-after"]) >= 1
    assert refused("petitions") - before == len(flood)
    # the same unit, another person, in the middle of the flood: their single report is taken
    assert (await colleague.post("/v1/petitions", REPORT)).status_code == 201
    # in Chinese too
    zh = await runaway.post("/v1/petitions", REPORT, headers={"accept-language": "zh-CN"})
    assert zh.status_code == 429 and "频繁" in zh.json()["detail"] and zh.json()["detail_en"].startswith("too many")


@pytest.mark.parametrize("limited", [FAST], indirect=True)
async def test_the_limit_refills(limited):
    runaway = Caller(limited, "grid_worker", "rc-yuehe-taibai-g1", subject="refills")
    statuses = await asyncio.gather(*(runaway.post("/v1/petitions", {"description": " "}) for _ in range(BURST + 5)))
    assert 429 in {s.status_code for s in statuses}
    await asyncio.sleep(60 / FAST + 0.05)
    assert (await runaway.post("/v1/petitions", REPORT)).status_code == 201


async def test_a_refused_flood_is_refused_before_its_body_is_looked_at(limited):
    """Bad bodies count too: a client looping on invalid reports is stopped as well (and nothing is stored)."""
    runaway = Caller(limited, "grid_worker", "rc-yuehe-taibai-g1", subject="bad-bodies")
    statuses = [(await runaway.post("/v1/petitions", {"description": " "})).status_code for _ in range(BURST + 2)]
    assert statuses == [422] * BURST + [429, 429]


async def test_hotline_agents_are_limited_each_on_their_own(limited):
    call = REPORT | {"request_type": "consultation", "outcome": "answered", "reason": "咨询", "answer": "已答复"}
    call = {k: v for k, v in call.items() if not k.startswith("reporter")}
    agent = Caller(limited, "dispatcher", "rencheng", subject="agent-07")
    other = Caller(limited, "dispatcher", "rencheng", subject="agent-08")
    statuses = [(await agent.post("/v1/hotline/calls", call)).status_code for _ in range(BURST + 1)]
    assert statuses == [201] * BURST + [429]
    assert (await other.post("/v1/hotline/calls", call)).status_code == 201


async def test_open311_is_limited_per_api_key_and_per_address_without_one(limited):
    before = refused("open311")
    statuses = [(await limited.post("/open311/v2/requests.json", data=OPEN311 | {"api_key": OPEN311_KEY})).status_code
                for _ in range(BURST + 1)]
    assert statuses == [200] * BURST + [429]
    flooded = await limited.post("/open311/v2/requests.json", data=OPEN311 | {"api_key": OPEN311_KEY})
    assert flooded.status_code == 429 and int(flooded.headers["retry-after"]) >= 1
    assert flooded.json()[0]["code"] == 429  # GeoReport's error format under /open311/, as every error there
    xml = await limited.post("/open311/v2/requests.xml", data=OPEN311 | {"api_key": OPEN311_KEY})
    assert xml.status_code == 429 and "<errors>" in xml.text
    # another integrator at the same time is unaffected
    other = await limited.post("/open311/v2/requests.json", data=OPEN311 | {"api_key": OPEN311_TRUSTED_KEY})
    assert other.status_code == 200, other.text
    # guessing keys from one address: 403 until the address's burst is spent, then 429
    guesses = [(await limited.post("/open311/v2/requests.json", data=OPEN311 | {"api_key": f"guess-{i}"})).status_code
               for i in range(BURST + 1)]
    assert guesses == [403] * BURST + [429]
    assert refused("open311") - before == 4


async def test_a_single_report_is_never_refused_under_the_default_limits(http, as_):
    """Residents' single reports: a fresh client's first report always passes, whatever others send."""
    flooder = Caller(http, "grid_worker", "rc-yuehe-taibai-g1", subject="flooder")
    statuses = await asyncio.gather(*(flooder.post("/v1/petitions", {"description": " "}) for _ in range(70)))
    assert 429 in {s.status_code for s in statuses}
    for n in range(5):
        resident_call = Caller(http, "grid_worker", "rc-yuehe-taibai-g1", subject=f"resident-{n}")
        assert (await resident_call.post("/v1/petitions", REPORT)).status_code == 201


async def test_an_integrator_carrying_many_residents_has_a_limit_of_its_own(limited):
    """The 12345 platform forwards every resident's call: its key's own burst (20 here) lets a burst of residents'
    reports through while the small default stops an ordinary key at 3."""
    statuses = [(await limited.post("/open311/v2/requests.json",
                                    data=OPEN311 | {"api_key": OPEN311_TRUSTED_KEY, "phone": f"139053{n:05d}"}))
                .status_code for n in range(BURST + 5)]
    assert statuses == [200] * (BURST + 5)
