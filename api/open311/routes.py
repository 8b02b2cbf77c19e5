"""GeoReport v2 under /open311/v2: discovery, services, requests (GET and POST) and tokens.

Discovery and services are public. Request reads publish only what the district chose to publish
(`api/open311/publication.py`: PIPL), more for an `api_key` that reads `all`; POST needs an
`api_key` (JIEHU_OPEN311_API_KEYS). A request made here is an ordinary petition with channel `open311`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.deps import OrgDep, Services, ServicesDep
from api.input_rules import blank_problem, phone_problem, url_problem
from api.open311.formats import error, render
from api.open311.publication import PUBLIC_READER, published_where, request_out
from api.routes.petitions import new_petition_id
from domain import commands as cmd
from domain.enums import Channel, Role, Urgency
from domain.errors import DomainError
from domain.model import Actor
from domain.text import unstorable_text
from jiehu.settings import Open311Client, Settings
from org.model import OrgTree
from org.routing import dispatch_desk, ladder_for_report

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Fmt = Annotated[Literal["json", "xml"], Path(description="json or xml")]
ApiKey = Annotated[str | None, Query(description="a trusted integrator's key: reads what it is configured to read")]
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
    integrator = services.settings.open311_client(fields.get("api_key"))
    if integrator is None:
        return error(fmt, 403, "a valid api_key is required to create requests")
    client = integrator.name
    service_code, grid_code = fields.get("service_code", ""), fields.get("attribute[grid_code]", "")
    if service_code not in org.categories:
        return error(fmt, 400, f"service_code {service_code!r} is not a service; see services.{fmt}")
    if problem := _input_problem(fields):
        return error(fmt, 400, problem)
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


def _input_problem(fields: dict[str, str]) -> str | None:
    """What is wrong with a new request's fields, naming the field (None: nothing)."""
    if not fields.get("description", "").strip():
        return "description is required"
    for name in ("description", "address_string", "first_name", "last_name"):
        if problem := blank_problem(fields.get(name, "")):
            return f"{name} {problem}"
    if problem := phone_problem(fields.get("phone", "")):
        return f"phone {problem}"
    if fields.get("media_url") and (problem := url_problem(fields["media_url"])):
        return f"media_url {problem}"
    return None


def _reader(settings: Settings, api_key: str | None) -> Open311Client | None:
    """Who is reading: the public without a key, the key's integrator with one (None: an unknown key)."""
    return PUBLIC_READER if not api_key else settings.open311_client(api_key)


@router.get("/requests.{fmt}", summary="Open311 query service requests (what the district published)")
async def list_requests(
    fmt: Fmt, services: ServicesDep, org: OrgDep,
    service_request_id: str | None = None, service_code: str | None = None,
    start_date: datetime | None = None, end_date: datetime | None = None,
    status: Annotated[str | None, Query(description="open or closed (comma-separated)")] = None,
    api_key: ApiKey = None,
) -> Response:
    if (reader := _reader(services.settings, api_key)) is None:
        return error(fmt, 403, "api_key is not valid")
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = published_where(reader, org, arg)  # in SQL, so the limit counts only what may be shown
    if service_request_id:
        where.append(f"id = ANY({arg([s.strip() for s in service_request_id.split(',') if s.strip()])}::text[])")
    else:  # the spec's default window: the last 90 days, at most 1000 requests
        where.append(f"reported_at >= {arg(start_date or (end_date or datetime.now(UTC)) - timedelta(days=90))}")
        if end_date:
            where.append(f"reported_at <= {arg(end_date)}")
    if service_code:
        where.append(f"category = ANY({arg([s.strip() for s in service_code.split(',')])}::text[])")
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
    return render(fmt, "service_requests", [request_out(dict(r), org, reader) for r in rows])


@router.get("/requests/{service_request_id}.{fmt}", summary="Open311 one service request (if published)")
async def get_request(service_request_id: str, fmt: Fmt, services: ServicesDep, org: OrgDep,
                      api_key: ApiKey = None) -> Response:
    if (reader := _reader(services.settings, api_key)) is None:
        return error(fmt, 403, "api_key is not valid")
    row = await _published_row(services, org, reader, service_request_id)
    if row is None:  # unpublished answers as nonexistent: existence does not leak
        return error(fmt, 404, f"no service request {service_request_id}")
    return render(fmt, "service_requests", [request_out(row, org, reader)])


@router.get("/tokens/{token}.{fmt}", summary="Open311 service request id of a token (if published)")
async def get_token(token: str, fmt: Fmt, services: ServicesDep, org: OrgDep, api_key: ApiKey = None) -> Response:
    # jiehu answers POST with the service_request_id at once; its token is that id
    if (reader := _reader(services.settings, api_key)) is None:
        return error(fmt, 403, "api_key is not valid")
    if await _published_row(services, org, reader, token) is None:
        return error(fmt, 404, f"no request for token {token}")
    return render(fmt, "service_requests", [{"service_request_id": token, "token": token}])


async def _published_row(services: Services, org: OrgTree, reader: Open311Client,
                         petition_id: str) -> dict[str, Any] | None:
    args: list[Any] = [petition_id]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = " AND ".join(["id = $1", *published_where(reader, org, arg)])
    row = await services.pool.fetchrow(f"SELECT * FROM petitions WHERE {where}", *args)
    return dict(row) if row is not None else None
