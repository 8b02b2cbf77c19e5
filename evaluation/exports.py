"""Scorecards, rankings and figures by channel as CSV and XLSX with Chinese headers: what goes into the monthly
report."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from pydantic import BaseModel

from domain.workcalendar import CHINA

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
# a list of petitions (GET /v1/petitions?format=xlsx), as the caller may see them (masked by the API before)
PETITION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "诉求编号"), ("reported_at", "上报时间"), ("category_label", "诉求类别"), ("channel_label", "受理渠道"),
    ("urgency_label", "紧急程度"), ("status_label", "状态"), ("unit_name", "承办单位"), ("level_label", "层级"),
    ("deadline_state_label", "时限状态"), ("next_due", "下一时限"), ("description", "问题描述"), ("address", "地址"),
    ("reporter_name", "反映人"), ("reporter_phone", "联系电话"), ("escalations", "提级次数"), ("returns", "退单次数"),
    ("reopens", "重办次数"), ("resolution_label", "办理结果"), ("visit_outcome_label", "回访结果"),
    ("close_outcome_label", "结案方式"), ("closed_at", "结案时间"),
)
Columns = tuple[tuple[str, str], ...]
RATES = {"response_rate", "resolution_rate", "satisfaction_rate", "in_time_rate", "on_the_spot_share"}


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):  # Beijing time, as the office reads it (a spreadsheet keeps no time zone)
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    if key in RATES:
        return round(value * 100, 1)
    return value


def rows_of(cards: Sequence[BaseModel | Mapping[str, Any]], columns: Columns = COLUMNS) -> list[list[Any]]:
    """One row per card (a `Scorecard`, with `kind_label` as the API serves it, or any model or dict with the
    keys of `columns`) in the order of `columns`."""
    return [[_cell(key, card.get(key) if isinstance(card, Mapping) else getattr(card, key, None))
             for key, _ in columns] for card in cards]


def to_csv(cards: Sequence[BaseModel | Mapping[str, Any]], columns: Columns = COLUMNS) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in columns])
    writer.writerows(rows_of(cards, columns))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(cards: Sequence[BaseModel | Mapping[str, Any]], title: str, columns: Columns = COLUMNS,
            heading: str = "") -> bytes:
    """The cards as an XLSX workbook laid out as an office's report (issue 15 §9): one sheet named `title` (cut to
    Excel's 31 characters); `heading` (what, period, edition, unit), if given, as a bold title row across the
    columns; the Chinese headers of `columns` bold, shaded and frozen with an autofilter; rates in percent; every
    column as wide as its widest cell (CJK characters count double)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit on sheet names
    last = get_column_letter(len(columns))
    if heading:
        sheet.append([heading])
        sheet.merge_cells(f"A1:{last}1")
        sheet["A1"].font = Font(bold=True, size=14)
        sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[1].height = 26
    header_row = sheet.max_row + 1 if heading else 1
    rows = rows_of(cards, columns)
    sheet.append([header for _, header in columns])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E5E7EB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(row)
    for index, (_, header) in enumerate(columns, start=1):
        widest = max([_display_width(header)] + [_display_width(row[index - 1]) for row in rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(8, widest + 2), 50)
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(rows)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _display_width(value: Any) -> int:
    """How many Latin character widths a cell's text takes: CJK and other wide characters count two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
