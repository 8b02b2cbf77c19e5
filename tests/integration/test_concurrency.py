"""Many cadres (or one client's retries) acting on one petition at once: every answer agrees with the
log, nothing is applied twice, and the workflow never parts ways with its stream."""

from __future__ import annotations

import asyncio

from eventstore.petition_projection import verify
from workflows.petition import PetitionWorkflow


async def test_concurrent_commands_on_one_petition_agree_with_the_log(as_, pool, temporal_env):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    for _ in range(6):
        pid = (await grid.report())["id"]
        calls = []
        for i in range(8):
            calls.append(("accept", grid.post(f"/v1/petitions/{pid}/accept", {})))
            calls.append(("resolve", grid.post(f"/v1/petitions/{pid}/resolve", {"result": f"结果{i}"})))
            calls.append(("progress", grid.post(f"/v1/petitions/{pid}/progress", {"note": f"进展{i}"})))
        answers = await asyncio.gather(*(call for _, call in calls))
        assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers if a.status_code >= 500]
        won = [(action, a.json()) for (action, _), a in zip(calls, answers, strict=True) if a.status_code == 200]
        events = await pool.fetch("SELECT type, data FROM events WHERE stream_id = $1 ORDER BY version", pid)
        types = [e["type"] for e in events]
        # exactly one accept and at most one resolve won, and the log holds exactly what won
        assert types.count("WorkOrderAccepted") == [a for a, _ in won].count("accept") == 1, (types, won)
        assert types.count("PetitionResolved") == [a for a, _ in won].count("resolve") <= 1, (types, won)
        notes = sorted(e["data"]["note"] for e in events if e["type"] == "ProgressNoted")
        assert len(notes) == len(set(notes)) == [a for a, _ in won].count("progress"), (notes, won)
        described = await temporal_env.client.get_workflow_handle(pid).describe()
        assert described.status.name == "RUNNING"
        state = await temporal_env.client.get_workflow_handle(pid).query(PetitionWorkflow.state)
        assert state.version == len(events)  # the workflow and its stream agree
    async with pool.acquire() as conn:
        assert await verify(conn) == []


async def test_more_updates_at_once_than_temporal_keeps_in_flight_all_land(as_, pool):
    """Temporal refuses more than 10 updates in flight on one workflow (RESOURCE_EXHAUSTED); the API waits and
    sends again instead of answering 503, so eighty cadres' notes (or forty callers joining a burst) all land."""
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report())["id"]
    answers = await asyncio.gather(*(grid.post(f"/v1/petitions/{pid}/progress", {"note": f"同时进展{i}"})
                                     for i in range(80)))
    assert [a.status_code for a in answers] == [200] * 80, [a.text for a in answers if a.status_code != 200][:2]
    notes = await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'ProgressNoted'", pid)
    assert notes == 80
