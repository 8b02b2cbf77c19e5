"""The web console (工作台, issue 15): its built files at `/console`, `/` sending browsers there, and the two small
reads it starts with: how a person signs in (`GET /v1/sign-in`, public) and who the signed-in person is with the
actions their role may send (`GET /v1/me`). The console is a client of the public API only; this module holds no
rule of its own.

`jiehu dev` alone adds `POST /v1/dev/tokens` (`dev_router`): a token for any role and unit, signed with the dev
stack's secret, for the console's role picker. `jiehu api` never serves it (it is not a setting)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.auth import CurrentActor, issue_token
from api.deps import OrgDep, ServicesDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.scope import ROLES_OF_ACTION, SEES_PERSONAL_DATA
from config.settings import Settings
from domain.enums import Role

router = APIRouter(tags=["console"])
dev_router = APIRouter(tags=["console"])

SOURCE_DIST = Path(__file__).resolve().parents[2] / "console" / "dist"
# Element Plus and ECharts set inline styles; scripts only from the console's own files (free text is data)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https: "
       "http:; font-src 'self' data:; connect-src 'self' https:; frame-ancestors 'none'; base-uri 'self'; "
       "form-action 'self'")
NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>工作台尚未构建</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.6">
<h1>工作台尚未构建 (the console is not built)</h1>
<p>The API runs, but the console's files are missing ({dist}). Build them once (Node.js 18+ and npm):</p>
<pre>cd console &amp;&amp; npm ci &amp;&amp; npm run build</pre>
<p><code>scripts/setup.sh</code> (run by <code>scripts/dev.sh</code> and <code>scripts/test.sh</code>) does it when
<code>node</code> is installed. The REST API is at <a href="/docs">/docs</a>.</p></body></html>"""


def console_dist(settings: Settings) -> Path:
    """The folder of the built console: `JIEHU_CONSOLE_DIST`, else console/dist of the source tree."""
    return Path(settings.console_dist) if settings.console_dist else SOURCE_DIST


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    """Browsers opening the API's root land in the console."""
    return RedirectResponse("/console/", status_code=307)


@router.get("/console", include_in_schema=False)
@router.get("/console/{path:path}", include_in_schema=False)
async def console(services: ServicesDep, path: str = "") -> Response:
    """A file of the built console, or its index.html for the console's own routes (/console/petitions/…: the
    single-page app routes them); 503 with a page saying how to build it when it is not built. Never a file
    outside the console's folder (404)."""
    dist = console_dist(services.settings).resolve()
    index = dist / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT.format(dist=dist), status_code=503, headers={"Cache-Control": "no-store"})
    target = (dist / path).resolve() if path else index
    if path and not target.is_relative_to(dist):
        raise ApiError(404, "not_found", "no such file")
    if path and target.is_file():
        hashed = target.parent.name == "assets"  # Vite's file names carry their content hash
        cache = "public, max-age=31536000, immutable" if hashed else "no-cache"
        return FileResponse(target, headers={"Cache-Control": cache, "Content-Security-Policy": CSP,
                                             "X-Content-Type-Options": "nosniff"})
    if path.startswith("assets/"):
        raise ApiError(404, "not_found", "no such file")
    return FileResponse(index, headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP,
                                        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


class OidcOut(BaseModel):
    """The identity provider the console signs in with: OIDC authorization code with PKCE (a public client)."""

    issuer: str = Field(description="its discovery document is {issuer}/.well-known/openid-configuration")
    client_id: str
    scope: str
    audience: str | None = Field(None, description="the `aud` the API checks (JIEHU_JWT_AUDIENCE), if any")


class DevPerson(BaseModel):
    """A person the dev stack's role picker offers (any role and unit of the org may be chosen besides)."""

    role: Role
    unit: str
    label: str
    subject: str = Field("", description="a named person's token subject (a visit team's cadre: org visit_teams "
                                         "cadres ids); '' for `<role>@<unit>`")


class SignInOut(BaseModel):
    """How a person signs in to the console here: `oidc` (production), `dev` tokens (`jiehu dev` only), or neither
    (tokens are handed out some other way, e.g. pasted)."""

    oidc: OidcOut | None
    dev: bool = Field(description="POST /v1/dev/tokens mints a token for any role and unit (jiehu dev only)")
    dev_people: list[DevPerson] = []


DEV_PEOPLE = [
    DevPerson(role=Role.GRID_WORKER, unit="rc-yuehe-taibai-g1", label="网格员 · 太白社区第1网格"),
    DevPerson(role=Role.COMMUNITY_STAFF, unit="rc-yuehe-taibai", label="社区工作人员 · 太白社区"),
    DevPerson(role=Role.STREET_STAFF, unit="rc-yuehe", label="街道工作人员 · 越河街道"),
    DevPerson(role=Role.DEPARTMENT_STAFF, unit="rencheng-urban-management",
              label="区直部门工作人员 · 任城区综合行政执法局"),
    DevPerson(role=Role.DISPATCHER, unit="rc-yuehe", label="派单员 · 越河街道"),
    DevPerson(role=Role.DISPATCHER, unit="rencheng", label="派单员 · 任城区 (12345热线)"),
    DevPerson(role=Role.RETURN_VISITOR, unit="rencheng", label="回访员 · 任城区"),
    DevPerson(role=Role.SUPERVISOR, unit="rencheng", label="督办员 · 任城区"),
    DevPerson(role=Role.AUDITOR, unit="rencheng", label="督查审计员 · 任城区"),
    DevPerson(role=Role.ADMIN, unit="", label="管理员 · 市级"),
    # a visit team's cadre is recognised by the token's subject (org visit_teams: cadres' ids), not by role
    DevPerson(role=Role.DEPARTMENT_STAFF, unit="rencheng-housing", subject="rc-zjj-liuhong",
              label="帮办团成员 · 刘红 (越河街道红色帮办团第1组)"),
]


@router.get("/v1/sign-in", response_model=SignInOut)
async def sign_in(request: Request, services: ServicesDep) -> SignInOut:
    """How the console signs a person in (public: it holds no secret): the identity provider's issuer and the
    console's client id (OIDC with PKCE), and on `jiehu dev` the role picker's people."""
    settings = services.settings
    issuer = settings.oidc_issuer or settings.jwt_issuer
    oidc = OidcOut(issuer=issuer, client_id=settings.oidc_client_id, scope=settings.oidc_scope,
                   audience=settings.jwt_audience) if issuer and settings.oidc_client_id else None
    dev = bool(getattr(request.app.state, "dev_tokens", False))
    return SignInOut(oidc=oidc, dev=dev, dev_people=DEV_PEOPLE if dev else [])


class MeOut(BaseModel):
    """The signed-in person: who, which role and unit (with their Chinese names), and the actions their role may
    send at all (`ROLES_OF_ACTION`; whether a petition's state and unit allow one is the API's answer to it)."""

    sub: str
    name: str
    role: Role
    role_label: str
    unit_code: str
    unit_name: str = Field(description="'' for an admin of the city level (no unit)")
    unit_kind: str | None
    unit_kind_label: str | None
    district_code: str | None
    actions: list[str] = Field(description="command actions (POST /v1/petitions/{id}/{action}) and other writes "
                                           "(report, report-on-the-spot, hotline-call, …) the role may send")
    sees_personal_data: bool = Field(description="the role calls residents: their name and phone are shown to it")


@router.get("/v1/me", response_model=MeOut, responses=PROBLEM_RESPONSES(401))
async def me(actor: CurrentActor, org: OrgDep) -> MeOut:
    """Who the token says the caller is, with their unit's name and the actions of their role."""
    unit = org.units.get(actor.unit_code)
    return MeOut(sub=actor.id, name=actor.name, role=actor.role, role_label=actor.role.label,
                 unit_code=actor.unit_code, unit_name=unit.name if unit else "",
                 unit_kind=unit.kind.value if unit else None, unit_kind_label=unit.kind.label if unit else None,
                 district_code=unit.district_code if unit else None,
                 actions=sorted(a for a, roles in ROLES_OF_ACTION.items() if actor.role in roles),
                 sees_personal_data=actor.role in SEES_PERSONAL_DATA)


class DevTokenIn(BaseModel):
    """The role and unit of a dev token (`unit` '' only for admin, the city level), and optionally its subject
    (a visit team's cadre id, which makes the token a member of the team; '' for `<role>@<unit>`)."""

    role: Role
    unit: str = Field("", max_length=64)
    name: Annotated[str, Field(max_length=40)] = ""
    subject: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9@._-]*$")


class DevTokenOut(BaseModel):
    """A dev token (HS256, 12 hours) and who it names."""

    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="seconds")


@dev_router.post("/v1/dev/tokens", response_model=DevTokenOut, responses=PROBLEM_RESPONSES(404, 422))
async def dev_token(body: DevTokenIn, services: ServicesDep, org: OrgDep) -> DevTokenOut:
    """`jiehu dev` only: a token for any role and unit of the org (the console's role picker), signed with the dev
    stack's secret; `subject` names the person (a visit team's cadre id: the visit desk knows its members by it,
    and their name becomes the token's). 422 for the system role or a unit the org does not have."""
    secret = services.settings.jwt_secret
    if not secret:
        raise ApiError(404, "not_found", "no dev tokens here")
    if body.role is Role.SYSTEM:
        raise ApiError(422, "validation_error", "role: the system role is not for people")
    if body.unit and body.unit not in org.units:
        raise ApiError(422, "unknown_unit", f"unknown unit {body.unit!r}")
    if not body.unit and body.role is not Role.ADMIN:
        raise ApiError(422, "validation_error", "unit: every role but admin needs one")
    hours = 12
    cadre = next((c for t in org.visit_teams.values() for c in t.cadres if c.id == body.subject), None) \
        if body.subject else None
    token = issue_token(secret, subject=body.subject or f"{body.role.value}@{body.unit or 'jiehu'}",
                        name=body.name or (cadre.name if cadre else body.role.label), role=body.role, unit=body.unit,
                        hours=hours,
                        issuer=services.settings.jwt_issuer, audience=services.settings.jwt_audience)
    return DevTokenOut(token=token, expires_in=hours * 3600)
