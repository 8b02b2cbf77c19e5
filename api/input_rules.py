"""Request bodies that refuse input that should not be stored, with the field's name (422).

The rules themselves are pure and live below the API (`domain/text.py`: blank text, control
characters, phone numbers, links), so the intake service applies the same ones to every channel;
this room only applies them to the REST API's request bodies, by field name (`*phone`, `*_urls`).
It adds one rule of its own: booleans (`confidential`, `approve`, `upheld`…) are JSON true or false
only; pydantic's lax mode would read "yes", "on", "1" or 0 as one, and a client that sends a string
has a bug worth hearing about. The domain's commands and events stay as lenient as they were: a
recorded petition's history must keep decoding as it was written.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo, field_validator

from domain.text import StorableText, blank_problem, phone_problem, url_problem

_BOOLEAN = (bool, bool | None)


class CheckedInput(StorableText):
    """Request bodies: no whitespace-only text, phone fields that hold a phone number, http(s) links,
    booleans that are JSON booleans."""

    @field_validator("*", mode="before")
    @classmethod
    def _strict_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and field.annotation in _BOOLEAN and value is not None and not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _checked(cls, value: Any, info: ValidationInfo) -> Any:
        problem = None
        if isinstance(value, str):
            problem = blank_problem(value)
            if problem is None and info.field_name and info.field_name.endswith("phone"):
                problem = phone_problem(value)
        elif info.field_name and info.field_name.endswith("_urls") and isinstance(value, list):
            problem = next((f"[{i}] {p}" for i, url in enumerate(value) if (p := url_problem(url))), None)
        if problem:
            raise ValueError(problem)
        return value
