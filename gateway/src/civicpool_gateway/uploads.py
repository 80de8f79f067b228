"""Spreadsheet uploads: reading a demand file and the import template it is made from.

Reading turns a CSV or XLSX file, as German offices' spreadsheet programs
write it, into rows of text with their row numbers; what the text means is
the demand service's business.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml import ElementTree as defused
from openpyxl import Workbook, load_workbook

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_DATA_ROWS = 5000  # the demand service's own limit; checked here before the file travels
MAX_CELL_CHARS = 2100  # the longest field (justification) is 2,000 characters
MAX_TEXT_CHARS = 4 * 1024 * 1024
MAX_UNPACKED_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    field: str
    english: str
    german: str
    meaning: str
    example: str


# The import template, in order. A row names its item by sku, or by cpv_code and name.
TEMPLATE: tuple[Column, ...] = (
    Column("sku", "sku", "Artikelnummer", "The catalog item's SKU (or leave empty and give CPV code and name)",
           "LAPTOP-14"),
    Column("cpv_code", "cpv_code", "CPV-Code", "The item's CPV code, e.g. 30213100-6 (only without SKU)", ""),
    Column("name", "name", "Bezeichnung", "The item's name exactly as in the catalog (only without SKU)", ""),
    Column("quantity", "quantity", "Menge", "A whole number from 1; 1.000 means one thousand", "40"),
    Column("needed_by", "needed_by", "Benötigt bis", "Date as dd.mm.yyyy or yyyy-mm-dd; may be empty",
           "31.03.2027"),
    Column("justification", "justification", "Begründung", "Why the city needs it (up to 2,000 characters)",
           "Ersatz der Geräte aus 2019 in den Grundschulen"),
    Column("priority", "priority", "Priorität", "hoch / normal / niedrig (or high / normal / low); empty: normal",
           "hoch"),
)  # fmt: skip
REQUIRED_HEADINGS = ("quantity",)


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX file in the template's form; the message says why."""


def _folded(heading: str) -> str:
    """Headings compare without case, spaces, punctuation or umlauts: "Benötigt bis" = "benoetigt_bis"."""
    text = heading.strip().casefold().replace("ß", "ss")
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, spelled)
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", text)


_HEADINGS: dict[str, str] = {
    _folded(name): column.field
    for column in TEMPLATE
    for name in (column.field, column.english, column.german)
} | {_folded(alias): field for alias, field in (
    ("Artikel-Nr.", "sku"), ("Artikelnr", "sku"), ("SKU", "sku"), ("CPV", "cpv_code"),
    ("Anzahl", "quantity"), ("Stückzahl", "quantity"), ("Bedarf bis", "needed_by"),
    ("Artikel", "name"), ("Artikelbezeichnung", "name"), ("Prio", "priority"),
)}  # fmt: skip


@dataclass(frozen=True)
class SheetRow:
    line: int  # the row as the spreadsheet program numbers it (a record, not a text line); the header is row 1
    values: dict[str, str]  # by template field


def read_upload(content: bytes, file_name: str) -> list[SheetRow]:
    """The data rows of a CSV or XLSX upload, or UnreadableFile saying what is wrong with it."""
    name = file_name.lower()
    if content.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if name.endswith((".xls", ".ods")) or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("this spreadsheet format is not supported: save the file as .xlsx or as CSV")
    return _read_csv(content)


def _header_fields(cells: Sequence[str]) -> list[str | None]:
    fields: list[str | None] = []
    unknown = []
    for cell in cells:
        field = _HEADINGS.get(_folded(cell)) if cell.strip() else None
        if cell.strip() and field is None:
            unknown.append(cell.strip())
        if field is not None and field in fields:
            raise UnreadableFile(f"the column {cell.strip()!r} appears twice in the header")
        fields.append(field)
    if unknown:
        known = ", ".join(f"{c.german} / {c.english}" for c in TEMPLATE)
        raise UnreadableFile(f"unknown column(s) {', '.join(map(repr, unknown))} in the first row; use: {known}")
    missing = [f for f in REQUIRED_HEADINGS if f not in fields]
    if "sku" not in fields and not {"cpv_code", "name"} <= set(fields):
        missing.append("sku (or cpv_code and name)")
    if missing:
        raise UnreadableFile(
            f"the first row must be the template's header; missing: {', '.join(missing)}. "
            "Download the template from /api/v1/rounds/import-template"
        )
    return fields


def _rows(fields: Sequence[str | None], records: Iterable[tuple[int, Sequence[str]]]) -> list[SheetRow]:
    """Every non-blank record as a row; the whole file is read, never cut off at a limit."""
    rows: list[SheetRow] = []
    text_size = 0
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines between blocks are common in hand-kept sheets
        if len(rows) == MAX_DATA_ROWS:
            raise UnreadableFile(f"the file has more than {MAX_DATA_ROWS:,} data rows; split it into several files")
        if any(cell.strip() for i, cell in enumerate(cells) if i >= len(fields) or fields[i] is None):
            raise UnreadableFile(f"line {line} has values in columns without a heading")
        for cell in cells:
            if len(cell) > MAX_CELL_CHARS:
                raise UnreadableFile(f"line {line} has a cell longer than {MAX_CELL_CHARS:,} characters")
            text_size += len(cell)
        if text_size > MAX_TEXT_CHARS:
            raise UnreadableFile("the file holds more text than a demand list can; split it into several files")
        values = {field: cells[i].strip() if i < len(cells) else "" for i, field in enumerate(fields) if field}
        rows.append(SheetRow(line, values))
    return rows


# -- CSV -----------------------------------------------------------------------------------


_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters no spreadsheet writes into CSV


def _decode(content: bytes) -> str:
    if _BINARY.search(content):
        raise UnreadableFile("this is not a text (CSV) file; upload CSV or XLSX")
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")  # what Excel on German Windows saves as "CSV (Trennzeichen-getrennt)"
    except UnicodeDecodeError:
        raise UnreadableFile("the file's text encoding is unknown; save it as CSV UTF-8") from None


def _read_csv(content: bytes) -> list[SheetRow]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    # Rows are numbered as a spreadsheet program shows them: one per record, the header row 1. A cell
    # with line breaks inside is still one row (csv's line_num would count its text lines).
    row = 1
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableFile("the file is empty")
        fields = _header_fields(header)
        records = []
        for row, cells in enumerate(reader, start=2):  # at most 2 MiB of text
            records.append((row, cells))
    except csv.Error as error:
        raise UnreadableFile(f"line {row + 1} is not valid CSV: {error}") from None
    for line, cells in records:
        for cell in cells:
            if cell.startswith("="):
                raise UnreadableFile(f"line {line} holds a formula ({cell[:30]!r}); paste values, not formulas")
    return _rows(fields, records)


# -- XLSX ----------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_parts(content: bytes) -> None:
    """Before any part is parsed: the workbook unpacks to a sane size (a few compressed KiB can unpack to
    gigabytes), and no XML part declares a DOCTYPE. Spreadsheet programs never write one; a DOCTYPE is how
    entities are smuggled in (a billion laughs, external files), so the file is refused, not parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                raise UnreadableFile(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // 1024 // 1024} MiB")
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    _refuse_doctype(member.filename, archive.read(member))
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnreadableFile("the file is not a readable XLSX workbook (damaged, or another format)") from None


def _refuse_doctype(name: str, xml: bytes) -> None:
    try:
        defused.fromstring(xml, forbid_dtd=True)
    except DTDForbidden:
        raise UnreadableFile(
            f"the workbook's part {name} declares a DOCTYPE, which no spreadsheet program writes; "
            "save the file again from Excel or LibreOffice"
        ) from None
    except (defused.ParseError, DefusedXmlException):
        raise UnreadableFile("the file is not a readable XLSX workbook (damaged, or another format)") from None


def _read_xlsx(content: bytes) -> list[SheetRow]:
    _check_parts(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for damaged files; all mean the same to the user
        raise UnreadableFile("the file is not a readable XLSX workbook (damaged, or another format)") from None
    try:
        if not workbook.worksheets:
            raise UnreadableFile("the workbook has no sheet")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the stored dimension may be stale: read every row there is
        rows = sheet.iter_rows()
        header_cells = next(rows, None)
        if header_cells is None:
            raise UnreadableFile("the first sheet is empty")
        fields = _header_fields([_cell_text(c.value) for c in header_cells])
        records = []
        for line, cells in enumerate(rows, start=2):
            if any(getattr(cell, "data_type", None) == "f" for cell in cells):
                raise UnreadableFile(f"line {line} holds a formula; paste values, not formulas")
            records.append((line, [_cell_text(cell.value) for cell in cells]))
        return _rows(fields, records)
    except UnreadableFile:
        raise
    except Exception as error:  # parsing is lazy: damage shows up while reading rows
        raise UnreadableFile(f"the XLSX workbook is damaged ({type(error).__name__})") from None
    finally:
        workbook.close()


def template(file_format: str, language: str) -> bytes:
    """The import template: the header, one example row, and (XLSX) a sheet explaining each column."""
    headings = [c.german if language == "de" else c.english for c in TEMPLATE]
    example = [c.example for c in TEMPLATE]
    if file_format == "csv":
        text = io.StringIO()
        csv.writer(text, delimiter=";", lineterminator="\r\n").writerows([headings, example])
        return text.getvalue().encode("utf-8-sig")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Bedarf" if language == "de" else "Demand"
    sheet.append(headings)
    sheet.append(example)
    for letter, column in zip("ABCDEFG", TEMPLATE, strict=True):
        sheet.column_dimensions[letter].width = max(len(column.german), len(column.example), 12) + 2
    guide = workbook.create_sheet("Anleitung" if language == "de" else "Guide")
    guide.append(["Spalte", "Column", "Bedeutung / meaning"])
    for column in TEMPLATE:
        guide.append([column.german, column.english, column.meaning])
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
