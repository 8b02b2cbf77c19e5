"""The `q` of a petition listing as SQL on the read model, using the indexes of migrations 004 and 008."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

PHONE_TAIL = 4  # the fewest digits that find a phone: its last four (indexed)
_PHONE_DIGITS = "regexp_replace(reporter_phone, '[^0-9]', '', 'g')"  # as in the index of migration 008
_SEPARATORS = re.compile(r"[\s\-]")


def phone_digits(q: str) -> str | None:
    """`q` as the digits of a phone number (spaces and dashes ignored), or None if it is not one."""
    digits = _SEPARATORS.sub("", q)
    return digits if len(digits) >= PHONE_TAIL and digits.isascii() and digits.isdigit() else None


def search_condition(q: str, arg: Callable[[Any], str], *, by_reporter: bool) -> str:
    """Rows whose description or address holds `q`, whose id is `q`, and, if `by_reporter`, whose
    reporter's phone ends with `q`'s digits or whose reporter's name is `q`. `arg` binds a value."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # roles that may not see personal data search the redacted text: no number can be found digit by digit
    text = "(description || ' ' || address)" if by_reporter else "search_text"
    found = [f"{text} ILIKE {arg(f'%{escaped}%')}", f"id = {arg(q.strip().upper())}"]
    if by_reporter:
        digits = phone_digits(q)
        if digits is not None:
            found.append(f"(right({_PHONE_DIGITS}, {PHONE_TAIL}) = {arg(digits[-PHONE_TAIL:])} "
                         f"AND {_PHONE_DIGITS} LIKE {arg('%' + digits)})")
        found.append(f"reporter_name = {arg(q.strip())}")
    return f"({' OR '.join(found)})"
