"""Spreadsheet uploads: reading a demand file and the import template it is made from.

Reading turns a file as German offices' spreadsheet programs write it (CSV in
any of Excel's encodings incl. "Unicode-Text", XLSX, LibreOffice's ODS) into
rows of text with their row numbers as the program shows them, the heading
each column had in the file and the sheet it came from; what the text means
is the demand service's business. Every refusal is a Text.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from xml.etree.ElementTree import Element

from civicpool_common.messages import N_, Text, text
from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml import ElementTree as defused
from openpyxl import Workbook, load_workbook

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_DATA_ROWS = 5000  # the demand service's own limit; checked here before the file travels
MAX_CELL_CHARS = 2100  # the longest field (justification) is 2,000 characters
MAX_TEXT_CHARS = 4 * 1024 * 1024
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_COLUMNS = 16_384  # as many as Excel has
HEADING_SEARCH_ROWS = 20  # a title, a date and blank rows above the heading row are common; the table is below


@dataclass(frozen=True)
class Column:
    field: str
    english: str
    german: str
    meaning: str  # a catalogue source: the explanation sheet shows it in the template's language
    example: str


# The import template, in order. A row names its item by sku, or by cpv_code and name.
TEMPLATE: tuple[Column, ...] = (
    Column("sku", "sku", "Artikelnummer",
           N_("The catalog item's SKU (or leave empty and give CPV code and name)"), "LAPTOP-14"),
    Column("cpv_code", "cpv_code", "CPV-Code", N_("The item's CPV code, e.g. 30213100-6 (only without SKU)"), ""),
    Column("name", "name", "Bezeichnung", N_("The item's name exactly as in the catalog (only without SKU)"), ""),
    Column("quantity", "quantity", "Menge",
           N_("A whole number from 1; 1.000 means one thousand, 40,00 is 40"), "40"),
    Column("needed_by", "needed_by", "Benötigt bis", N_("Date as dd.mm.yyyy or yyyy-mm-dd; may be empty"),
           "31.03.2027"),
    Column("justification", "justification", "Begründung",
           N_("Why the city needs it (up to 2,000 characters)"), "Ersatz der Geräte aus 2019 in den Grundschulen"),
    Column("priority", "priority", "Priorität",
           N_("hoch / normal / niedrig (or high / normal / low); empty: normal"), "hoch"),
)  # fmt: skip
REQUIRED_HEADINGS = ("quantity",)


class UnreadableFile(ValueError):
    """The file is not a demand list in the template's form; `text` says why, in the reader's language."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.text = message


def _folded(heading: str) -> str:
    """Headings compare without case, spaces, punctuation or umlauts: "Benötigt bis" = "benoetigt_bis"."""
    folded = heading.strip().casefold().replace("ß", "ss")
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        folded = folded.replace(umlaut, spelled)
    folded = unicodedata.normalize("NFKD", folded)
    return re.sub(r"[^a-z0-9]", "", folded)


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
    line: int  # the row as the spreadsheet program numbers it (title rows above the headings count too)
    values: dict[str, str]  # by template field


@dataclass(frozen=True)
class Upload:
    """The rows of a demand file, and how the file named things: messages use the file's own words."""

    rows: list[SheetRow]
    headings: dict[str, str] = field(default_factory=dict)  # template field -> the heading as the file wrote it
    sheet: str | None = None  # the sheet the rows came from (XLSX, ODS)


Record = tuple[int, list[str]]  # a row's number and its cells as text
_T = TypeVar("_T")


def read_upload(content: bytes, file_name: str) -> Upload:
    """The data rows of a CSV, XLSX or ODS upload, or UnreadableFile saying what is wrong with it.

    What a file is comes from its content; the name only decides between CSV and a damaged workbook."""
    name = file_name.lower()
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        _refuse_ole2(content)
    if content.startswith(b"PK\x03\x04"):
        if _zip_mimetype(content).startswith("application/vnd.oasis.opendocument.spreadsheet"):
            return _read_ods(content)
        return _read_xlsx(content)
    if name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if name.endswith(".ods"):
        return _read_ods(content)
    if name.endswith(".xls"):
        raise UnreadableFile(Text(_NOT_A_WORKBOOK))
    return _read_csv(content)


_NOT_A_WORKBOOK = N_(
    "this file is not a workbook that can be read: save it in Excel or LibreOffice as .xlsx, .ods or CSV"
)
_OLD_EXCEL = N_(
    "this is a workbook in the old Excel 97-2003 format (.xls), which cannot be read: open it in Excel, choose File > Save As and save it as Excel workbook (.xlsx), or as CSV"  # noqa: E501
)
_PASSWORD = N_(
    "the file is password-protected, so it cannot be read: open it in Excel, remove the password under File > Info > Protect Workbook > Encrypt with Password (leave the password empty), save and upload it again"  # noqa: E501
)


def _refuse_ole2(content: bytes) -> None:
    """An OLE2 compound file: an encrypted XLSX (Excel keeps the package in EncryptionInfo/EncryptedPackage
    streams), an old .xls (a Workbook or Book stream), or another Office file. The stream names are stored
    in the directory in UTF-16."""

    def has_stream(name: str) -> bool:
        return name.encode("utf-16-le") in content

    if has_stream("EncryptedPackage") or has_stream("EncryptionInfo"):
        raise UnreadableFile(Text(_PASSWORD))
    if has_stream("Workbook") or has_stream("Book"):
        raise UnreadableFile(Text(_OLD_EXCEL))
    raise UnreadableFile(Text(_NOT_A_WORKBOOK))


def _zip_mimetype(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if "mimetype" in archive.namelist() and archive.getinfo("mimetype").file_size < 200:
                return archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        pass
    return ""


# -- the heading row and the rows below it ---------------------------------------------------


def _recognised(cells: Sequence[str]) -> set[str]:
    return {_HEADINGS[f] for f in (_folded(c) for c in cells if c.strip()) if f in _HEADINGS}


def _is_heading_row(cells: Sequence[str]) -> bool:
    fields = _recognised(cells)
    return "quantity" in fields and ("sku" in fields or {"cpv_code", "name"} <= fields)


@dataclass
class _Table:
    heading_line: int
    heading: list[str]
    found: bool  # False: no row had the template's headings; `heading` is the likeliest row, for the message


def _find_heading(records: Iterator[Record]) -> _Table | None:
    """The heading row among the first rows: the first with the template's headings (the rows above it are a
    title or blank); without one, the row most like a heading row, for the refusal."""
    seen: list[Record] = []
    for record in records:
        if _is_heading_row(record[1]):
            return _Table(record[0], record[1], True)
        if any(c.strip() for c in record[1]):
            seen.append(record)
        if record[0] >= HEADING_SEARCH_ROWS:
            break
    if not seen:
        return None
    likeliest = max(seen, key=lambda r: len(_recognised(r[1])))  # the first of the best
    return _Table(likeliest[0], likeliest[1], False)


def _header_fields(table: _Table) -> tuple[list[str | None], dict[str, str]]:
    known = ", ".join(f"{c.german} / {c.english}" for c in TEMPLATE)
    if not _recognised(table.heading):
        raise UnreadableFile(
            Text("no row with the template's headings was found in the first {rows} rows; the template's columns are: {known}. Download the template from /api/v1/rounds/import-template",  # noqa: E501
                 rows=HEADING_SEARCH_ROWS, known=known)
        )  # fmt: skip
    fields: list[str | None] = []
    headings: dict[str, str] = {}
    unknown = []
    for cell in table.heading:
        field_ = _HEADINGS.get(_folded(cell)) if cell.strip() else None
        if cell.strip() and field_ is None:
            unknown.append(cell.strip())
        if field_ is not None and field_ in fields:
            raise UnreadableFile(
                Text("the column {heading} appears twice in the heading row (row {line})",
                     heading=_quoted(cell), line=table.heading_line)
            )  # fmt: skip
        fields.append(field_)
        if field_ is not None:
            headings[field_] = cell.strip()
    if unknown:
        raise UnreadableFile(
            Text("unknown column(s) {columns} in the heading row (row {line}); the template's columns are: {known}",
                 columns=", ".join(_quoted(u) for u in unknown[:10]), line=table.heading_line, known=known)
        )  # fmt: skip
    missing = [f"{c.german} / {c.english}" for c in TEMPLATE if c.field in REQUIRED_HEADINGS and c.field not in fields]
    if "sku" not in fields and not {"cpv_code", "name"} <= set(fields):
        missing.append("Artikelnummer / sku")
    if missing:
        raise UnreadableFile(
            Text("the heading row (row {line}) lacks the column(s) {missing}. Download the template from /api/v1/rounds/import-template", line=table.heading_line, missing=", ".join(missing))  # noqa: E501
        )  # fmt: skip
    return fields, headings


def _quoted(value: str, limit: int = 40) -> str:
    value = value.strip()
    return "'" + (value if len(value) <= limit else value[:limit] + "…") + "'"


def _table(records: Iterable[Record], sheet: str | None) -> Upload:
    """The heading row and every non-blank row below it; the whole table is read, never cut off."""
    iterator = iter(records)
    table = _find_heading(iterator)
    if table is None:
        raise UnreadableFile(Text("the file is empty") if sheet is None else Text("the sheet is empty"))
    fields, headings = _header_fields(table)
    rows: list[SheetRow] = []
    text_size = 0
    for line, cells in iterator:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines between blocks are common in hand-kept sheets
        if len(rows) == MAX_DATA_ROWS:
            raise UnreadableFile(
                Text("the file has more than {max:n} data rows; split it into several files", max=MAX_DATA_ROWS)
            )
        if any(cell.strip() for i, cell in enumerate(cells) if i >= len(fields) or fields[i] is None):
            raise UnreadableFile(Text("row {line} has values in columns without a heading", line=line))
        for cell in cells:
            if len(cell) > MAX_CELL_CHARS:
                raise UnreadableFile(
                    Text("row {line} has a cell longer than {max:n} characters", line=line, max=MAX_CELL_CHARS)
                )
            if cell.startswith("="):
                raise UnreadableFile(
                    Text("row {line} holds a formula ({formula}); paste values, not formulas",
                         line=line, formula=_quoted(cell, 30))
                )  # fmt: skip
            text_size += len(cell)
        if text_size > MAX_TEXT_CHARS:
            raise UnreadableFile(Text("the file holds more text than a demand list can; split it into several files"))
        values = {f: cells[i].strip() if i < len(cells) else "" for i, f in enumerate(fields) if f}
        rows.append(SheetRow(line, values))
    return Upload(rows, headings, sheet)


def _in_sheet(sheet: str, error: UnreadableFile) -> UnreadableFile:
    return UnreadableFile(Text("sheet '{sheet}': {problem}", sheet=sheet[:40], problem=error.text))


# -- CSV -----------------------------------------------------------------------------------


_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters no spreadsheet writes into CSV


def _utf16(content: bytes) -> str | None:
    """Excel's "Unicode-Text" is UTF-16 LE with a BOM; without one, text of mostly Latin letters has a zero
    byte in every other place."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(content) >= 4 and len(content) % 2 == 0:
        odd, even = content[1::2], content[0::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            encoding = "utf-16-le"
        elif even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            encoding = "utf-16-be"
        else:
            return None
    else:
        return None
    try:
        return content.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise UnreadableFile(Text("the file's text encoding is unknown; save it as CSV UTF-8")) from None


def _decode(content: bytes) -> str:
    if (decoded := _utf16(content)) is not None:
        return decoded
    if _BINARY.search(content):
        raise UnreadableFile(Text("this is not a text (CSV) file nor a workbook; upload CSV, XLSX or ODS"))
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")  # what Excel on German Windows saves as "CSV (Trennzeichen-getrennt)"
    except UnicodeDecodeError:
        raise UnreadableFile(Text("the file's text encoding is unknown; save it as CSV UTF-8")) from None


def _delimiter(text_: str) -> str:
    """The separator of the heading row (the first line with the template's headings), else of the first line."""
    lines = text_.split("\n", HEADING_SEARCH_ROWS)[:HEADING_SEARCH_ROWS]
    for line in lines:
        for delimiter in (";", "\t", ","):
            if _is_heading_row(line.split(delimiter)):
                return delimiter
    first_line = next((line for line in lines if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count)
    return delimiter if first_line.count(delimiter) else ";"


def _read_csv(content: bytes) -> Upload:
    text_ = _decode(content)
    reader = csv.reader(io.StringIO(text_, newline=""), delimiter=_delimiter(text_), strict=True)
    # Rows are numbered as a spreadsheet program shows them: one per record. A cell with line breaks
    # inside is still one row (csv's line_num would count its text lines).
    records: list[Record] = []
    try:
        for row, cells in enumerate(reader, start=1):  # at most 2 MiB of text
            records.append((row, cells))
    except csv.Error:
        line = len(records) + 1
        raise UnreadableFile(
            Text("row {line} is not valid CSV (check its quotation marks); save the file again as CSV", line=line)
        ) from None
    return _table(records, None)


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


_DAMAGED = N_("the file is not a readable XLSX workbook (damaged, or another format)")


def _check_parts(content: bytes, damaged: str = _DAMAGED) -> None:
    """Before any part is parsed: the workbook unpacks to a sane size (a few compressed KiB can unpack to
    gigabytes), and no XML part declares a DOCTYPE. Spreadsheet programs never write one; a DOCTYPE is how
    entities are smuggled in (a billion laughs, external files), so the file is refused, not parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                raise UnreadableFile(
                    Text("the workbook unpacks to more than {max} MB; save it again with only the demand list",
                         max=MAX_UNPACKED_BYTES // 1024 // 1024)
                )  # fmt: skip
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    _refuse_doctype(member.filename, archive.read(member), damaged)
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnreadableFile(Text(damaged)) from None


def _parsed(name: str, xml: bytes, damaged: str) -> Element:
    try:
        root: Element = defused.fromstring(xml, forbid_dtd=True)
    except DTDForbidden:
        raise UnreadableFile(
            Text("the workbook's part {part} declares a DOCTYPE, which no spreadsheet program writes; save the file again from Excel or LibreOffice", part=name)  # noqa: E501
        ) from None  # fmt: skip
    except (defused.ParseError, DefusedXmlException):
        raise UnreadableFile(Text(damaged)) from None
    return root


def _refuse_doctype(name: str, xml: bytes, damaged: str) -> None:
    _parsed(name, xml, damaged)


def _sheet_records(sheet: Any) -> Iterator[Record]:
    for line, cells in enumerate(sheet.iter_rows(), start=1):
        if any(getattr(cell, "data_type", None) == "f" for cell in cells):
            raise UnreadableFile(Text("row {line} holds a formula; paste values, not formulas", line=line))
        yield line, [_cell_text(cell.value) for cell in cells]


def _read_xlsx(content: bytes) -> Upload:
    _check_parts(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for damaged files; all mean the same to the user
        raise UnreadableFile(Text(_DAMAGED)) from None
    try:
        if not workbook.worksheets:
            raise UnreadableFile(Text("the workbook has no sheet"))
        sheets = []
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # the stored dimension may be stale: read every row there is
            sheets.append((sheet.title, _sheet_records(sheet)))
        return _first_table(sheets)
    except UnreadableFile:
        raise
    except Exception:  # parsing is lazy: damage shows up while reading rows
        raise UnreadableFile(
            Text("the XLSX workbook is damaged; save it again from Excel or LibreOffice as .xlsx")
        ) from None
    finally:
        workbook.close()


def _first_table(sheets: Sequence[tuple[str, Iterator[Record]]]) -> Upload:
    """The table of the first sheet with the template's headings (a cover sheet before it is common); with
    none, the first sheet's refusal. A refusal names the sheet."""
    heads = []
    for title, records in sheets:
        head = _named(title, functools.partial(_first_rows, records))
        if any(_is_heading_row(cells) for _, cells in head):
            return _named(title, functools.partial(_table, itertools.chain(head, records), title))
        heads.append(head)
    title, records = sheets[0]
    return _named(title, functools.partial(_table, itertools.chain(heads[0], records), title))


def _first_rows(records: Iterator[Record]) -> list[Record]:
    return list(itertools.islice(records, HEADING_SEARCH_ROWS))


def _named(title: str, read: Callable[[], _T]) -> _T:
    try:
        return read()
    except UnreadableFile as error:
        raise _in_sheet(title, error) from None


# -- ODS (LibreOffice Calc) ------------------------------------------------------------------


_ODS_DAMAGED = N_("the file is not a readable ODS spreadsheet (damaged, or another format)")
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _ods_cell(cell: Element) -> str:
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        number = float(cell.get(f"{_OFFICE}value", "nan"))
        return _cell_text(number)
    if kind == "date":
        return cell.get(f"{_OFFICE}date-value", "")[:10]
    if kind == "boolean":
        return "ja" if cell.get(f"{_OFFICE}boolean-value") == "true" else "nein"
    return "\n".join("".join(p.itertext()) for p in cell.iter(f"{_TEXT}p"))


def _ods_records(table: Element) -> Iterator[Record]:
    line = 0
    for row in table.iter(f"{_TABLE}table-row"):
        repeat = min(int(row.get(f"{_TABLE}number-rows-repeated", "1")), 1_048_576)
        cells: list[str] = []
        pending = 0  # empty cells are added only when a filled one follows (LibreOffice repeats them to the end)
        for cell in row:
            if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                continue
            count = int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
            if cell.get(f"{_TABLE}formula"):
                raise UnreadableFile(Text("row {line} holds a formula; paste values, not formulas", line=line + 1))
            value = _ods_cell(cell)
            if not value:
                pending += count
                continue
            if len(cells) + pending + count > MAX_COLUMNS:
                raise UnreadableFile(Text(_ODS_DAMAGED))
            cells.extend([""] * pending + [value] * count)
            pending = 0
        if not cells:
            line += repeat  # blank rows, however many
            continue
        for _ in range(min(repeat, MAX_DATA_ROWS + 1)):
            line += 1
            yield line, cells


def _read_ods(content: bytes) -> Upload:
    _check_parts(content, _ODS_DAMAGED)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            xml = archive.read("content.xml")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnreadableFile(Text(_ODS_DAMAGED)) from None
    root = _parsed("content.xml", xml, _ODS_DAMAGED)
    tables = list(root.iter(f"{_TABLE}table"))
    if not tables:
        raise UnreadableFile(Text("the workbook has no sheet"))
    try:
        return _first_table([(t.get(f"{_TABLE}name", ""), _ods_records(t)) for t in tables])
    except ValueError as error:
        if isinstance(error, UnreadableFile):
            raise
        raise UnreadableFile(Text(_ODS_DAMAGED)) from None


# -- the template ----------------------------------------------------------------------------


def template(file_format: str, language: str) -> bytes:
    """The import template: the header, one example row, and (XLSX) a sheet explaining each column in the
    template's language."""
    headings = [c.german if language == "de" else c.english for c in TEMPLATE]
    example = [c.example for c in TEMPLATE]
    if file_format == "csv":
        buffer_ = io.StringIO()
        csv.writer(buffer_, delimiter=";", lineterminator="\r\n").writerows([headings, example])
        return buffer_.getvalue().encode("utf-8-sig")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Bedarf" if language == "de" else "Demand"
    sheet.append(headings)
    sheet.append(example)
    for letter, column in zip("ABCDEFG", TEMPLATE, strict=True):
        sheet.column_dimensions[letter].width = max(len(column.german), len(column.example), 12) + 2
    guide = workbook.create_sheet("Anleitung" if language == "de" else "Guide")
    guide.append([text(language, N_("Column")), text(language, N_("Meaning"))])
    for column, heading in zip(TEMPLATE, headings, strict=True):
        guide.append([heading, text(language, column.meaning)])
    guide.append([])
    guide.append([text(language, _GUIDE_NOTE)])
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_GUIDE_NOTE = N_(
    "Fill in the sheet with the headings; rows above the headings (a title) are ignored. Name each item by its SKU, or by CPV code and name. Save as .xlsx, .ods or CSV."  # noqa: E501
)
