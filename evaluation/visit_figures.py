"""民意"5"来听 visit days (issue 14 §4): figures per visit team over a period, as rows (exported as CSV and XLSX by
`evaluation/exports.py` with `COLUMNS`).

Per team: rounds held, matters collected, resolved on the spot, handed on, and how those matters stand now
(closed; of them satisfied, not resolved, closed otherwise; still open; overdue). The tables are read by
`eventstore/visit_rounds.py`; this module names, orders and exports them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg

from domain.evaluation import Period
from eventstore.visit_rounds import FIGURE_KEYS, team_figures
from org.model import OrgTree

# (key, header) of a team's row; `on_the_spot_share` in percent in the exports (a rate of `exports.RATES`)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("team_code", "帮办团编码"), ("team_name", "帮办团"), ("district_name", "区县"), ("cadres", "干部人数"),
    ("units", "联系村居数"), ("enterprises", "联系企业数"),
    ("rounds_held", "开展次数"), ("collected", "收集事项"), ("resolved_on_the_spot", "现场解决"),
    ("handed_on", "转交办理"), ("handed_on_closed", "转交已办结"), ("closed", "已办结(全部)"),
    ("closed_satisfied", "办结且满意"), ("closed_not_resolved", "未解决办结"), ("closed_otherwise", "其他方式办结"),
    ("still_open", "办理中"), ("overdue", "其中超期"), ("on_the_spot_share", "现场解决率(%)"),
)


async def visit_team_rows(conn: asyncpg.Connection | asyncpg.Pool, org: OrgTree, period: Period,
                          district: str | None) -> list[dict[str, Any]]:
    """One row per visit team of `district` (None: every district) over the visit days of `period` (a month,
    quarter or year, China dates), teams without a round included with zeros, ordered by district and code.
    `on_the_spot_share`: resolved on the spot / collected (None with nothing collected)."""
    teams = [t for t in org.visit_teams.values() if district is None or t.district_code == district]
    first, last = period.months[0], _last_day(period)
    figures = await team_figures(conn, [t.code for t in teams], first, last)
    rows = []
    for team in sorted(teams, key=lambda t: (t.district_code, t.code)):
        numbers = figures.get(team.code) or dict.fromkeys(FIGURE_KEYS, 0)
        district_unit = org.units.get(team.district_code)
        rows.append({
            "team_code": team.code, "team_name": team.name, "district_code": team.district_code,
            "district_name": district_unit.name if district_unit else team.district_code,
            "cadres": len(team.cadres), "units": len(team.units), "enterprises": len(team.enterprises),
            **numbers,
            "on_the_spot_share": (numbers["resolved_on_the_spot"] / numbers["collected"]
                                  if numbers["collected"] else None),
        })
    return rows


def _last_day(period: Period) -> date:
    """The period's last day."""
    last = period.months[-1]
    following = last.replace(year=last.year + (last.month == 12), month=last.month % 12 + 1)
    return following - timedelta(days=1)
