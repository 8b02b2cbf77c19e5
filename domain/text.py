"""Text that may be stored, as pure checks every channel and request body applies.

- storable at all: PostgreSQL refuses NUL characters, and UTF-8 has no lone surrogates;
- text: a field is either empty or holds something besides spaces (ideographic and invisible ones
  count as spaces), and no control characters (description, reasons, notes…);
- phone numbers: empty, or 7 to 20 digits once spaces, dashes, dots, brackets and a leading + go;
- links (evidence, Open311 media_url): http or https with a host and no spaces, nothing else
  (no javascript:).

Each check answers why a value may not be stored (None: it may), without the field's name, so the
caller names the field as its channel calls it. Not applied to commands and events: a recorded
petition's history must keep decoding as it was written (the intake service, the API's request
bodies and the workflow's validators apply them).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationInfo, field_validator

MAX_URL = 2000  # characters of one link
_PHONE_SEPARATORS = re.compile(r"[\s\-.()（）]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u3164\u2800\u115f\u1160\uffa0]")
# control characters XML 1.0 cannot carry (a single one would break every Open311 XML answer), and
# the non-characters U+FFFE/U+FFFF, C1 controls and bidi overrides (they reorder what others read);
# tab, newline and carriage return stay allowed
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")


def phone_problem(value: str) -> str | None:
    """Why `value` is not a phone number (None: it is one, or it is empty): 7 to 20 ASCII digits once
    spaces, dashes, dots, brackets (half- or full-width) and a leading + are taken out."""
    if not value:
        return None
    digits = _PHONE_SEPARATORS.sub("", value).removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 20):
        return "must be a phone number: 7 to 20 digits, with optional +, spaces or dashes"
    return None


def url_problem(value: str) -> str | None:
    """Why `value` is not an http(s) link (None: it is one): at most `MAX_URL` characters, scheme http
    or https, a host, no spaces anywhere (nor around it)."""
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
    """Why `value` is not storable text (None: it is, or it is empty): blank (spaces, ideographic or
    invisible ones alone) or carrying control characters (tab, newline and carriage return are fine)."""
    if _CONTROL.search(value):
        return "must not contain control characters"
    return "must not be blank" if value and not _INVISIBLE.sub("", value).strip() else None


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
