"""Every channel gets the same intake rules: the intake service refuses, before it touches the database or
Temporal, what should not be stored, naming the field — also when a channel calls it directly (no API)."""

from __future__ import annotations

from typing import Any

import pytest

from config.reference_data import load_policy
from domain.enums import Channel, Role
from domain.model import Actor
from domain.workcalendar import WorkCalendar
from services.errors import FieldTooLong, InvalidField
from services.intake import IntakeService
from services.intake_command import LIMITS, Intake, input_problem

GRID = "rc-yuehe-taibai-g1"
HOTLINE_AGENT = Actor(id="h1", name="12345话务员", unit_code="rencheng", role=Role.DISPATCHER)


def intake(**fields: Any) -> Intake:
    return Intake(**({"actor": HOTLINE_AGENT, "category": "sanitation", "description": "小区门口垃圾堆积",
                      "channel": Channel.HOTLINE, "grid_code": GRID} | fields))


class _Untouchable:
    """A pool or client the refused report must never reach."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a refused report reached {name}")


class _AnyGrid:
    def may_report_in(self, grid_code: str) -> bool:
        return True

    def may_see(self, row: dict[str, Any]) -> bool:
        return False


def _calendar() -> WorkCalendar:
    raise AssertionError("a refused report needs no calendar")


@pytest.mark.parametrize(("fields", "field", "fragment"), [
    ({"reporter_phone": "call me"}, "reporter_phone", "must be a phone number"),
    ({"reporter_phone": "123"}, "reporter_phone", "7 to 20 digits"),
    ({"description": " \u3000\u200b "}, "description", "must not be blank"),
    ({"address": "\u3000"}, "address", "must not be blank"),
    ({"reporter_name": "陈\x07秀英"}, "reporter_name", "control characters"),
    ({"public_summary": "垃圾\u202e清运"}, "public_summary", "control characters"),
    ({"description": ""}, "description", "is required"),
    ({"description": "垃圾\x00"}, "description", "NUL"),
    ({"media_urls": ("https://a.example/p.jpg", "javascript:alert(1)")}, "media_urls", "[1] must be an http"),
    ({"media_urls": ("https://a.example/a photo.jpg",)}, "media_urls", "without spaces"),
    ({"address": "楼" * (LIMITS["address"] + 1)}, "address", f"at most {LIMITS['address']} characters"),
])
async def test_the_intake_service_refuses_what_should_not_be_stored_from_any_channel(demo_org, fields, field,
                                                                                      fragment):
    service = IntakeService(_Untouchable(), _Untouchable(), load_policy("default"), _calendar)
    with pytest.raises(InvalidField) as refused:
        await service.report(intake(**fields), demo_org, _AnyGrid())
    assert refused.value.field == field and fragment in refused.value.message, refused.value.message
    assert refused.value.message == f"{field} {refused.value.problem}"


def test_what_may_be_stored_passes():
    assert input_problem(intake(reporter_phone="+86 138-0537-1234", address="太白小区3号楼\n东门",
                                media_urls=("https://a.example/p.jpg",), public_summary="垃圾清运")) is None


def test_a_field_over_its_limit_is_too_long_whatever_else_is_wrong():
    problem = input_problem(intake(reporter_phone="x" * (LIMITS["reporter_phone"] + 1)))
    assert isinstance(problem, FieldTooLong) and problem.field == "reporter_phone"
