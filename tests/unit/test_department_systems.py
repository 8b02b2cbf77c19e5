"""Department systems without services: the signature both directions use, the org data that says how a
department receives its orders, and 查收 (a department's staff opening an order is its hand-over)."""

from __future__ import annotations

import pytest

from domain import commands as cmd
from domain.enums import Role
from domain.errors import InvalidState, NotPermitted
from domain.model import Actor
from org.loader import OrgFileError, parse_org
from org.model import DepartmentSystem
from org.routing import ladder_from_unit
from services.signatures import KEY_ID, SIGNATURE, TIMESTAMP, SignatureRefused, signature, signed_headers, verify
from tests.unit.domain_helpers import DISPATCHER
from tests.unit.test_worklists import returned

BODY = b'{"event":"work_order","petition_id":"P-1"}'
NOW = 1_790_000_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() -> None:
    # computed independently: printf '1790000000.{"event":"work_order","petition_id":"P-1"}' |
    #   openssl dgst -sha256 -hmac secret
    import hashlib
    import hmac

    expected = hmac.new(b"secret", b"1790000000." + BODY, hashlib.sha256).hexdigest()
    assert signature("secret", NOW, BODY) == f"v1={expected}"
    assert signed_headers("k1", "secret", NOW, BODY) == {TIMESTAMP: str(NOW), KEY_ID: "k1", SIGNATURE: f"v1={expected}"}


def test_either_key_verifies_while_a_key_rotates_and_nothing_else_does() -> None:
    keys = {"new": "s-new", "old": "s-old"}
    for key in keys:
        headers = signed_headers(key, keys[key], NOW, BODY)
        assert verify({k.lower(): v for k, v in headers.items()}, BODY, keys, NOW + 10) == key
    cases = [
        (signed_headers("old", "s-wrong", NOW, BODY), BODY, NOW, "invalid_signature"),
        (signed_headers("gone", "s-old", NOW, BODY), BODY, NOW, "invalid_signature"),
        (signed_headers("old", "s-old", NOW, BODY), BODY + b" ", NOW, "invalid_signature"),  # body changed
        (signed_headers("old", "s-old", NOW, BODY), BODY, NOW + 301, "stale_timestamp"),
        (signed_headers("old", "s-old", NOW, BODY), BODY, NOW - 301, "stale_timestamp"),  # from the future
        ({TIMESTAMP: str(NOW), KEY_ID: "old"}, BODY, NOW, "invalid_signature"),
        ({TIMESTAMP: "1.5", KEY_ID: "old", SIGNATURE: "v1=00"}, BODY, NOW, "invalid_signature"),
    ]
    for headers, body, now, code in cases:
        with pytest.raises(SignatureRefused) as refused:
            verify(headers, body, keys, now)
        assert refused.value.code == code, (headers, code)


def _org(systems: dict) -> dict:
    return {"districts": [{"code": "d", "name": "区", "departments": [{"code": "d-water", "name": "水务局",
                                                                        "function": "water"}]}],
            "department_systems": systems}


def test_department_systems_in_the_org_data() -> None:
    tree = parse_org(_org({"d-water": {"delivery": "webhook", "url": "https://w.example/orders", "keys": ["a", "b"]}}))
    assert tree.system_of("d-water") == DepartmentSystem(delivery="webhook", url="https://w.example/orders",
                                                         keys=("a", "b"))
    assert parse_org(_org({})).system_of("d-water").delivery == "api"  # not named: it works in the API
    for systems, why in [
        ({"d": {"delivery": "worker"}}, "not a district department"),
        ({"d-water": {"delivery": "webhook", "keys": ["a"]}}, "url"),
        ({"d-water": {"delivery": "webhook", "url": "ftp://x", "keys": ["a"]}}, "url"),
        ({"d-water": {"delivery": "webhook", "url": "https://x"}}, "key"),
        ({"d-water": {"delivery": "api", "url": "https://x"}}, "only a webhook"),
        ({"d-water": {"delivery": "webhook", "url": "https://x", "keys": ["a", "a"]}}, "twice"),
        ({"d-water": {"delivery": "email"}}, "delivery"),
        ({"d-water": {"delivery": "api", "secret": "x"}}, "secret"),  # secrets are settings, never org data
    ]:
        with pytest.raises(OrgFileError, match=why):
            parse_org(_org(systems))


def test_opening_an_order_in_the_api_is_its_hand_over_once(demo_org) -> None:
    p = returned(demo_org)
    p.send(cmd.Dispatch(actor=DISPATCHER, ladder=ladder_from_unit(demo_org, "rencheng-water", "rc-yuehe-taibai-g1",
                                                                  "sanitation")))
    staff = Actor(id="u1", name="李四", unit_code="rencheng-water", role=Role.DEPARTMENT_STAFF)
    other = Actor(id="u2", name="赵六", unit_code="rencheng-gas", role=Role.DEPARTMENT_STAFF)
    with pytest.raises(NotPermitted):
        p.send(cmd.OpenWorkOrder(actor=other))
    [opened] = p.send(cmd.OpenWorkOrder(actor=staff))
    assert opened.type == "WorkOrderDelivered" and opened.opened_by == staff
    assert opened.delivery_id == f"{p.state.id}@{p.state.assignment.assigned_at.isoformat()}"
    assert p.state.delivery_pending_since is None
    with pytest.raises(InvalidState):  # refused: the API's second reading leaves no trace in history
        p.send(cmd.OpenWorkOrder(actor=staff))
