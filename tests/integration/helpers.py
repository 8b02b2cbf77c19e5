"""Building petitions and actors for the integration tests."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from config.reference_data import load_policy
from domain import commands as cmd
from domain.enums import Channel, Role, Urgency, VisitOutcome
from domain.model import Actor
from eventstore.store import EventStore
from org.model import OrgTree
from org.routing import dispatch_desk, ladder_for_report

DISPATCHER = Actor(id="d1", name="派单员王芳", unit_code="rencheng", role=Role.DISPATCHER)
VISITOR = Actor(id="v1", name="回访员李娜", unit_code="rencheng", role=Role.RETURN_VISITOR)
SUPERVISOR = Actor(id="s1", name="督办员赵强", unit_code="rencheng", role=Role.SUPERVISOR)

_ROLE_OF_LEVEL = {
    "grid": Role.GRID_WORKER, "community": Role.COMMUNITY_STAFF, "street": Role.STREET_STAFF,
    "department": Role.DEPARTMENT_STAFF, "district": Role.SUPERVISOR, "property_company": Role.PROPERTY_STAFF,
}


def staff(org: OrgTree, unit_code: str) -> Actor:
    unit = org.units[unit_code]
    return Actor(id=f"u-{unit_code}", name=f"{unit.name}工作人员", unit_code=unit_code,
                 role=_ROLE_OF_LEVEL[unit.kind.value])


def report(org: OrgTree, *, category: str = "sanitation", grid: str = "rc-yuehe-taibai-g1",
           policy: str = "default", urgency: Urgency = Urgency.NORMAL) -> cmd.Report:
    rules = load_policy(policy).rules_for(category, urgency)
    return cmd.Report(
        actor=Actor(id="g1", name="网格员张伟", unit_code=grid, role=Role.GRID_WORKER),
        petition_id=f"T-{uuid.uuid4().hex[:12]}", category=category,
        description="小区门口垃圾堆积三天无人清运", address="太白小区3号楼", grid_code=grid,
        channel=Channel.GRID_WORKER, urgency=urgency, reporter_name="陈秀英", reporter_phone="13805371234",
        policy_name=policy, rules=rules, ladder=ladder_for_report(org, grid, category),
        desk_code=dispatch_desk(org, grid), tracks_delivery=True,
    )


async def closed_satisfied(running: Any, org: OrgTree, result: str = "已清运") -> tuple[str, Actor]:
    """A petition reported, accepted, resolved and closed by a satisfied visit: (its id, the grid's staff)."""
    r = report(org)
    await running.report(r)
    grid = staff(org, r.grid_code)
    await running.send(r.petition_id, cmd.Accept(actor=grid))
    await running.send(r.petition_id, cmd.Resolve(actor=grid, result=result))
    await running.send(r.petition_id, cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    return r.petition_id, grid


async def event_types(pool: asyncpg.Pool, petition_id: str) -> list[str]:
    return [e.type for e in await EventStore(pool).read_stream(petition_id)]
