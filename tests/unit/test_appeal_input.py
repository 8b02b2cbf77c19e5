"""Appeals take reasons up to the one text limit (4,000 characters, as descriptions and notes), and
refuse blank text and non-boolean decisions like every other body."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.routes.appeals import AppealIn, DecisionIn
from domain.commands import MAX_TEXT


def test_an_appeal_reason_has_the_one_text_limit() -> None:
    body = {"petition_id": "JH-1", "unit_code": "rc-yuehe-taibai-g1", "waive": ["redispatch_breach"]}
    assert len(AppealIn(**body, reason="理" * MAX_TEXT).reason) == MAX_TEXT == 4000
    with pytest.raises(ValidationError, match="reason"):
        AppealIn(**body, reason="理" * (MAX_TEXT + 1))
    with pytest.raises(ValidationError, match="blank"):
        AppealIn(**body, reason="\u3000 ")
    assert len(DecisionIn(upheld=False, reason="驳" * MAX_TEXT).reason) == MAX_TEXT


def test_a_decision_is_a_json_boolean() -> None:
    with pytest.raises(ValidationError, match="true or false"):
        DecisionIn(upheld="yes", reason="不予支持")
