"""List and queue queries through the real endpoints on a read model of N petitions; prints latencies.

    python -m benchmarks.list_queries --rows 1000000

Seeds a scratch embedded PostgreSQL with synthetic read-model rows (a bulk path for the read
model only: these rows have no events, so never point this at a real database), then times each
query shape through the API in-process. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from api.auth import issue_token
from api.deps import Services
from api.main import create_app
from config.reference_data import DEMO_ORG, load_policy
from config.settings import Settings
from domain.enums import Role
from eventstore.migrate import migrate
from eventstore.pool import create_pool
from org.loader import load_org_file
from org.model import OrgTree
from org.repository import save_org
from stack.embedded import EmbeddedPostgres, free_port

SEED = """
INSERT INTO petitions
SELECT 'B' || g, 2, (ARRAY['dispatched','accepted','paused','resolved','closed','closed','closed'])[1 + g % 7],
       cats[1 + g % array_length(cats, 1)], 'grid_worker', (ARRAY['normal','normal','urgent'])[1 + g % 3],
       '群众反映第' || g || '号问题 ' || md5(g::text), '小区' || (g % 5000) || '号楼',
       grids[1 + g % array_length(grids, 1)],
       '张三', '13800000000', 'grid', grids[1 + g % array_length(grids, 1)], '网格', 'x',
       ARRAY[grids[1 + g % array_length(grids, 1)]], (ARRAY['ok','ok','warning','overdue'])[1 + g % 4],
       now() + (g % 1000) * interval '1 minute', now() + (g % 2000) * interval '1 minute',
       CASE WHEN g % 7 < 3 THEN now() + (g % 5000) * interval '1 minute' END, NULL, 0, 0, 0, 0, NULL, NULL, NULL,
       now() - g * interval '3 seconds', now() - g * interval '3 seconds', NULL, g
FROM generate_series($1::int, $2::int) AS g,
     (SELECT array_agg(code) AS grids FROM units WHERE kind = 'grid') AS u,
     (SELECT array_agg(code) AS cats FROM categories) AS c
"""


async def main(rows: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        postgres = EmbeddedPostgres(Path(scratch) / "pg", free_port())
        postgres.start()
        try:
            await run(postgres.url(), rows, repeats)
        finally:
            postgres.stop()


async def run(url: str, rows: int, repeats: int) -> None:
    pool = await create_pool(url, max_size=4)
    org = load_org_file(Path(str(DEMO_ORG)))
    async with pool.acquire() as conn:
        await migrate(conn)
        await save_org(conn, org)
        started = time.perf_counter()
        for low in range(1, rows + 1, 100_000):
            await conn.execute(SEED, low, min(low + 99_999, rows))
        await conn.execute("ANALYZE petitions")
        print(f"seeded {rows:,} read-model rows in {time.perf_counter() - started:.1f}s")
    await time_queries(url, pool, org, repeats)
    await pool.close()


async def time_queries(url: str, pool: asyncpg.Pool, org: OrgTree, repeats: int,
                       grid: str = "rc-yuehe-taibai-g1") -> None:
    """Time every list and queue shape through the API in-process, as the given units' staff."""
    community = org.units[grid].parent_code or grid
    street = org.units[community].parent_code or community
    secret = "bench-secret-0123456789abcdef0123456789"
    settings = Settings(database_url=url, jwt_secret=secret)
    app = create_app(settings)
    # reads only: the app never starts a workflow, so it is given no Temporal client
    app.state.services = Services(settings=settings, pool=pool, petitions=None,  # type: ignore[arg-type]
                                  policy=load_policy("default"), org=org)

    def headers(role: Role, unit: str) -> dict[str, str]:
        return {"authorization": f"Bearer {issue_token(secret, subject='b', name='b', role=role, unit=unit)}"}

    admin, district = headers(Role.ADMIN, ""), headers(Role.DISPATCHER, "rencheng")
    as_street, as_grid = headers(Role.STREET_STAFF, street), headers(Role.GRID_WORKER, grid)
    as_community = headers(Role.COMMUNITY_STAFF, community)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as http:
        second_page = (await http.get("/v1/petitions", params={"limit": 50}, headers=admin)).json()["next_cursor"]
        shapes = [
            ("admin, newest first", admin, "/v1/petitions", {"limit": 50}),
            ("admin, page 2 (cursor)", admin, "/v1/petitions", {"limit": 50, "cursor": second_page}),
            ("district dispatcher (scope: district)", district, "/v1/petitions", {"limit": 50}),
            ("street staff, status=accepted", as_street, "/v1/petitions", {"status": "accepted", "limit": 50}),
            ("grid worker, newest first", as_grid, "/v1/petitions", {"limit": 50}),
            ("grid worker, overdue (none match)", as_grid, "/v1/petitions", {"overdue": "true", "limit": 50}),
            ("community staff, status=paused", as_community, "/v1/petitions", {"status": "paused", "limit": 50}),
            ("admin, category + urgency", admin, "/v1/petitions", {"category": "noise", "urgency": "urgent"}),
            ("admin, nearest deadline", admin, "/v1/petitions", {"sort": "deadline", "limit": 50}),
            ("admin, text search", admin, "/v1/petitions", {"q": "4999号楼"}),
            ("grid worker's queue", as_grid, "/v1/queue", {}),
        ]
        print(f"{'query':42} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'rows':>6}")
        for name, who, path, params in shapes:
            timings, count = [], 0
            for _ in range(repeats):
                began = time.perf_counter()
                response = await http.get(path, params=params, headers=who)
                timings.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.text
                count = len(response.json()["items"])
            timings.sort()
            p95, p99 = timings[int(len(timings) * 0.95) - 1], timings[int(len(timings) * 0.99) - 1]
            print(f"{name:42} {statistics.median(timings):8.1f} {p95:8.1f} {p99:8.1f} {count:6}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.repeats))
