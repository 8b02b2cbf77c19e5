"""Where SQL may be written (issue 12 §4): only in eventstore/ — one queries module per read model, and the
event table read and written only through `eventstore/store.py` ("never skip an uncommitted event" filter
included). Routes, services, activities, workflows and the evaluation desk call them. Beside eventstore/ on
its floor, `org/repository.py` is the gate of the org's own tables (units, categories).

benchmarks/ is exempt: its baselines measure raw inserts and appends against the database on purpose
(what jiehu's append path costs next to a bare INSERT), and product code never imports it (lint-imports)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("api", "services", "evaluation", "eventstore", "workflows", "activities", "org", "domain", "jiehu")
# SQL is written in capitals in this code base; help texts and messages say "where" in words
SQL = re.compile(r"\b(SELECT\b.*\bFROM|SELECT\s+\d|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE|"
                 r"WHERE|ON CONFLICT)\b|= ANY\(|::\w+\[\]", re.DOTALL)
QUERY_CALLS = {"fetch", "fetchrow", "fetchval", "execute", "executemany", "cursor", "copy_records_to_table",
               "copy_to_table", "copy_from_query"}
EVENTS_TABLE = re.compile(r"\b(FROM|INTO|JOIN|UPDATE|TABLE)\s+events\b|pg_snapshot_xmin")


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _strings(tree: ast.AST) -> list[str]:
    """Every string literal but docstrings; an f-string as its literal parts joined by spaces."""
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append(" ".join(v.value for v in node.values if isinstance(v, ast.Constant)
                                  and isinstance(v.value, str)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append(node.value)
    return found


def _calls(tree: ast.AST) -> list[str]:
    """The method names of every call (`pool.fetch(...)` -> fetch)."""
    return [node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return ([f"SQL {s[:60]!r}" for s in _strings(tree) if SQL.search(s)]
            + [f"calls .{c}()" for c in _calls(tree) if c in QUERY_CALLS])


def test_the_api_holds_no_sql():
    """Routes (and every other module of api/) call services and queries; none builds or runs SQL."""
    found = {str(p.relative_to(ROOT)): o for p in _modules("api") if (o := _offences(p))}
    assert found == {}


def test_use_cases_activities_workflows_and_evaluation_hold_no_sql():
    """Services, activities, workflows and the evaluation desk go through the queries modules and the store
    too: the tables' only gates are in eventstore/ (the evaluation read model's: `evaluation_queries.py`)."""
    modules = _modules("services", "activities", "workflows", "evaluation", "domain", "config", "observability")
    found = {str(p.relative_to(ROOT)): o for p in modules if (o := _offences(p))}
    assert found == {}


def test_the_guard_sees_sql_and_queries():
    tree = ast.parse('async def f(pool, x):\n    return await pool.fetch(f"SELECT * FROM petitions WHERE id = {x}")')
    assert any(SQL.search(s) for s in _strings(tree)) and "fetch" in _calls(tree)


def test_only_the_store_names_the_event_table():
    store = ROOT / "eventstore" / "store.py"
    found = {str(p.relative_to(ROOT)): hits for p in _modules(*PRODUCT) if p != store
             and (hits := [s[:60] for s in _strings(ast.parse(p.read_text(encoding="utf-8")))
                           if EVENTS_TABLE.search(s)])}
    assert found == {}
    assert EVENTS_TABLE.search(store.read_text(encoding="utf-8"))
