"""GeoReport v2 parameters as clients send them: empty ones, lists, points, date-times.

Pure: strings in, values out, ValueError naming the parameter. It may not decide what a reader sees
(`publication.py`) or touch the database.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta

from domain.workcalendar import CHINA

_UNENCODED_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")


def present(value: str | None) -> str | None:
    """An optional parameter sent empty (`status=`), as many clients do, is one not sent (None)."""
    return value if value is not None and value.strip() != "" else None


def listed(value: str | None) -> list[str]:
    """A comma-separated parameter as its items, without blanks (`a, ,b` -> [a, b])."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def point(fields: dict[str, str]) -> tuple[float | None, float | None]:
    """`lat` and `long` (WGS84 degrees), both or neither; ValueError naming the field otherwise."""
    given = {name: fields.get(name) for name in ("lat", "long")}
    if not any(given.values()):
        return None, None
    if not all(given.values()):
        missing = next(name for name, value in given.items() if not value)
        raise ValueError(f"{missing} is required with {'long' if missing == 'lat' else 'lat'}")
    values = {}
    for name, bound in (("lat", 90), ("long", 180)):
        try:
            value = float(given[name] or "")
        except ValueError:
            raise ValueError(f"{name} must be a number of degrees (WGS84), not {given[name]!r}") from None
        if not math.isfinite(value) or abs(value) > bound:
            raise ValueError(f"{name} must be between -{bound} and {bound}")
        values[name] = value
    return values["lat"], values["long"]


def parse_datetime(name: str, value: str, *, end_of_day: bool = False) -> datetime:
    """A GeoReport date-time (UTC) in the forms clients send: ISO 8601 / W3C with `Z` or an offset
    (`+08:00`, `-0500`, `+08`), with or without seconds and fractions, a bare date (the whole day, China
    time: its start, or its last microsecond with `end_of_day`), a local time without offset (China time),
    and an offset whose `+` arrived unencoded as a space. ValueError naming the parameter otherwise."""
    text = _UNENCODED_PLUS.sub(r"\1+\2", value.strip())
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time such as 2026-11-28T08:00:00+08:00 or "
                         f"2026-11-28T00:00:00Z, or a date such as 2026-11-28; not {value!r}") from None
    try:
        if "T" not in text.upper() and " " not in text and parsed.time() == time(0):  # a date: the whole day
            parsed = parsed + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else parsed
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)).astimezone(UTC)
        parsed - timedelta(days=90)  # noqa: B018 - the default window must be computable too
    except OverflowError:
        raise ValueError(f"{name} is out of range: {value!r}") from None
    return parsed
