"""Spreadsheet downloads: tables written as CSV or XLSX attachments, in the reader's language.

A table holds what the API holds: integer cents in columns whose id ends in `_cents`, dates, timestamps
(UTC), enumeration values, text. Writing it makes a file for a person in one of two languages:

German (`de`, for city halls):
- headings: the catalogue's German heading per column id (msgctxt "column"), an amount "Betrag (EUR)";
- amounts in euros: XLSX numbers shown `#,##0.00 "€"` (a German Excel shows 1.234,56 €), CSV `1234,56`;
- dates: XLSX date cells `DD.MM.YYYY`, CSV `31.03.2027`; timestamps on Berlin's clock, XLSX date-time
  cells `DD.MM.YYYY HH:MM`, CSV `31.03.2027 14:05`;
- enumeration values as their German labels ("call_off" is "Abruf");
- CSV `;`-separated, UTF-8 with BOM, CRLF: what Excel in a German locale opens as columns.

English (`en`, machine-friendly and still a controller's file):
- headings: the column id, its unit named: "amount (EUR)", "posted_at (Europe/Berlin)";
- amounts in euros: XLSX numbers shown `#,##0.00`, CSV `1234.56`;
- dates: XLSX date cells `YYYY-MM-DD`, CSV `2027-03-31`; timestamps on Berlin's clock, XLSX date-time cells
  `YYYY-MM-DD HH:MM`, CSV ISO 8601 with the offset, `2027-03-31T14:05:00+02:00` (unambiguous in the
  autumn's doubled hour);
- enumeration values as they are ("call_off");
- CSV `,`-separated (RFC 4180), UTF-8 with BOM, CRLF.

No grouping in a CSV amount: Excel reads `1234,56` as a number in a German locale, `1.234,56` is a date or
text to some readers. The JSON API keeps cents and UTC. Writing escapes every text cell that a spreadsheet
would run as a formula (numbers written by us are never escaped: `-12,50` is an amount, not a formula).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from civicpool_common import messages
from civicpool_common.messages import N_
from civicpool_common.vocabulary import NETWORK_TIME_ZONE
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from starlette.responses import Response

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Language = Literal["de", "en"]
AMOUNT_SUFFIX = "_cents"  # a column of integer cents: written as euros
COLUMN_KIND = "column"  # msgctxt of a column's heading in the catalogue
CITY_QUANTITY = "qty_"  # the aggregate's per-city quantity columns, qty_<city>
CITY_QUANTITY_HEADING = N_("Quantity {city}")

# Excel number formats are written in Excel's invariant syntax (`,` groups, `.` is the decimal point) and shown
# in the reader's locale: `#,##0.00 "€"` is 1.234,56 € in a German Excel, 1,234.56 € in an English one.
AMOUNT_FORMAT: dict[str, str] = {"de": '#,##0.00 "€"', "en": "#,##0.00"}
DATE_FORMAT: dict[str, str] = {"de": "DD.MM.YYYY", "en": "YYYY-MM-DD"}
TIME_FORMAT: dict[str, str] = {"de": "DD.MM.YYYY HH:MM", "en": "YYYY-MM-DD HH:MM"}
CSV_SEPARATOR: dict[str, str] = {"de": ";", "en": ","}
DECIMAL_MARK: dict[str, str] = {"de": ",", "en": "."}

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


@dataclass(frozen=True)
class Table:
    """A download's rows as the API holds them, by column id; `labels` names the enumeration (catalogue kind,
    e.g. "posting") of each column whose values people read as labels."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    labels: Mapping[str, str] = field(default_factory=dict)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], labels: Mapping[str, str] | None = None) -> Table:
    """A table for a download: the rows' values by column (absent: empty), text cleaned of control characters."""
    return Table(tuple(columns), [tuple(_clean(row.get(c)) for c in columns) for row in rows], dict(labels or {}))


def heading(column: str, language: str) -> str:
    """A column's heading: the catalogue's (msgctxt "column"), a per-city quantity by its city, else the id."""
    found = messages.label(language, COLUMN_KIND, column)
    if found:
        return found
    if column.startswith(CITY_QUANTITY) and language == "de":
        return messages.text(language, CITY_QUANTITY_HEADING, city=column.removeprefix(CITY_QUANTITY))
    return column


def euros_text(cents: int, language: str) -> str:
    """Cents as a euro amount for a CSV cell, exactly (no float): 123456 -> 1234,56 / 1234.56; no grouping."""
    whole, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}{DECIMAL_MARK[language]}{rest:02d}"


def berlin(moment: dt.datetime) -> dt.datetime:
    """A timestamp on the network's clock (a naive one is UTC, as the API's are)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(NETWORK_TIME_ZONE)


def _value(table: Table, column: str, value: Any, language: str) -> Any:
    """A cell's value for a person: euros, Berlin times and labels; escaping and formats are the writer's."""
    if value is None:
        return None
    if column.endswith(AMOUNT_SUFFIX) and isinstance(value, int) and not isinstance(value, bool):
        return Euros(value)
    if isinstance(value, dt.datetime):
        return berlin(value)
    if column in table.labels and isinstance(value, str) and language == "de":
        return messages.label(language, table.labels[column], value) or value
    return value


class Euros(int):
    """Cents that are written as euros."""


def to_csv(table: Table, language: str) -> bytes:
    """UTF-8 with BOM, CRLF; `;`-separated with decimal commas in German, `,`-separated in English."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_SEPARATOR[language], lineterminator="\r\n")
    writer.writerow([escape_cell(heading(c, language)) for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [_csv_cell(_value(table, c, v, language), language) for c, v in zip(table.columns, row, strict=True)]
        )
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any, language: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, Euros):
        return euros_text(value, language)
    if isinstance(value, dt.datetime):
        if language == "de":
            return value.strftime("%d.%m.%Y %H:%M")
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y") if language == "de" else value.isoformat()
    return escape_cell(value)


def to_xlsx(sheets: Mapping[str, Table], language: str) -> bytes:
    """One sheet per table, a bold heading row, real numbers, dates and date-times. Text that would run as a
    formula is a text cell with the quote prefix: Excel shows it exactly as written (no visible apostrophe) and
    never runs it."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, sheet_table in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append([heading(c, language) for c in sheet_table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet_table.rows:
            sheet.append([_value(sheet_table, c, v, language) for c, v in zip(sheet_table.columns, row, strict=True)])
        for column_cells in sheet.iter_cols():
            width = 10
            for cell in column_cells:
                _format_cell(cell, language)
                width = max(width, len(str(cell.value or "")) + 2)
            sheet.column_dimensions[column_cells[0].column_letter].width = min(width, 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _format_cell(cell: Any, language: str) -> None:
    value = cell.value
    if isinstance(value, Euros):
        cell.value = value / 100  # a double, as Excel keeps every number; the cents are exact to 2 places
        cell.number_format = AMOUNT_FORMAT[language]
    elif isinstance(value, dt.datetime):
        cell.value = value.replace(tzinfo=None)  # Excel has no time zones: Berlin's wall clock
        cell.number_format = TIME_FORMAT[language]
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT[language]
    elif runs_as_formula(value):
        cell.data_type = "s"  # openpyxl took "=..." for a formula
        cell.quotePrefix = True


# What an endpoint with `format=csv|xlsx` documents for its 200 besides JSON.
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX_MEDIA_TYPE: {}, "text/csv": {}}}}

LANGUAGE_DESCRIPTION = (
    "The file's language with `format=csv|xlsx`: `de` German headings and labels, euros (XLSX numbers shown "
    "1.234,56 €, CSV `1234,56`), dates 31.03.2027 and times on Berlin's clock, `;`-separated CSV; `en` the "
    "column ids with their unit, euros with a decimal point, ISO dates, Berlin times with their offset, "
    "`,`-separated CSV. Both UTF-8 with BOM. Default: German when Accept-Language prefers German, else English. "
    "JSON keeps cents and UTC."
)


def file_language(asked: str | None) -> str:
    """The language a file is written in: the one asked for, else the request's (Accept-Language; English
    without it), which the middleware in language.py has set."""
    return asked or messages.current_language.get()


def download(sheet_table: Table, file_format: str, stem: str, sheet: str, language: str) -> Response:
    """One table as a CSV or an XLSX (one sheet) attachment in `language`."""
    data = to_csv(sheet_table, language) if file_format == "csv" else to_xlsx({sheet: sheet_table}, language)
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
