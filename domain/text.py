"""Text that can be stored: PostgreSQL refuses NUL characters in text and JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator


def _check(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where} contains a NUL character, which cannot be stored")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{where}[{index}]")


class StorableText(BaseModel):
    """Mixin: rejects any string field (however deeply nested) that holds a NUL character."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if isinstance(data, dict):
            _check(data, "")
        return data
