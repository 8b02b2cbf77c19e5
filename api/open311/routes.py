"""GeoReport v2 under /open311/v2: discovery, services, requests (GET and POST) and tokens.

Reads are public, as in every Open311 deployment; POST needs an `api_key` (JIEHU_OPEN311_API_KEYS).
A request made here is an ordinary petition with channel `open311`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.deps import OrgDep, ServicesDep
from api.open311.formats import error, render
from api.routes.petitions import new_petition_id
from domain import commands as cmd
from domain.enums import Channel, CloseOutcome, Role, Status, Urgency
from domain.errors import DomainError
from domain.model import Actor
from domain.text import unstorable_text
from org.routing import dispatch_desk, ladder_for_report

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Fmt = Annotated[Literal["json", "xml"], Path(description="json or xml")]
SPEC = "http://wiki.open311.org/GeoReport_v2"


@router.get("/discovery.{fmt}", summary="Open311 discovery")
async def discovery(fmt: Fmt, request: Request) -> Response:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return render(fmt, "discovery", {
        "changeset": "2026-11-28T00:00:00Z", "contact": "12345 / 街呼区应 jiehu",
        "key_service": "ask the district office for an api_key",
        "endpoints": [{"specification": SPEC, "url": base, "changeset": "2026-11-28T00:00:00Z", "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    })


@router.get("/services.{fmt}", summary="Open311 service list (the categories)")
async def services(fmt: Fmt, org: OrgDep) -> Response:
    return render(fmt, "services", [
        {"service_code": c.code, "service_name": c.name, "description": c.description or c.name, "metadata": True,
         "type": "realtime", "keywords": c.department_function, "group": c.start_level.label}
        for c in sorted(org.categories.values(), key=lambda c: c.code)
    ])


@router.get("/services/{service_code}.{fmt}", summary="Open311 service definition")
async def service_definition(service_code: str, fmt: Fmt, org: OrgDep) -> Response:
    if service_code not in org.categories:
        return error(fmt, 404, f"unknown service_code {service_code}")
    return render(fmt, "service_definition", {"service_code": service_code, "attributes": [
        {"variable": True, "code": "grid_code", "datatype": "string", "required": True,
         "datatype_description": "the grid (网格) code where the problem is, see /v1/units?kind=grid",
         "order": 1, "description": "网格编码"},
        {"variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 2, "description": "紧急程度",
         "values": [{"key": u.value, "name": u.label} for u in Urgency]},
    ]})


@router.post("/requests.{fmt}", summary="Open311 create a service request (needs api_key)")
async def create_request(fmt: Fmt, request: Request, services: ServicesDep, org: OrgDep) -> Response:
    form = await request.form()
    fields = {k: str(v) for k, v in form.items()}
    if problem := unstorable_text(fields):
        return error(fmt, 400, problem)
    client = services.settings.open311_api_keys.get(fields.get("api_key", ""))
    if client is None:
        return error(fmt, 403, "a valid api_key is required to create requests")
    service_code, grid_code = fields.get("service_code", ""), fields.get("attribute[grid_code]", "")
    if service_code not in org.categories:
        return error(fmt, 400, f"service_code {service_code!r} is not a service; see services.{fmt}")
    if not fields.get("description"):
        return error(fmt, 400, "description is required")
    try:
        urgency = Urgency(fields.get("attribute[urgency]") or "normal")
        ladder = ladder_for_report(org, grid_code, service_code)
        name = " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
        report = cmd.Report(
            actor=Actor(id=f"open311:{client}", name=client, unit_code=org.units[grid_code].district_code or "",
                        role=Role.DISPATCHER),
            petition_id=new_petition_id(), category=service_code, description=fields["description"][:2000],
            address=fields.get("address_string", "")[:200], grid_code=grid_code, channel=Channel.OPEN311,
            urgency=urgency, reporter_name=name[:64], reporter_phone=fields.get("phone", "")[:32],
            policy_name=services.policy.name, rules=services.policy.rules_for(service_code, urgency), ladder=ladder,
            desk_code=dispatch_desk(org, grid_code), tracks_delivery=True,
        )
    except (DomainError, ValueError, KeyError) as exc:
        return error(fmt, 400, getattr(exc, "message", None) or str(exc))
    state = await services.petitions.report(report)
    notice = f"已受理, 由{state.rung.unit_name}办理" if state and state.rung else "已受理"
    return render(fmt, "service_requests", [{"service_request_id": report.petition_id, "service_notice": notice,
                                             "account_id": None}])


@router.get("/requests.{fmt}", summary="Open311 query service requests")
async def list_requests(
    fmt: Fmt, services: ServicesDep, org: OrgDep,
    service_request_id: str | None = None, service_code: str | None = None,
    start_date: datetime | None = None, end_date: datetime | None = None,
    status: Annotated[str | None, Query(description="open or closed (comma-separated)")] = None,
) -> Response:
    where, args = [], []
    if service_request_id:
        args.append([s.strip() for s in service_request_id.split(",") if s.strip()])
        where.append(f"id = ANY(${len(args)}::text[])")
    else:  # the spec's default window: the last 90 days, at most 1000 requests
        args.append(start_date or (end_date or datetime.now(UTC)) - timedelta(days=90))
        where.append(f"reported_at >= ${len(args)}")
        if end_date:
            args.append(end_date)
            where.append(f"reported_at <= ${len(args)}")
    if service_code:
        args.append([s.strip() for s in service_code.split(",")])
        where.append(f"category = ANY(${len(args)}::text[])")
    if status:
        wanted = {s.strip() for s in status.split(",")}
        if not wanted <= {"open", "closed"}:
            return error(fmt, 400, "status is open or closed")
        if wanted == {"open"}:
            where.append("status <> 'closed'")
        elif wanted == {"closed"}:
            where.append("status = 'closed'")
    rows = await services.pool.fetch(
        f"SELECT * FROM petitions WHERE {' AND '.join(where)} ORDER BY reported_at DESC LIMIT 1000", *args)
    return render(fmt, "service_requests", [_request_out(dict(r), org) for r in rows])


@router.get("/requests/{service_request_id}.{fmt}", summary="Open311 one service request")
async def get_request(service_request_id: str, fmt: Fmt, services: ServicesDep, org: OrgDep) -> Response:
    row = await services.pool.fetchrow("SELECT * FROM petitions WHERE id = $1", service_request_id)
    if row is None:
        return error(fmt, 404, f"no service request {service_request_id}")
    return render(fmt, "service_requests", [_request_out(dict(row), org)])


@router.get("/tokens/{token}.{fmt}", summary="Open311 service request id of a token")
async def get_token(token: str, fmt: Fmt, services: ServicesDep) -> Response:
    # jiehu answers POST with the service_request_id at once; its token is that id
    found = await services.pool.fetchval("SELECT id FROM petitions WHERE id = $1", token)
    if found is None:
        return error(fmt, 404, f"no request for token {token}")
    return render(fmt, "service_requests", [{"service_request_id": found, "token": token}])


def _request_out(row: dict[str, Any], org: Any) -> dict[str, Any]:
    closed = row["status"] == Status.CLOSED.value
    category = org.categories.get(row["category"])
    notes = CloseOutcome(row["close_outcome"]).label if row["close_outcome"] else Status(row["status"]).label
    return {
        "service_request_id": row["id"], "status": "closed" if closed else "open", "status_notes": notes,
        "service_name": category.name if category else row["category"], "service_code": row["category"],
        "description": row["description"], "agency_responsible": row["unit_name"], "service_notice": None,
        "requested_datetime": _iso(row["reported_at"]), "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": _iso(row["resolve_due"]), "address": row["address"], "address_id": None,
        "zipcode": None, "lat": None, "long": None, "media_url": None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
