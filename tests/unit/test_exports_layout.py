"""XLSX exports laid out as an office's report (issue 15 §9): title row, bold frozen headers, fitted widths, filter."""

import io

from openpyxl import load_workbook
from pydantic import BaseModel

from evaluation.exports import to_xlsx


class Row(BaseModel):
    unit_name: str
    response_rate: float | None


COLUMNS = (("unit_name", "单位"), ("response_rate", "响应率(%)"))


def test_a_title_row_bold_frozen_headers_fitted_widths_and_a_filter():
    rows = [Row(unit_name="任城区综合行政执法局", response_rate=0.925), Row(unit_name="越河街道", response_rate=None)]
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, "排名", COLUMNS, heading="任城区 · 排名 · 2026-10 · 第1版"))).active
    assert sheet["A1"].value == "任城区 · 排名 · 2026-10 · 第1版" and sheet["A1"].font.bold
    assert "A1:B1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [c.value for c in sheet[2]] == ["单位", "响应率(%)"] and all(c.font.bold for c in sheet[2])
    assert [c.value for c in sheet[3]] == ["任城区综合行政执法局", 92.5]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:B4"
    assert sheet.column_dimensions["A"].width == 2 * len("任城区综合行政执法局") + 2  # CJK characters count double


def test_without_a_heading_the_headers_are_the_first_row():
    sheet = load_workbook(io.BytesIO(to_xlsx([Row(unit_name="越河街道", response_rate=1.0)], "x", COLUMNS))).active
    assert sheet["A1"].value == "单位" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:B2"
