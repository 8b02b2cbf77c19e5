"""Answers a spreadsheet can open: the `format` of a figures read, and its CSV or XLSX download."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from fastapi import Response
from pydantic import BaseModel

from evaluation.exports import COLUMNS, Columns, to_csv, to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the OpenAPI description of a read that can also answer CSV or XLSX
EXPORTS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}, XLSX: {}}}}


class Format(StrEnum):
    """The format of a figures answer: JSON, CSV or XLSX (Chinese headers)."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


def download(rows: Sequence[BaseModel | Mapping[str, Any]], format: Format, name: str, title: str,
             columns: Columns = COLUMNS, heading: str = "") -> Response:
    """`rows` as a CSV (UTF-8 with BOM) or XLSX attachment named `name` + the format's extension (UTF-8
    filename per RFC 6266/5987), with the Chinese headers of `columns`; `title` names the XLSX sheet and `heading`
    is its title row (the CSV keeps the header as its first line, for programs that read it)."""
    disposition = f"attachment; filename*=UTF-8''{quote(f'{name}.{format.value}')}"
    if format is Format.CSV:
        return Response(to_csv(rows, columns), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": disposition})
    return Response(to_xlsx(rows, title, columns, heading), media_type=XLSX,
                    headers={"content-disposition": disposition})
