"""Every public function and class of the product packages says what it is for: its shape, units, errors and,
where a rule comes from a regulation or spec, its source (issue 12's conventions). Private `_names`, test code,
the CLI and composition roots (jiehu/, stack/) and benchmarks/ are exempt; so are methods of private classes."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("domain", "org", "eventstore", "config", "observability", "services", "workflows", "activities",
           "evaluation", "api")
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _undocumented(tree: ast.Module) -> list[str]:
    """The public module-level functions and classes, and the public methods of public classes, without a
    docstring (dunder methods such as `__init__` are private here: the class says what it takes)."""
    missing = []
    for node in tree.body:
        if not isinstance(node, DEFINITIONS) or node.name.startswith("_"):
            continue
        if ast.get_docstring(node) is None:
            missing.append(node.name)
        if isinstance(node, ast.ClassDef):
            missing += [f"{node.name}.{m.name}" for m in node.body if isinstance(m, DEFINITIONS[:2])
                        and not m.name.startswith("_") and ast.get_docstring(m) is None]
    return missing


def test_every_public_function_and_class_has_a_docstring():
    found = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            missing = _undocumented(tree)
            if ast.get_docstring(tree) is None and path.name != "__init__.py":
                missing.insert(0, "(module)")
            if missing:
                found[str(path.relative_to(ROOT))] = missing
    assert found == {}


def test_the_guard_sees_what_lacks_a_docstring():
    tree = ast.parse('def f():\n    pass\n\n\nclass C:\n    """C."""\n\n    def m(self):\n        pass\n\n'
                     '    def _p(self):\n        pass\n\n\ndef _private():\n    pass\n')
    assert _undocumented(tree) == ["f", "C.m"]
