"""What an Open311 reader may see of petitions: petitions are private unless the district publishes them.

PIPL (个人信息保护法): a public Open311 read is an opt-in publication. Without a trusted `api_key`
a reader sees only petitions of categories marked `public` in the org that are not confidential,
and of them a public summary (never the description), the street and community of their grid
(never a house, building or room), no reporter, no coordinates and no photos. An integrator whose
key reads `all` sees every petition that is not confidential, with the redacted description, the
full address (redacted), the point (lat/long) and the first photo sent with the report (media_url).
Confidential petitions (工单保密) never leave through Open311. Fields: GeoReport v2.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from config.settings import Open311Client
from domain.enums import CloseOutcome, Status, UnitKind
from domain.redaction import redact
from org.model import OrgTree

PUBLIC_READER = Open311Client(name="public", read="public")


def readable_categories(reader: Open311Client, org: OrgTree) -> list[str] | None:
    """The categories whose petitions `reader` may see (None: all); a confidential petition never, whatever
    its category (`eventstore.petition_queries.PublishedQuery` leaves them out)."""
    if reader.read == "all":
        return None
    return sorted(code for code, category in org.categories.items() if category.public)


def request_out(row: dict[str, Any], org: OrgTree, reader: Open311Client) -> dict[str, Any]:
    """A read-model row as a GeoReport v2 service request, holding only what `reader` may see."""
    closed = row["status"] == Status.CLOSED.value
    category = org.categories.get(row["category"])
    category_name = category.name if category else row["category"]
    notes = CloseOutcome(row["close_outcome"]).label if row["close_outcome"] else Status(row["status"]).label
    lat = long = media_url = None
    if reader.read == "all":
        description, address = redact(row["description"]), redact(row["address"])
        lat, long = row.get("latitude"), row.get("longitude")
        media_url = redact(row["media_urls"][0]) if row.get("media_urls") else None  # links carry numbers too
    else:
        description = redact(row["public_summary"] or f"{category_name}类诉求")
        address = coarse_address(org, row["grid_code"])
    return {
        "service_request_id": row["id"], "status": "closed" if closed else "open", "status_notes": notes,
        "service_name": category_name, "service_code": row["category"],
        "description": description, "agency_responsible": row["unit_name"], "service_notice": None,
        "requested_datetime": _iso(row["reported_at"]), "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": _iso(row["resolve_due"]), "address": address, "address_id": None,
        "zipcode": None, "lat": lat, "long": long, "media_url": media_url,
    }


def coarse_address(org: OrgTree, grid_code: str) -> str:
    """The street and community of a grid, e.g. 越河街道太白社区 (the district if the grid is gone)."""
    chain = org.ancestors(grid_code)
    names = [u.name for u in reversed(chain) if u.kind in (UnitKind.STREET, UnitKind.COMMUNITY)]
    if names:
        return "".join(names)
    return next((u.name for u in chain if u.kind is UnitKind.DISTRICT), "")


def _iso(value: datetime | None) -> str | None:
    """UTC with Z, as everywhere in the API."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
