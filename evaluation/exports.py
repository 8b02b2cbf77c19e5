"""Scorecards, rankings and figures by channel as CSV and XLSX with Chinese headers: what goes into the monthly
report."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from pydantic import BaseModel

# (key, header); rates are shown as percentages
COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "排名"), ("unit_name", "单位"), ("unit_code", "单位编码"), ("kind_label", "类别"),
    ("score", "综合得分"), ("response_rate", "响应率(%)"), ("resolution_rate", "解决率(%)"),
    ("satisfaction_rate", "满意率(%)"), ("in_time_rate", "按时办结率(%)"), ("petitions", "诉求件数"),
    ("rated", "计入率的件数"), ("excluded", "不计入率的件数"),
    ("duplicates", "其中重复件"), ("withdrawn", "其中群众撤回"), ("not_government_responsibility", "其中非政府职责"),
    ("closed_not_resolved", "未解决办结(仍不满意)"),
    ("received", "接单次数"), ("accepted_in_time", "按时签收"), ("resolved", "办结件数"),
    ("resolved_in_time", "按时办结"), ("visited", "回访件数"), ("visited_by_phone", "其中电话回访"),
    ("visited_by_sms", "其中短信回访"), ("visited_on_site", "其中上门回访"), ("satisfied", "满意(含基本满意)"),
    ("breaches", "超时次数"), ("redispatch_breaches", "其中超时分办"), ("decision_breaches", "其中超时审批"),
    ("returns", "退单次数"), ("escalations", "升级次数"), ("reopens", "重办次数"),
    ("extensions", "延期申请"), ("urges", "催办次数"), ("hours_to_accept_median", "签收用时中位数(小时)"),
    ("hours_to_accept_p90", "签收用时P90(小时)"), ("hours_to_resolve_median", "办结用时中位数(小时)"),
    ("hours_to_resolve_p90", "办结用时P90(小时)"), ("returns_held", "待分办退单件数"),
    ("hours_holding_returns", "退单待分办用时(小时)"), ("property_score", "物业评议得分"),
    ("resolved_on_the_spot", "就地解决件数"), ("area_petitions", "辖区诉求件数"),
    ("area_resolved_on_the_spot", "辖区就地解决件数"), ("on_the_spot_share", "就地解决率(%)"),
)
# the figures of `GET /v1/channels/summary` (domain.channel_figures.ChannelFigures)
CHANNEL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("channel_label", "渠道"), ("channel", "渠道编码"), ("reported", "受理件数"), ("closed", "办结件数"),
    ("rated", "计入率的件数"), ("resolved_on_the_spot", "就地解决件数"), ("on_the_spot_share", "就地解决率(%)"),
    ("hours_to_accept_median", "签收用时中位数(小时)"), ("hours_to_resolve_median", "办结用时中位数(小时)"),
    ("response_rate", "响应率(%)"), ("resolution_rate", "解决率(%)"), ("satisfaction_rate", "满意率(%)"),
)
Columns = tuple[tuple[str, str], ...]
RATES = {"response_rate", "resolution_rate", "satisfaction_rate", "in_time_rate", "on_the_spot_share"}


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key in RATES:
        return round(value * 100, 1)
    return value


def rows_of(cards: Sequence[BaseModel], columns: Columns = COLUMNS) -> list[list[Any]]:
    """One row per card (a `Scorecard`, with `kind_label` as the API serves it, or any model with the keys of
    `columns`) in the order of `columns`."""
    return [[_cell(key, getattr(card, key, None)) for key, _ in columns] for card in cards]


def to_csv(cards: Sequence[BaseModel], columns: Columns = COLUMNS) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in columns])
    writer.writerows(rows_of(cards, columns))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(cards: Sequence[BaseModel], title: str, columns: Columns = COLUMNS) -> bytes:
    """The cards as an XLSX workbook (one sheet named `title`, cut to Excel's 31 characters), with the Chinese
    headers of `columns` and rates in percent."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit on sheet names
    sheet.append([header for _, header in columns])
    for row in rows_of(cards, columns):
        sheet.append(row)
    for index, (_, header) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(header) * 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
