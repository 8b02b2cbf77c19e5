"""Issue 11 §5, from a user trial: a retried Idempotency-Key gets the FIRST answer — the same version and
status — after the petition moved on or closed, for every command, a reopen and intake alike; and a
retry that arrives while the first request still runs does not run the command twice."""

from __future__ import annotations

import asyncio
import uuid

from tests.integration.api_client import REPORT


def _key() -> dict[str, str]:
    return {"idempotency-key": str(uuid.uuid4())}


async def test_a_retried_return_visit_gets_its_first_answer_after_another_attempt_closed_it(as_, pool):
    """The trial: the first `unreachable` answered `resolved`; a later visit (new key) closed the petition;
    retrying the first key answered with the closed petition. It must answer as the first did."""
    grid, visitor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng")
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已清运"})
    key = _key()
    first = await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "unreachable"}, headers=key)
    assert first.status_code == 200 and first.json()["status"] == "resolved", first.text
    # the resident is reached on another call (a new key), and that visit closes the petition
    second = await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "satisfied"}, headers=_key())
    assert second.status_code == 200 and second.json()["status"] == "closed", second.text
    retried = await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "unreachable"}, headers=key)
    assert retried.status_code == 200, retried.text
    assert retried.json() == first.json()
    # the API stopped after the command took effect, before it kept the answer: the log still knows it
    await pool.execute("UPDATE idempotency_keys SET answer_version = NULL, answer_status = NULL "
                       "WHERE key = $1", key["idempotency-key"])
    retried = await visitor.post(f"/v1/petitions/{pid}/return-visit", {"outcome": "unreachable"}, headers=key)
    assert (retried.status_code, retried.json()) == (200, first.json())
    events = (await visitor.get(f"/v1/petitions/{pid}/events")).json()
    assert [e["data"]["outcome"] for e in events if e["type"] == "ReturnVisitRecorded"] == ["unreachable",
                                                                                          "satisfied"]


async def test_every_command_kind_answers_a_retry_as_it_first_did(as_):
    """Not one input: a command of the generic route (urge), one of its own (dispatch, close) — each retried
    after the petition moved on."""
    grid, dispatcher, supervisor = (as_("grid_worker", "rc-yuehe-taibai-g1"), as_("dispatcher", "rencheng"),
                                    as_("supervisor", "rencheng"))
    pid = (await grid.report())["id"]
    urge_key, urge_body = _key(), {"note": "请尽快处理"}
    urged = await supervisor.post(f"/v1/petitions/{pid}/urge", urge_body, headers=urge_key)
    assert urged.status_code == 200, urged.text
    dispatch_key, dispatch_body = _key(), {"unit_code": "rc-yuehe-taibai"}
    dispatched = await dispatcher.post(f"/v1/petitions/{pid}/dispatch", dispatch_body, headers=dispatch_key)
    assert dispatched.status_code == 200 and dispatched.json()["version"] > urged.json()["version"]
    assert (await supervisor.post(f"/v1/petitions/{pid}/urge", urge_body, headers=urge_key)).json() == urged.json()
    close_key, close_body = _key(), {"outcome": "withdrawn", "explanation": "群众撤回"}
    closed = await dispatcher.post(f"/v1/petitions/{pid}/close", close_body, headers=close_key)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    for key, path, body, first in ((urge_key, "urge", urge_body, urged), (dispatch_key, "dispatch", dispatch_body,
                                                                            dispatched),
                                   (close_key, "close", close_body, closed)):
        caller = supervisor if path == "urge" else dispatcher
        again = await caller.post(f"/v1/petitions/{pid}/{path}", body, headers=key)
        assert (again.status_code, again.json()) == (200, first.json()), (path, again.text)
    events = (await dispatcher.get(f"/v1/petitions/{pid}/events")).json()
    types = [e["type"] for e in events]
    assert types.count("PetitionUrged") == 1 and types.count("PetitionClosed") == 1


async def test_a_retried_report_answers_201_with_the_petition_as_first_reported(as_):
    grid, dispatcher = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("dispatcher", "rencheng")
    key = _key()
    first = await grid.post("/v1/petitions", REPORT, headers=key)
    assert first.status_code == 201
    pid = first.json()["id"]
    await grid.act(pid, "accept")
    await dispatcher.act(pid, "close", {"outcome": "withdrawn", "explanation": "群众撤回"})
    retried = await grid.post("/v1/petitions", REPORT, headers=key)
    assert (retried.status_code, retried.json()) == (201, first.json())


async def test_a_retried_reopen_answers_as_the_reopen_did_after_the_petition_closed_again(as_):
    grid, visitor, dispatcher = (as_("grid_worker", "rc-yuehe-taibai-g1"), as_("return_visitor", "rencheng"),
                                 as_("dispatcher", "rencheng"))
    pid = (await grid.report())["id"]
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已清运"})
    await visitor.act(pid, "return-visit", {"outcome": "satisfied"})
    key, body = _key(), {"reason": "居民再次来电", "contact_name": "陈秀英", "contact_phone": "13805379999"}
    reopened = await dispatcher.post(f"/v1/petitions/{pid}/reopen", body, headers=key)
    assert reopened.status_code == 200 and reopened.json()["status"] == "dispatched", reopened.text
    await grid.act(pid, "accept")
    await grid.act(pid, "resolve", {"result": "已再次清运"})
    assert (await visitor.act(pid, "return-visit", {"outcome": "satisfied"}))["status"] == "closed"
    retried = await dispatcher.post(f"/v1/petitions/{pid}/reopen", body, headers=key)
    assert (retried.status_code, retried.json()) == (200, reopened.json())
    events = (await dispatcher.get(f"/v1/petitions/{pid}/events")).json()
    assert [e["type"] for e in events].count("PetitionReopened") == 1


async def test_retries_racing_the_first_request_run_the_command_once(as_):
    grid, supervisor = as_("grid_worker", "rc-yuehe-taibai-g1"), as_("supervisor", "rencheng")
    pid = (await grid.report())["id"]
    key, body = _key(), {"note": "请尽快处理"}
    answers = await asyncio.gather(*(supervisor.post(f"/v1/petitions/{pid}/urge", body, headers=key)
                                     for _ in range(6)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert len({a.json()["version"] for a in answers}) == 1
    events = (await supervisor.get(f"/v1/petitions/{pid}/events")).json()
    assert [e["type"] for e in events].count("PetitionUrged") == 1
