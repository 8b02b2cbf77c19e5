"""物业110 (issue 14 §3): the property hotline of old compounds, and the compounds (小区) it serves.

A call names the compound; the order goes to the property company that serves it (channel `property_hotline`,
the compound recorded on the petition) and climbs, when the company does not act in time, to the community,
the street's property office (物业办) and the housing department (`org.routing.ladder_for_compound`). No SQL:
the report goes through the one intake service (`services/intake.py`).

Who takes a call (`takes_calls_for`): the customer service desk of the company that serves the compound (its
property staff: 物业110 is the company's own line in 鲁城街道), the street (street staff of the street or of its
物业办) for the compounds of its street, a dispatcher for the compounds of its district or street (12345
passes a property call on), and admin. Who reads the compounds: every cadre with a token — the mapping of
compound to company is org data, no resident's, and every desk that routes a call needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, model_validator

from api.auth import CurrentActor
from api.deps import IntakeDep, OrgDep
from api.errors import PROBLEM_RESPONSES, ApiError
from api.idempotency import IdempotencyKey
from api.input_rules import CheckedInput
from api.petition_views import ActorReach, reported_out
from api.rate_limit import IntakeActor
from api.schemas import ReportedOut
from api.scope import require_role
from domain.commands import MAX_EVIDENCE
from domain.enums import Channel, RequestType, Role, UnitKind, Urgency
from domain.model import Actor
from org.model import OrgTree, Unit
from services.intake_command import LIMITS, Intake

router = APIRouter(prefix="/v1", tags=["property hotline"])


class CompoundOut(BaseModel):
    """A compound (小区) and the property company that serves it, with where it lies."""

    code: str
    name: str
    property_company: str
    property_company_name: str
    grid_code: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str
    district_code: str
    property_office: str | None = Field(description="the street's property office (物业办), the rung above the "
                                                    "community on a 物业110 order; null: the street itself")


def compound_out(org: OrgTree, compound: Unit) -> CompoundOut:
    """The compound with its company, grid, community, street, district and the street's 物业办."""
    grid = org.units[compound.parent_code or ""]
    community = org.units[grid.parent_code or ""]
    street = org.units[community.parent_code or ""]
    company = org.units[compound.property_company or ""]
    office = next((u.code for u in org.children(street.code) if u.kind is UnitKind.PROPERTY_OFFICE), None)
    return CompoundOut(code=compound.code, name=compound.name, property_company=company.code,
                       property_company_name=company.name, grid_code=grid.code, community_code=community.code,
                       community_name=community.name, street_code=street.code, street_name=street.name,
                       district_code=compound.district_code or "", property_office=office)


@router.get("/compounds", response_model=list[CompoundOut], responses=PROBLEM_RESPONSES(401, 422))
async def list_compounds(
    org: OrgDep, _: CurrentActor,
    community: str | None = Query(None, max_length=64, description="compounds of this community"),
    company: str | None = Query(None, max_length=64, description="compounds this property company serves"),
    district: str | None = Query(None, max_length=64, description="compounds of this district"),
    street: str | None = Query(None, max_length=64, description="compounds of this street"),
) -> list[CompoundOut]:
    """Every compound (小区) with the company that serves it (物业110's mapping), by code; filters are ANDed.
    A filter naming no unit of its kind answers 422 `unknown_unit`."""
    for value, kinds in ((community, {UnitKind.COMMUNITY}), (company, {UnitKind.PROPERTY_COMPANY}),
                         (district, {UnitKind.DISTRICT}), (street, {UnitKind.STREET})):
        if value is not None and (value not in org.units or org.units[value].kind not in kinds):
            kind = next(iter(kinds)).value
            raise ApiError(422, "unknown_unit", f"no {kind} {value!r}; see GET /v1/units?kind={kind}")
    found = []
    for unit in sorted(org.units.values(), key=lambda u: u.code):
        if unit.kind is not UnitKind.COMPOUND:
            continue
        out = compound_out(org, unit)
        if ((community is None or out.community_code == community) and (company is None or out.property_company
                                                                         == company)
                and (district is None or out.district_code == district)
                and (street is None or out.street_code == street)):
            found.append(out)
    return found


def takes_calls_for(actor: Actor, org: OrgTree, compound: Unit) -> bool:
    """Whether `actor` may record a 物业110 call about `compound` (the module's rule): admin any; property staff
    of the company that serves it; street staff of its street or of that street's property office (物业办); a
    dispatcher of its district or street."""
    if actor.role is Role.ADMIN:
        return True
    unit = org.units.get(actor.unit_code)
    if unit is None:
        return False
    if actor.role is Role.PROPERTY_STAFF:
        return compound.property_company == unit.code
    if actor.role is Role.STREET_STAFF:  # the street's 物业办, or the street's own office above it
        street = unit.parent_code if unit.kind is UnitKind.PROPERTY_OFFICE else unit.code
        return compound.code in org.subtree(street or "")
    if actor.role is Role.DISPATCHER:
        return compound.code in org.subtree(unit.code)
    return False


@dataclass(frozen=True)
class CompoundReach(ActorReach):
    """A 物业110 call's reach: the compound's grid (the caller's right to the compound was checked first), and
    the petitions the caller may see."""

    grid_code: str = ""

    def may_report_in(self, grid_code: str) -> bool:
        """Only the called-about compound's grid."""
        return grid_code == self.grid_code


class PropertyCallIn(CheckedInput):
    """A 物业110 call as the desk records it: the compound (`compound`, see GET /v1/compounds), what is wrong,
    the caller (`caller_name`, `caller_phone`, or `anonymous`), `confidential` (工单保密: the company never sees
    the caller), the classification (`category`, a property matter; `request_type`; `urgency`)."""

    compound: str = Field(min_length=1, max_length=64, examples=["qf-lucheng-gulou-gulouhoujie"])
    description: str = Field(min_length=1, max_length=LIMITS["description"], examples=["楼道灯坏了一个月没人修"])
    category: str = Field("property_management", min_length=1, max_length=LIMITS["category"],
                          description="a property matter (`property: true` in the categories)")
    request_type: RequestType = RequestType.HELP
    urgency: Urgency = Urgency.NORMAL
    caller_name: str = Field(default="", max_length=LIMITS["reporter_name"])
    caller_phone: str = Field(default="", max_length=LIMITS["reporter_phone"], examples=["13805371234"])
    anonymous: bool = False
    confidential: bool = False
    address: str = Field(default="", max_length=LIMITS["address"], examples=["3号楼2单元"])
    media_urls: list[str] = Field(default=[], max_length=MAX_EVIDENCE, description="photos the caller sent (links)")
    resident_sms: bool = Field(True, description="false: the caller asked for no messages (the SMS survey included)")

    @model_validator(mode="after")
    def _caller(self) -> PropertyCallIn:
        if self.anonymous and (self.caller_name or self.caller_phone):
            raise ValueError("anonymous: an anonymous caller's name and phone are not recorded; leave them out")
        return self


@router.post("/property-hotline/calls", status_code=status.HTTP_201_CREATED, response_model=ReportedOut,
             responses=PROBLEM_RESPONSES(401, 403, 404, 409, 413, 422, 429, 503))
async def record_property_call(body: PropertyCallIn, actor: IntakeActor, intake: IntakeDep, org: OrgDep,
                               response: Response, idempotency_key: IdempotencyKey = None) -> ReportedOut:
    """Record a 物业110 call: a work order for the property company that serves the compound, its deadlines
    running at once (the policy's `property_company` rules); if the company does not act in time it climbs
    to the community, the street's 物业办 and the housing department. 404 for an unknown compound, 403 for a
    compound outside the caller's desk, 422 for a category that is no property matter."""
    require_role(actor, "property-hotline-call")
    compound = org.units.get(body.compound)
    if compound is None or compound.kind is not UnitKind.COMPOUND:
        raise ApiError(404, "compound_not_found", f"no compound {body.compound!r}; see GET /v1/compounds")
    if not takes_calls_for(actor, org, compound):
        raise ApiError(403, "out_of_scope", f"compound {compound.code} ({compound.name}) is not served by your desk")
    grid = compound.parent_code or ""
    reported = await intake.report(Intake(
        actor=actor, category=body.category, description=body.description, channel=Channel.PROPERTY_HOTLINE,
        grid_code=grid, address=f"{compound.name} {body.address}".strip(), urgency=body.urgency,
        reporter_name=body.caller_name, reporter_phone=body.caller_phone, confidential=body.confidential,
        media_urls=tuple(body.media_urls), resident_sms=body.resident_sms, idempotency_key=idempotency_key,
        request={"property_hotline": body.model_dump(mode="json")}, request_type=body.request_type,
        anonymous=body.anonymous, compound=compound.code,
    ), org, CompoundReach(actor, org, grid))
    response.status_code = reported.status
    return reported_out(reported, actor, org)  # with its duplicate candidates, or the burst it joined (issue 14 §5)
