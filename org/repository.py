"""Save and load the org tree and categories in PostgreSQL."""

from __future__ import annotations

import json

import asyncpg

from org.model import Category, DepartmentSystem, OrgTree, Unit, VisitTeam

_UNIT_COLUMNS = ("code", "name", "kind", "parent_code", "district_code", "function", "property_company")
_CATEGORY_COLUMNS = ("code", "name", "start_level", "department_function", "property", "description", "public")


async def save_org(conn: asyncpg.Connection, org: OrgTree) -> None:
    """Replace the stored org with `org` (running petitions keep the ladder they were given)."""
    async with conn.transaction():
        await conn.execute("DELETE FROM categories")
        await conn.execute("DELETE FROM units")
        await conn.copy_records_to_table(
            "units", columns=list(_UNIT_COLUMNS),
            records=[tuple(getattr(u, c).value if c == "kind" else getattr(u, c) for c in _UNIT_COLUMNS)
                     for u in org.units.values()],
        )
        # as text cast to jsonb, whatever JSON codec the connection has (migration 012)
        await conn.executemany("UPDATE units SET boundary = $2::text::jsonb WHERE code = $1",
                               [(u.code, json.dumps(u.boundary)) for u in org.units.values() if u.boundary])
        await conn.executemany("UPDATE units SET department_system = $2::text::jsonb WHERE code = $1",
                               [(u.code, u.system.model_dump_json()) for u in org.units.values() if u.system])
        await conn.copy_records_to_table(
            "categories", columns=list(_CATEGORY_COLUMNS),
            records=[tuple(getattr(c, col).value if col == "start_level" else getattr(c, col)
                           for col in _CATEGORY_COLUMNS) for c in org.categories.values()],
        )
        await conn.execute("DELETE FROM visit_teams")  # issue 14 §4 (migration 024)
        await conn.copy_records_to_table(
            "visit_teams", columns=["code", "district_code", "name", "team"],
            records=[(t.code, t.district_code, t.name, t.model_dump_json()) for t in org.visit_teams.values()],
        )


async def load_org(conn: asyncpg.Connection | asyncpg.Pool) -> OrgTree:
    """The org tree as the database holds it (`jiehu org load` wrote it), units and categories by code."""
    units = await conn.fetch(f"SELECT {', '.join(_UNIT_COLUMNS)}, boundary::text AS boundary, "
                             "department_system::text AS system FROM units ORDER BY code")
    categories = await conn.fetch(f"SELECT {', '.join(_CATEGORY_COLUMNS)} FROM categories ORDER BY code")
    teams = await conn.fetch("SELECT team FROM visit_teams ORDER BY code")
    return OrgTree(
        units={r["code"]: Unit(**dict(r) | {
            "boundary": json.loads(r["boundary"]) if r["boundary"] else None,
            "system": DepartmentSystem.model_validate_json(r["system"]) if r["system"] else None,
        }) for r in units},
        categories={r["code"]: Category(**dict(r)) for r in categories},
        visit_teams={t.code: t for t in (VisitTeam.model_validate_json(r["team"]) for r in teams)},
    )


async def org_is_empty(conn: asyncpg.Connection | asyncpg.Pool) -> bool:
    """Whether no org was loaded yet (no unit in the database)."""
    return not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM units)")
