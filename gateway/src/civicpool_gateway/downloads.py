"""Spreadsheet downloads: tables written as CSV or XLSX attachments.

Writing escapes every text cell that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from starlette.responses import Response

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def runs_as_formula(value: object) -> bool:
    """Text a spreadsheet program would run as a formula (OWASP CSV injection)."""
    return isinstance(value, str) and value.startswith(_FORMULA_STARTS)


def escape_cell(value: Any) -> Any:
    """For CSV: text that would run as a formula gets a leading apostrophe (a CSV cell has no other way)."""
    return "'" + value if runs_as_formula(value) else value


def _clean(value: Any) -> Any:
    """Control characters, which XLSX cannot hold, are dropped from text."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _column(values: list[Any]) -> Any:
    """Whole numbers stay whole numbers where a cell is empty: pandas would make the column floats
    (1000.0), which German Excel reads as text. Other columns as they are."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    return values


def frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A table for a download: the rows' values by column, text cleaned, integers kept integers."""
    return pd.DataFrame(
        {column: _column([_clean(row.get(column)) for row in rows]) for column in columns}, columns=list(columns)
    )


def to_csv(table: pd.DataFrame) -> bytes:
    """`;`-separated UTF-8 with BOM: what Excel in a German locale opens correctly."""
    escaped = table.map(escape_cell)
    return escaped.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """One sheet per table. Text that would run as a formula is a text cell with the quote prefix: Excel
    shows it exactly as written (no visible apostrophe) and never runs it."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for title, table in sheets.items():
            table.to_excel(writer, sheet_name=title[:31], index=False)
            worksheet = writer.sheets[title[:31]]
            for column_cells in worksheet.columns:
                for cell in column_cells:
                    if runs_as_formula(cell.value):
                        cell.data_type = "s"  # openpyxl took "=..." for a formula
                        cell.quotePrefix = True
                width = max(len(str(c.value or "")) for c in column_cells)
                worksheet.column_dimensions[column_cells[0].column_letter].width = min(max(width + 2, 10), 60)
    return buffer.getvalue()


# What an endpoint with `format=csv|xlsx` documents for its 200 besides JSON.
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX_MEDIA_TYPE: {}, "text/csv": {}}}}


def download(table: pd.DataFrame, file_format: str, stem: str, sheet: str) -> Response:
    """One table as a CSV or an XLSX (one sheet) attachment."""
    data = to_csv(table) if file_format == "csv" else to_xlsx({sheet: table})
    return attachment(data, file_format, stem)


def attachment(data: bytes, file_format: str, stem: str) -> Response:
    """A download named `<stem>.<format>`."""
    media_type = XLSX_MEDIA_TYPE if file_format == "xlsx" else CSV_MEDIA_TYPE
    safe_stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)[:100]
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{safe_stem}.{file_format}"'},
    )
