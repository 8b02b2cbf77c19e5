"""Input that should not be stored, refused at the API with the field's name (422, or 400 in Open311).

These checks live at the API, not in the domain's commands and events: a recorded petition's
history must keep decoding as it was written, so the domain models stay as lenient as they were.
- text: a field is either empty or holds something besides spaces (ideographic and invisible ones
  count as spaces), and no control characters (description, reasons, notes…);
- phone numbers: empty, or 7 to 20 digits once spaces, dashes, dots, brackets and a leading + go;
- links (evidence, Open311 media_url): http or https with a host and no spaces, nothing else
  (no javascript:);
- booleans (`confidential`, `approve`, `upheld`…): JSON true or false only; pydantic's lax mode would
  read "yes", "on", "1" or 0 as one, and a client that sends a string has a bug worth hearing about.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationInfo, field_validator

from domain.text import StorableText

MAX_URL = 2000
_PHONE_SEPARATORS = re.compile(r"[\s\-.()（）]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u3164\u2800\u115f\u1160\uffa0]")
# control characters XML 1.0 cannot carry (a single one would break every Open311 XML answer), and
# the non-characters U+FFFE/U+FFFF, C1 controls and bidi overrides (they reorder what others read);
# tab, newline and carriage return stay allowed
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")
_BOOLEAN = (bool, bool | None)


def phone_problem(value: str) -> str | None:
    """Why `value` is not a phone number (None: it is one, or it is empty)."""
    if not value:
        return None
    digits = _PHONE_SEPARATORS.sub("", value).removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 20):
        return "must be a phone number: 7 to 20 digits, with optional +, spaces or dashes"
    return None


def url_problem(value: str) -> str | None:
    """Why `value` is not an http(s) link (None: it is one)."""
    if len(value) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
    except ValueError:
        return "must be an http or https URL"
    if parts.scheme.lower() not in ("http", "https") or not host or value != value.strip():
        return "must be an http or https URL with a host"
    if not _HOST.match(parts.netloc.rsplit("@", 1)[-1]) or any(c.isspace() for c in value):
        return "must be an http or https URL without spaces (encode them as %20)"
    return None


def blank_problem(value: str) -> str | None:
    """Why `value` is not storable text: blank (spaces, ideographic or invisible ones alone) or carrying
    control characters."""
    if _CONTROL.search(value):
        return "must not contain control characters"
    return "must not be blank" if value and not _INVISIBLE.sub("", value).strip() else None


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
