"""The floors (issue 12; docs/architecture.md): the import-linter contracts hold, `jiehu/` is only the top,
no two top-level packages import each other, and the pure domain imports only the standard library and
pydantic (an allow-list: import-linter's contract can only forbid what it names)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = {"__init__.py", "__main__.py", "cli.py", "devstack.py"}  # the CLI and the dev stack's composition root
DOMAIN_MAY_IMPORT = {"pydantic", "domain", "__future__"}


def _imports(path: Path) -> set[str]:
    """Top-level names of the modules `path` imports (absolute imports only: the code base uses no other)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _packages() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}


def test_the_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:]


def test_jiehu_is_only_the_cli_and_the_dev_stacks_composition_root():
    assert {p.name for p in (ROOT / "jiehu").iterdir() if p.suffix == ".py" or p.is_dir()} - {"__pycache__"} <= TOP


def test_no_two_top_level_packages_import_each_other():
    packages = _packages()
    edges: dict[str, set[str]] = defaultdict(set)
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            edges[package] |= (_imports(path) & packages) - {package}
    cycles = sorted((a, b) for a in edges for b in edges[a] if a in edges[b] and a < b)
    assert cycles == []


def test_the_domain_imports_only_the_standard_library_and_pydantic():
    found = {str(p.relative_to(ROOT)): sorted(bad) for p in (ROOT / "domain").rglob("*.py")
             if (bad := _imports(p) - DOMAIN_MAY_IMPORT - set(sys.stdlib_module_names))}
    assert found == {}


def test_the_guards_see_what_they_guard(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import orjson\nfrom evaluation import lives\n", "utf-8")
    assert _imports(bad) == {"orjson", "evaluation"}
    assert not (_imports(bad) - DOMAIN_MAY_IMPORT - set(sys.stdlib_module_names)) == set()
