"""The statutory holidays of the national rules, computed for any year from the lunar calendar.

全国年节及纪念日放假办法 (as revised in 2024, in force from 2025) fixes 13 days off: 元旦 1 day
(1 January), 春节 4 days (除夕 to 正月初三), 清明节 1 day (the day of the 清明 solar term),
劳动节 2 days (1–2 May), 端午节 1 day (五月初五), 中秋节 1 day (八月十五), 国庆节 3 days (1–3 October).
The State Council's yearly arrangement (bridge days, make-up working days) cannot be computed; a
year known only by these dates is provisional. Lunar dates and solar terms come from
`lunar-python` (6tail's lunar), so this module stays out of the pure domain.
"""

from __future__ import annotations

from datetime import date, timedelta

from lunar_python import Lunar, Solar

RULES_SINCE = 2025  # the first year under today's rules (除夕 became a holiday in the 2024 revision)


def statutory_holidays(year: int) -> dict[date, str]:
    """Every statutory holiday of `year`, with its Chinese name (two festivals on one day: both names)."""
    spring = _date(Lunar.fromYmd(year, 1, 1).getSolar())  # 正月初一 of the lunar year that starts in `year`
    days: list[tuple[date, str]] = [
        (date(year, 1, 1), "元旦"),
        *((spring + timedelta(days=offset), "春节") for offset in range(-1, 3)),  # 除夕 is the day before 初一
        (_qingming(year), "清明节"),
        (date(year, 5, 1), "劳动节"),
        (date(year, 5, 2), "劳动节"),
        (_date(Lunar.fromYmd(year, 5, 5).getSolar()), "端午节"),
        (_date(Lunar.fromYmd(year, 8, 15).getSolar()), "中秋节"),
        *((date(year, 10, day), "国庆节") for day in (1, 2, 3)),
    ]
    names: dict[date, str] = {}
    for day, name in days:
        names[day] = f"{names[day]}、{name}" if day in names else name
    return names


def _qingming(year: int) -> date:
    # The table of the lunar year holding 1 March of `year` has that spring's solar terms.
    table = Lunar.fromSolar(Solar.fromYmd(year, 3, 1)).getJieQiTable()
    return _date(table["清明"])


def _date(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())
