"""GeoReport v2 under /open311/v2: discovery, services, requests (GET and POST) and tokens.

Discovery and services are public. Request reads publish only what the district chose to publish
(`api/open311/publication.py`: PIPL), more for an `api_key` that reads `all`; POST needs an
`api_key` (JIEHU_OPEN311_API_KEYS). A request made here is an ordinary petition with channel `open311`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.deps import OrgDep, Services, ServicesDep
from api.input_rules import blank_problem, phone_problem, url_problem
from api.open311.formats import error, render
from api.open311.names import display_name
from api.open311.publication import PUBLIC_READER, published_where, request_out
from api.routes.petitions import new_petition_id
from domain import commands as cmd
from domain.enums import Channel, Role, Urgency
from domain.errors import DomainError
from domain.model import Actor
from domain.text import unstorable_text
from domain.workcalendar import CHINA
from jiehu.settings import Open311Client, Settings
from org.geography import LocationError, grid_at, grid_holds
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
        "changeset": "2026-11-29T00:00:00Z", "contact": "12345 / 街呼区应 jiehu",
        "key_service": "ask the district office for an api_key",
        "endpoints": [{"specification": SPEC, "url": base, "changeset": "2026-11-29T00:00:00Z", "type": "production",
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
        {"variable": True, "code": "grid_code", "datatype": "string", "required": False,
         "datatype_description": "the grid (网格) code where the problem is, see /v1/units?kind=grid; "
                                 "not needed when lat and long lie inside a grid",
         "order": 1, "description": "网格编码"},
        {"variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 2, "description": "紧急程度",
         "values": [{"key": u.value, "name": u.label} for u in Urgency]},
    ]})


# the longest text each field of a new request may hold: refused beyond, never cut
MAX_FIELD = {"description": cmd.MAX_TEXT, "address_string": 200, "phone": 32}
MAX_NAME = 64


@router.post("/requests.{fmt}", summary="Open311 create a service request (needs api_key)")
async def create_request(fmt: Fmt, request: Request, services: ServicesDep, org: OrgDep) -> Response:
    form = await request.form()
    # a parameter sent empty (`lat=&long=`) is a parameter not sent, as clients fill forms
    fields = {k: str(v) for k, v in form.items() if str(v) != ""}
    if problem := unstorable_text(fields):
        return error(fmt, 400, problem)
    integrator = services.settings.open311_client(fields.get("api_key") or request.query_params.get("api_key"))
    if integrator is None:
        return error(fmt, 403, "a valid api_key is required to create requests")
    client = integrator.name
    service_code = fields.get("service_code", "")
    if service_code not in org.categories:
        return error(fmt, 400, f"service_code {service_code!r} is not a service; see services.{fmt}")
    if problem := _input_problem(fields):
        return error(fmt, 400, problem)
    try:
        lat, long = _point(fields)
        grid_code = _grid(org, fields.get("attribute[grid_code]", ""), lat, long)
    except ValueError as exc:
        return error(fmt, 400, str(exc))
    try:
        urgency = Urgency(fields.get("attribute[urgency]") or "normal")
        ladder = ladder_for_report(org, grid_code, service_code)
        report = cmd.Report(
            actor=Actor(id=f"open311:{client}", name=client, unit_code=org.units[grid_code].district_code or "",
                        role=Role.DISPATCHER),
            petition_id=new_petition_id(), category=service_code, description=fields["description"],
            address=fields.get("address_string", ""), grid_code=grid_code, channel=Channel.OPEN311,
            urgency=urgency, reporter_name=display_name(fields.get("first_name", ""), fields.get("last_name", "")),
            reporter_phone=fields.get("phone", ""), latitude=lat, longitude=long,
            media_urls=[fields["media_url"]] if fields.get("media_url") else [],
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
    for name, most in MAX_FIELD.items():
        if len(fields.get(name, "")) > most:
            return f"{name} must be at most {most} characters (it has {len(fields[name])}); nothing was stored"
    if len(display_name(fields.get("first_name", ""), fields.get("last_name", ""))) > MAX_NAME:
        return f"first_name and last_name must be at most {MAX_NAME} characters together; nothing was stored"
    for name in ("description", "address_string", "first_name", "last_name"):
        if problem := blank_problem(fields.get(name, "")):
            return f"{name} {problem}"
    if problem := phone_problem(fields.get("phone", "")):
        return f"phone {problem}"
    if fields.get("media_url") and (problem := url_problem(fields["media_url"])):
        return f"media_url {problem}"
    return None


def _point(fields: dict[str, str]) -> tuple[float | None, float | None]:
    """`lat` and `long` (WGS84 degrees), both or neither; ValueError naming the field otherwise."""
    given = {name: fields.get(name) for name in ("lat", "long")}
    if not any(given.values()):
        return None, None
    if not all(given.values()):
        missing = next(name for name, value in given.items() if not value)
        raise ValueError(f"{missing} is required with {'long' if missing == 'lat' else 'lat'}")
    values = {}
    for name, bound in (("lat", 90), ("long", 180)):
        try:
            value = float(given[name] or "")
        except ValueError:
            raise ValueError(f"{name} must be a number of degrees (WGS84), not {given[name]!r}") from None
        if not math.isfinite(value) or abs(value) > bound:
            raise ValueError(f"{name} must be between -{bound} and {bound}")
        values[name] = value
    return values["lat"], values["long"]


def _grid(org: OrgTree, grid_code: str, lat: float | None, long: float | None) -> str:
    """The grid of a new request: attribute[grid_code], else the grid holding lat/long (they must agree)."""
    if grid_code:
        if grid_code in org.units and lat is not None and long is not None and not grid_holds(org, grid_code,
                                                                                                lat, long):
            raise ValueError(f"lat {lat}, long {long} lies outside grid {grid_code}")
        return grid_code
    if lat is None or long is None:
        raise ValueError("where is it? send lat and long (or attribute[grid_code])")
    try:
        return grid_at(org, lat, long)
    except LocationError as exc:
        raise ValueError(str(exc)) from None


def _reader(settings: Settings, api_key: str | None) -> Open311Client | None:
    """Who is reading: the public without a key, the key's integrator with one (None: an unknown key)."""
    return PUBLIC_READER if not _present(api_key) else settings.open311_client(api_key)


def _present(value: str | None) -> str | None:
    """An optional parameter sent empty (`status=`), as many clients do, is one not sent."""
    return value if value is not None and value.strip() != "" else None


_UNENCODED_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")


def parse_datetime(name: str, value: str, *, end_of_day: bool = False) -> datetime:
    """A GeoReport date-time in the forms clients send: ISO 8601 / W3C with `Z` or an offset (`+08:00`,
    `-0500`, `+08`), with or without seconds and fractions, a bare date (the whole day, China time), a
    local time without offset (China time), and an offset whose `+` arrived unencoded as a space.
    ValueError naming the parameter otherwise."""
    text = _UNENCODED_PLUS.sub(r"\1+\2", value.strip())
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time such as 2026-11-28T08:00:00+08:00 or "
                         f"2026-11-28T00:00:00Z, or a date such as 2026-11-28; not {value!r}") from None
    try:
        if "T" not in text.upper() and " " not in text and parsed.time() == time(0):  # a date: the whole day
            parsed = parsed + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else parsed
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)).astimezone(UTC)
        parsed - timedelta(days=90)  # noqa: B018 - the default window must be computable too
    except OverflowError:
        raise ValueError(f"{name} is out of range: {value!r}") from None
    return parsed


@router.get("/requests.{fmt}", summary="Open311 query service requests (what the district published)")
async def list_requests(
    fmt: Fmt, services: ServicesDep, org: OrgDep,
    service_request_id: str | None = None, service_code: str | None = None,
    start_date: Annotated[str | None, Query(description="ISO 8601 date-time or date (China time without offset)")]
    = None,
    end_date: Annotated[str | None, Query(description="ISO 8601 date-time or date (the whole day)")] = None,
    status: Annotated[str | None, Query(description="open or closed (comma-separated)")] = None,
    api_key: ApiKey = None,
) -> Response:
    if (reader := _reader(services.settings, _present(api_key))) is None:
        return error(fmt, 403, "api_key is not valid")
    try:
        start = parse_datetime("start_date", start_date) if _present(start_date) else None
        end = parse_datetime("end_date", end_date, end_of_day=True) if _present(end_date) else None
    except ValueError as exc:
        return error(fmt, 400, str(exc))
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = published_where(reader, org, arg)  # in SQL, so the limit counts only what may be shown
    ids = [s.strip() for s in (service_request_id or "").split(",") if s.strip()]
    codes = [s.strip() for s in (service_code or "").split(",") if s.strip()]
    wanted = {s.strip() for s in (status or "").split(",") if s.strip()}
    if ids:
        where.append(f"id = ANY({arg(ids)}::text[])")
    else:  # the spec's default window: the last 90 days, at most 1000 requests
        where.append(f"reported_at >= {arg(start or (end or datetime.now(UTC)) - timedelta(days=90))}")
        if end:
            where.append(f"reported_at <= {arg(end)}")
    if codes:
        where.append(f"category = ANY({arg(codes)}::text[])")
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
