"""One representation of time (UTC, ISO 8601 with Z) and one `updated_at` per version: a command's
answer and a later read of the same version agree to the microsecond."""

from __future__ import annotations

import re

from tests.integration.api_client import OPEN311_TRUSTED_KEY, REPORT

ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def times_in(value, where=""):
    """Every ISO 8601 time in a JSON value, with where it is."""
    if isinstance(value, str) and ISO_TIME.match(value):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from times_in(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from times_in(item, f"{where}[{index}]")


def assert_all_utc(value):
    found = list(times_in(value))
    assert found, "no times at all"
    assert [(w, t) for w, t in found if not t.endswith("Z")] == []


async def test_a_commands_answer_and_a_later_read_give_the_same_time_in_utc(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    reported = await grid.report()
    pid = reported["id"]
    after_report = (await grid.get(f"/v1/petitions/{pid}")).json()
    assert after_report["version"] == reported["version"]
    assert after_report["updated_at"] == reported["updated_at"]
    accepted = await grid.act(pid, "accept")
    read = (await grid.get(f"/v1/petitions/{pid}")).json()
    assert read["version"] == accepted["version"]
    assert accepted["updated_at"] == read["updated_at"]
    assert accepted["reported_at"] == read["reported_at"] == reported["reported_at"]
    for answer in (reported, accepted, read):
        assert_all_utc(answer)
    events = (await grid.get(f"/v1/petitions/{pid}/events")).json()
    assert_all_utc(events)
    assert events[-1]["data"]["at"] == read["updated_at"]
    listed = (await grid.get("/v1/petitions", params={"q": pid})).json()
    assert_all_utc(listed["items"])
    queue = (await grid.get("/v1/queue")).json()
    assert_all_utc(queue)


async def test_a_report_answer_is_in_utc_too(as_):
    hotline = as_("dispatcher", "rencheng")
    answer = (await hotline.post("/v1/petitions", REPORT)).json()
    assert_all_utc(answer)


async def test_open311_times_are_utc_too(http, as_):
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report())["id"]
    found = (await http.get(f"/open311/v2/requests/{pid}.json", params={"api_key": OPEN311_TRUSTED_KEY})).json()
    assert_all_utc(found)
