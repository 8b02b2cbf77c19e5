"""Text that can be stored: PostgreSQL refuses NUL characters, and UTF-8 has no lone surrogates."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator


def unstorable_text(value: Any, where: str = "") -> str | None:
    """The path of the first string (however deeply nested) that cannot be stored, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{where or 'text'} contains a NUL character, which cannot be stored"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where or 'text'} is not valid Unicode (a lone surrogate)"
    elif isinstance(value, dict):
        for key, item in value.items():
            found = unstorable_text(item, f"{where}.{key}" if where else str(key))
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = unstorable_text(item, f"{where}[{index}]")
            if found:
                return found
    return None


class StorableText(BaseModel):
    """Mixin for request bodies: refuse, with the field's name, any text that cannot be stored.

    Not for workflow payloads (commands, actors): their decoding must stay as lenient as when a
    running petition's history was recorded; the workflow's validators check them instead.
    """

    # per field, so the error's location is the field (a model-level check would name none)
    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        problem = unstorable_text(value, info.field_name or "")
        if problem:
            raise ValueError(problem)
        return value
