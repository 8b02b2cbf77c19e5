"""GeoReport v2 under /open311/v2: discovery, services, requests (GET and POST) and tokens.

Discovery and services are public. Request reads publish only what the district chose to publish
(`api/open311/publication.py`: PIPL), more for an `api_key` that reads `all`; POST needs an
`api_key` (JIEHU_OPEN311_API_KEYS). A request made here is an ordinary petition with channel `open311`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.deps import IntakeDep, OrgDep, ServicesDep
from api.open311.formats import error, render
from api.open311.names import display_name
from api.open311.params import listed, parse_datetime, point, present
from api.open311.publication import PUBLIC_READER, readable_categories, request_out
from api.rate_limit import refuse_if_limited
from config.settings import Open311Client, Settings
from domain.enums import Channel, Role, Urgency
from domain.errors import DomainError
from domain.model import Actor
from domain.text import blank_problem, unstorable_text
from eventstore.petition_queries import PublishedQuery, published_request, published_requests
from org.model import OrgTree
from services.errors import InvalidField
from services.intake_command import Intake

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Fmt = Annotated[Literal["json", "xml"], Path(description="json or xml")]
ApiKey = Annotated[str | None, Query(description="a trusted integrator's key: reads what it is configured to read")]
SPEC = "http://wiki.open311.org/GeoReport_v2"


@router.get("/discovery.{fmt}", summary="Open311 discovery")
async def discovery(fmt: Fmt, request: Request) -> Response:
    """GeoReport discovery: the endpoint, its formats and how to get an api_key."""
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return render(fmt, "discovery", {
        "changeset": "2026-11-29T00:00:00Z", "contact": "12345 / 街呼区应 jiehu",
        "key_service": "ask the district office for an api_key",
        "endpoints": [{"specification": SPEC, "url": base, "changeset": "2026-11-29T00:00:00Z", "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    })


@router.get("/services.{fmt}", summary="Open311 service list (the categories)")
async def services(fmt: Fmt, org: OrgDep) -> Response:
    """GeoReport service list: one service per category of the org."""
    return render(fmt, "services", [
        {"service_code": c.code, "service_name": c.name, "description": c.description or c.name, "metadata": True,
         "type": "realtime", "keywords": c.department_function, "group": c.start_level.label}
        for c in sorted(org.categories.values(), key=lambda c: c.code)
    ])


@router.get("/services/{service_code}.{fmt}", summary="Open311 service definition")
async def service_definition(service_code: str, fmt: Fmt, org: OrgDep) -> Response:
    """GeoReport service definition: the attributes a request may carry (grid code, urgency). 404 for an unknown
    service code."""
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
        {"variable": True, "code": "resident_sms", "datatype": "singlevaluelist", "required": False,
         "datatype_description": "false: the resident asked for no text messages about this request",
         "order": 3, "description": "是否接收短信",
         "values": [{"key": "true", "name": "接收短信"}, {"key": "false", "name": "不接收短信"}]},
    ]})


# the intake field each GeoReport parameter of a new request fills: the intake service checks the field
# (`services.intake_command.input_problem`) and its refusal names the parameter
PARAMETER_OF_FIELD = {"description": "description", "address": "address_string", "reporter_phone": "phone",
                      "reporter_name": "first_name and last_name together", "media_urls": "media_url",
                      "category": "service_code", "grid_code": "attribute[grid_code]"}


@router.post("/requests.{fmt}", summary="Open311 create a service request (needs api_key)")
async def create_request(fmt: Fmt, request: Request, services: ServicesDep, intake: IntakeDep,
                         org: OrgDep) -> Response:
    """GeoReport POST requests (needs an api_key): reports a petition of channel `open311` through the intake
    service, as the grid's district dispatch desk. 400 naming the parameter for bad input, 403 without a valid key,
    429 with Retry-After past the intake rate limit (per api_key; per IP address without a valid one)."""
    form = await request.form()
    # a parameter sent empty (`lat=&long=`) is a parameter not sent, as clients fill forms
    fields = {k: str(v) for k, v in form.items() if str(v) != ""}
    api_key = fields.get("api_key") or request.query_params.get("api_key")
    integrator = services.settings.open311_client(api_key)
    # a flood is refused before anything else is looked at: per integrator (its api_key), or per IP address
    # for a caller without a valid key (429 with Retry-After, in the URL's format)
    if integrator:  # an integrator carrying many residents' reports may have a limit of its own
        refuse_if_limited(request, f"open311:{api_key}", "open311", integrator.burst, integrator.per_minute)
    else:
        refuse_if_limited(request, f"ip:{_address(request)}", "open311")
    if problem := unstorable_text(fields):
        return error(fmt, 400, problem)
    if integrator is None:
        return error(fmt, 403, "a valid api_key is required to create requests")
    service_code = fields.get("service_code", "")
    if service_code not in org.categories:
        return error(fmt, 400, f"service_code {service_code!r} is not a service; see services.{fmt}")
    if problem := _parameter_problem(fields):
        return error(fmt, 400, problem)
    try:
        lat, long = point(fields)
        grid_code = fields.get("attribute[grid_code]", "")
        if not grid_code and (lat is None or long is None):
            raise ValueError("where is it? send lat and long (or attribute[grid_code])")
        urgency = Urgency(fields.get("attribute[urgency]") or "normal")
        resident_sms = _yes_or_no(fields.get("attribute[resident_sms]", "true"), "attribute[resident_sms]")
    except ValueError as exc:
        return error(fmt, 400, str(exc))
    client = integrator.name
    # the integrator reports as its grid's district's dispatch desk would (a hotline agent)
    actor = Actor(id=f"open311:{client}", name=client, role=Role.DISPATCHER, unit_code="")
    try:
        reported = await intake.report(Intake(
            actor=actor, category=service_code, description=fields["description"], channel=Channel.OPEN311,
            grid_code=grid_code or None, latitude=lat, longitude=long, address=fields.get("address_string", ""),
            urgency=urgency,
            reporter_name=display_name(fields.get("first_name", ""), fields.get("last_name", "")),
            reporter_phone=fields.get("phone", ""), resident_sms=resident_sms,
            media_urls=(fields["media_url"],) if fields.get("media_url") else (), for_district_desk=True,
        ), org, _ANY_GRID)
    except InvalidField as exc:
        # one media_url is the intake's media_urls[0]
        field = exc.field or ""
        return error(fmt, 400, f"{PARAMETER_OF_FIELD.get(field, field)} {exc.problem.removeprefix('[0] ')}")
    except DomainError as exc:
        return error(fmt, 400, exc.message)
    state = reported.state
    notice = f"已受理, 由{state.rung.unit_name}办理" if state and state.rung else "已受理"
    return render(fmt, "service_requests", [{"service_request_id": reported.petition_id, "service_notice": notice,
                                             "account_id": None}])


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _yes_or_no(value: str, name: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError(f"{name} is true or false")
    return value.lower() == "true"


class _AnyGrid:
    """An integrator's reach: it reports in any grid (as its district's desk), and follows no petition."""

    def may_report_in(self, grid_code: str) -> bool:
        return True

    def may_see(self, row: dict) -> bool:
        return False


_ANY_GRID = _AnyGrid()


def _parameter_problem(fields: dict[str, str]) -> str | None:
    """What GeoReport's own parameters lack, naming the parameter (None: nothing). The fields they fill
    are the intake service's to check; these are the format's: `description` is required, and the two
    halves of a name are each checked before they are joined into one."""
    if not fields.get("description", "").strip():
        return "description is required"
    for name in ("first_name", "last_name"):
        if problem := blank_problem(fields.get(name, "")):
            return f"{name} {problem}"
    return None


def _reader(settings: Settings, api_key: str | None) -> Open311Client | None:
    """Who is reading: the public without a key, the key's integrator with one (None: an unknown key)."""
    return PUBLIC_READER if not present(api_key) else settings.open311_client(api_key)


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
    """GeoReport GET requests: what the reader may see (published categories, more for a key that reads `all`), by
    id, service code, status and dates (default: the last 90 days, at most 1,000). 400 for a bad date or status, 403
    for an unknown key."""
    if (reader := _reader(services.settings, present(api_key))) is None:
        return error(fmt, 403, "api_key is not valid")
    try:
        start = parse_datetime("start_date", start_date or "") if present(start_date) else None
        end = parse_datetime("end_date", end_date or "", end_of_day=True) if present(end_date) else None
    except ValueError as exc:
        return error(fmt, 400, str(exc))
    wanted = set(listed(status))
    if not wanted <= {"open", "closed"}:
        return error(fmt, 400, "status is open or closed")
    query = PublishedQuery(  # counted in SQL, so the limit counts only what may be shown
        categories=readable_categories(reader, org), ids=listed(service_request_id),
        service_codes=listed(service_code),
        # the spec's default window: the last 90 days, at most 1000 requests
        reported_from=start or (end or datetime.now(UTC)) - timedelta(days=90), reported_to=end,
        open=True if wanted == {"open"} else False if wanted == {"closed"} else None, limit=1000,
    )
    rows = await published_requests(services.pool, query)
    return render(fmt, "service_requests", [request_out(r, org, reader) for r in rows])


@router.get("/requests/{service_request_id}.{fmt}", summary="Open311 one service request (if published)")
async def get_request(service_request_id: str, fmt: Fmt, services: ServicesDep, org: OrgDep,
                      api_key: ApiKey = None) -> Response:
    """GeoReport GET one request, if the reader may see it; 404 otherwise (existence does not leak)."""
    if (reader := _reader(services.settings, api_key)) is None:
        return error(fmt, 403, "api_key is not valid")
    row = await _published_row(services, org, reader, service_request_id)
    if row is None:  # unpublished answers as nonexistent: existence does not leak
        return error(fmt, 404, f"no service request {service_request_id}")
    return render(fmt, "service_requests", [request_out(row, org, reader)])


@router.get("/tokens/{token}.{fmt}", summary="Open311 service request id of a token (if published)")
async def get_token(token: str, fmt: Fmt, services: ServicesDep, org: OrgDep, api_key: ApiKey = None) -> Response:
    """GeoReport GET tokens: a request's id (jiehu answers POST with the id at once, so a token is the id); 404 if
    the reader may not see it."""
    # jiehu answers POST with the service_request_id at once; its token is that id
    if (reader := _reader(services.settings, api_key)) is None:
        return error(fmt, 403, "api_key is not valid")
    if await _published_row(services, org, reader, token) is None:
        return error(fmt, 404, f"no request for token {token}")
    return render(fmt, "service_requests", [{"service_request_id": token, "token": token}])


async def _published_row(services: ServicesDep, org: OrgTree, reader: Open311Client,
                         petition_id: str) -> dict | None:
    return await published_request(services.pool, petition_id, readable_categories(reader, org))
