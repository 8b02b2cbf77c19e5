"""The `jiehu dev` banner names who takes each department's work orders and where their contract is."""

from __future__ import annotations

from pathlib import Path

from config.reference_data import DEMO_ORG
from config.settings import Settings
from jiehu.devstack import CONTRACT_PAGE, department_lines
from org.loader import load_org_file
from org.model import DepartmentSystem

API = "http://127.0.0.1:8000"


def _org_with(**systems: DepartmentSystem):
    org = load_org_file(Path(str(DEMO_ORG)))
    return org.model_copy(update={"units": org.units | {
        code.replace("_", "-"): org.units[code.replace("_", "-")].model_copy(update={"system": system})
        for code, system in systems.items()}})


def test_the_demo_org_serves_every_department_in_the_api():
    lines = department_lines(load_org_file(Path(str(DEMO_ORG))), Settings(jwt_secret="x" * 32), [], API)
    assert "every department works in the API" in lines[0]
    assert lines[-1].strip() == (f"connecting a department's system: {CONTRACT_PAGE} "
                                 f"(callback schema: {API}/docs#/departments)")
    assert (Path(__file__).parents[2] / CONTRACT_PAGE).is_file()


def test_webhook_departments_are_named_with_their_url_and_a_missing_secret():
    water = DepartmentSystem(delivery="webhook", url="https://water.example/jiehu", keys=("k-1",))
    gas = DepartmentSystem(delivery="webhook", url="https://gas.example/jiehu", keys=("k-9",))
    worker = DepartmentSystem(delivery="worker")
    settings = Settings(jwt_secret="x" * 32, department_keys={"rencheng-water": {"k-1": "s" * 32}})
    lines = department_lines(_org_with(rencheng_water=water, rencheng_gas=gas, rencheng_power=worker), settings,
                             ["rencheng-fire"], API)
    assert lines[:3] == [
        "    rencheng-gas (任城区燃气管理办公室): webhook https://gas.example/jiehu  (no secret for key 'k-9' in "
        "JIEHU_DEPARTMENT_KEYS: its orders wait)",
        "    rencheng-water (任城区水务局): webhook https://water.example/jiehu",
        "    rencheng-fire: jiehu dept-worker (--dept-worker), orders into department_inbox",
    ]
    assert CONTRACT_PAGE in lines[-1] and len(lines) == 4
