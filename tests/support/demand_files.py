# ruff: noqa: E501  (a file per line: each case reads as one row of a table)
"""Demand files as German city halls make them, each with what must become of it.

Excel and LibreOffice write spreadsheets in many ways: title rows above the
headings, a cover sheet before the demand, German headings and their aliases,
quantities as `40,00` text or as `40.0` number cells, dates as date cells or as
`31.03.2027` text, CSV in Windows-1252 with `;`, UTF-8 with a BOM, Excel's
"Unicode-Text" (UTF-16, tabs), LibreOffice's ODS, an old .xls renamed to
.xlsx, a password-protected workbook. `demand_files(today)` makes one of each
(at least 30), with the outcome a clerk must see: the rows read (by Excel's row
numbers), the problems found in them (row, the file's heading, the message in
German), or the refusal of the whole file (in German and English).

The items are the demo catalog's (cli/src/civicpool_cli/demo.py). Workbooks come
from openpyxl, ODS and the compound files (OLE2/CFB: .xls and encrypted .xlsx)
are written here byte by byte as the programs lay them out.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import openpyxl

HEADSET = ("32342100-3", "Headset USB-C, beidseitig, mit Geräuschunterdrückung")
GERMAN = ["Artikelnummer", "CPV-Code", "Bezeichnung", "Menge", "Benötigt bis", "Begründung", "Priorität"]
ENGLISH = ["sku", "cpv_code", "name", "quantity", "needed_by", "justification", "priority"]


@dataclass(frozen=True)
class Problem:
    """A row's problem as the clerk reads it: Excel's row, the template field, the file's heading, and the
    whole German message (with the sheet, when the file has sheets)."""

    row: int
    field: str
    heading: str
    german: str


@dataclass(frozen=True)
class DemandFile:
    case: str
    file_name: str
    content: bytes
    read: list[tuple[int, str, int]] = field(default_factory=list)  # (Excel row, SKU or name, quantity)
    problems: list[Problem] = field(default_factory=list)
    refusal: tuple[str, str] | None = None  # words of the German and the English refusal of the whole file
    too_large: bool = False  # refused by its size (413), before it is read
    sheet: str | None = None  # the sheet the rows are read from

    @property
    def accepted(self) -> bool:
        return not self.problems and self.refusal is None and not self.too_large


# -- writers ---------------------------------------------------------------------------------


def xlsx(*sheets: tuple[str, list[list[Any]]]) -> bytes:
    """A workbook as Excel saves it (openpyxl writes the same parts), sheets in order."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for number, row in enumerate(rows, start=1):
            sheet.append(row)
            for column, value in enumerate(row, start=1):
                if isinstance(value, dt.date):
                    sheet.cell(number, column).number_format = "DD.MM.YYYY"  # how a German Excel shows a date
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(rows: list[list[str]], delimiter: str = ";") -> str:
    """CSV as Excel writes it: quoted only where needed, CRLF."""

    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in rows)


_ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"'
)


def _ods_cell(value: Any) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, str) and value.startswith("="):
        return f'<table:table-cell table:formula={quoteattr("of:" + value)} office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>'
    if isinstance(value, bool):
        raise TypeError("no booleans in demand files")
    if isinstance(value, int | float):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    if isinstance(value, dt.date):
        return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"><text:p>{value:%d.%m.%Y}</text:p></table:table-cell>'
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def ods(*sheets: tuple[str, list[list[Any]]]) -> bytes:
    """A spreadsheet as LibreOffice Calc saves it: the mimetype first and stored, blank rows and the empty
    rest of each row written as repeated cells, and a last row repeated to the end of the sheet."""
    tables = []
    for title, rows in sheets:
        body = []
        for row in rows:
            if not any(v not in (None, "") for v in row):
                body.append(
                    '<table:table-row><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
                )
                continue
            cells = "".join(_ods_cell(v) for v in row)
            body.append(
                f'<table:table-row>{cells}<table:table-cell table:number-columns-repeated="{1024 - len(row)}"/></table:table-row>'
            )
        body.append(
            '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        )
        columns = '<table:table-column table:number-columns-repeated="1024"/>'
        tables.append(f"<table:table table:name={quoteattr(title)}>{columns}{''.join(body)}</table:table>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NAMESPACES} office:version="1.3">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


_FREE, _END, _FAT, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512
_MINI_CUTOFF = 4096


def compound_file(streams: list[tuple[str, bytes]]) -> bytes:
    """An OLE2 compound file (MS-CFB, version 3, 512-byte sectors) holding `streams` in its root storage:
    the container of Excel 97-2003 workbooks (a "Workbook" stream) and of password-protected XLSX
    ("EncryptionInfo", "EncryptedPackage"). Every stream is kept in regular sectors (it is padded to the
    mini-stream cutoff), so no mini FAT is needed; the directory is a valid red-black tree (all black, each
    entry the right sibling of the one before, in CFB's order: shorter names first, then by upper case)."""
    streams = sorted(streams, key=lambda s: (len(s[0]), s[0].upper()))
    padded = [(name, data + b"\0" * max(0, _MINI_CUTOFF - len(data)), len(data)) for name, data in streams]
    directory_entries = 1 + len(padded)
    directory_sectors = -(-directory_entries * 128 // _SECTOR)
    stream_sectors = [-(-len(data) // _SECTOR) for _, data, _ in padded]
    total = 1 + directory_sectors + sum(stream_sectors)
    if total > _SECTOR // 4:
        raise ValueError("one FAT sector holds 128 sectors; the streams are too large for this writer")
    fat = [_FREE] * (_SECTOR // 4)
    fat[0] = _FAT
    next_sector = 1

    def chain(count: int) -> int:
        nonlocal next_sector
        start = next_sector
        for i in range(count):
            fat[start + i] = start + i + 1 if i < count - 1 else _END
        next_sector += count
        return start

    directory_start = chain(directory_sectors)
    starts = [chain(count) for count in stream_sectors]

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)  # color 1: black
            + struct.pack("<III", _NO_STREAM, right, child)
            + b"\0" * 16  # CLSID
            + struct.pack("<I", 0)  # state bits
            + b"\0" * 16  # creation and modification time
            + struct.pack("<IQ", start, size)
        )

    entries = [entry("Root Entry", 5, 1 if padded else _NO_STREAM, _NO_STREAM, _END, 0)]
    for index, ((name, _, size), start) in enumerate(zip(padded, starts, strict=True), start=1):
        right = index + 1 if index < len(padded) else _NO_STREAM
        entries.append(entry(name, 2, _NO_STREAM, right, start, max(size, _MINI_CUTOFF)))
    # unused directory slots are empty entries whose siblings and child are NOSTREAM
    empty = b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", _NO_STREAM, _NO_STREAM, _NO_STREAM)
    empty = empty.ljust(128, b"\0")
    directory = b"".join(entries) + empty * (directory_sectors * 4 - len(entries))
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, directory_start, 0, _MINI_CUTOFF, _END, 0, _END, 0)
        + struct.pack("<I", 0)  # DIFAT[0]: the FAT is sector 0
        + struct.pack("<I", _FREE) * 108
    )
    assert len(header) == _SECTOR
    body = struct.pack(f"<{_SECTOR // 4}I", *fat) + directory
    for (_, data, _), count in zip(padded, stream_sectors, strict=True):
        body += data.ljust(count * _SECTOR, b"\0")
    return header + body


def old_excel_workbook() -> bytes:
    """An Excel 97-2003 workbook's container: a "Workbook" stream that starts with a BIFF8 BOF record."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x2775, 0x07CD, 0x000100C1, 0x00000406)
    eof = struct.pack("<HH", 0x000A, 0)
    return compound_file([("Workbook", bof + eof)])


def password_protected_workbook(today: dt.date) -> bytes:
    """What Excel saves when a workbook gets a password: the XLSX package encrypted (here: bytes no one can
    read without the key) in "EncryptedPackage", the key's description (agile encryption, XML) in
    "EncryptionInfo"."""
    package = xlsx(("Bedarf", [GERMAN, ["LAPTOP-14", "", "", 40, today, "", ""]]))
    scrambled = bytes(b ^ k for b, k in zip(package, random.Random(18).randbytes(len(package)), strict=True))
    info = struct.pack("<HHI", 4, 4, 0x40) + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
        b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
        b'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/>'
        b"</encryption>"
    )
    return compound_file([("EncryptionInfo", info), ("EncryptedPackage", struct.pack("<Q", len(package)) + scrambled)])


def oversized_workbook(today: dt.date) -> bytes:
    """A demand list with what makes files large: another sheet full of data that does not compress (a
    pasted archive), beyond the 2 MB limit."""
    noise = random.Random(7)
    archive = [[noise.randbytes(48).hex() for _ in range(8)] for _ in range(4500)]
    return xlsx(("Bedarf", [GERMAN, ["LAPTOP-14", "", "", 40, today, "", ""]]), ("Archiv 2019-2025", archive))


# -- the files -------------------------------------------------------------------------------


def demand_files(today: dt.date) -> list[DemandFile]:
    """At least 30 demand files as German cities produce them; dates are after `today`."""
    later = today + dt.timedelta(days=120)
    d = f"{later:%d.%m.%Y}"
    title = ["Bedarfsmeldung Stadt Bruchsal – IT-Ausstattung 2027"]
    stand = [f"Stand: {today:%d.%m.%Y}, Amt für Digitalisierung"]
    cover = [
        ["Stadt Bruchsal"],
        ["Bedarfsmeldung an den Einkaufsverbund"],
        [],
        ["Ansprechpartner: Herr Maier, Tel. 07251 79-0"],
    ]
    good_rows = [
        ["LAPTOP-14", "", "", 40, later, "Ersatz der Geräte aus 2019 in den Grundschulen", "hoch"],
        ["DOCK-USBC", "", "", 25, None, "Arbeitsplätze Bürgerbüro", ""],
        ["", HEADSET[0], HEADSET[1], 12, later, "Telefonie im Bürgerbüro", "niedrig"],
    ]
    good_read = [("LAPTOP-14", 40), ("DOCK-USBC", 25), (HEADSET[1], 12)]

    def read_from(first_row: int, read: list[tuple[str, int]] = good_read) -> list[tuple[int, str, int]]:
        return [(first_row + i, key, quantity) for i, (key, quantity) in enumerate(read)]

    def text_rows(rows: list[list[Any]]) -> list[list[str]]:
        return [[f"{v:%d.%m.%Y}" if isinstance(v, dt.date) else "" if v is None else str(v) for v in r] for r in rows]

    bad_numbers = [
        ["LAPTOP-14", "", "", "40,00", d, "Schulen", ""],
        ["DOCK-USBC", "", "", "2,5", "", "Bürgerbüro", ""],
        ["WEBCAM-FHD", "", "", "-5", "", "Ratssaal", ""],
        ["LAPTOP-14", "", "", "0", "", "Reserve", ""],
        ["DOCK-USBC", "", "", "1.000,00", "", "Rollout", ""],
    ]
    aliases = ["Artikel-Nr.", "CPV", "Artikelbezeichnung", "Anzahl", "Bedarf bis", "Begründung", "Prio"]

    return [
        # -- XLSX from Excel
        DemandFile("xlsx-template-german", "Bedarf.xlsx", xlsx(("Bedarf", [GERMAN, *good_rows]))
                   , read=read_from(2), sheet="Bedarf"),
        DemandFile("xlsx-english-headings", "demand.xlsx", xlsx(("Demand", [ENGLISH, *good_rows])),
                   read=read_from(2), sheet="Demand"),
        DemandFile("xlsx-title-and-blank-rows", "Bedarfsmeldung 2027.xlsx",
                   xlsx(("Tabelle1", [title, stand, [], GERMAN, *good_rows])), read=read_from(5), sheet="Tabelle1"),
        DemandFile("xlsx-cover-sheet", "Bedarf Bruchsal.xlsx", xlsx(("Deckblatt", cover), ("Bedarf", [GERMAN, *good_rows])),
                   read=read_from(2), sheet="Bedarf"),
        DemandFile("xlsx-cover-sheet-and-title", "Bedarf_final_v3.xlsx",
                   xlsx(("Deckblatt", cover), ("Bedarf 2027", [title, [], GERMAN, *good_rows])),
                   read=read_from(4), sheet="Bedarf 2027"),
        DemandFile("xlsx-float-cells", "Bedarf.xlsx",
                   xlsx(("Bedarf", [GERMAN, ["LAPTOP-14", "", "", 40.0, later, "", ""], ["DOCK-USBC", "", "", 1000.0, None, "", ""]])),
                   read=[(2, "LAPTOP-14", 40), (3, "DOCK-USBC", 1000)], sheet="Bedarf"),
        DemandFile("xlsx-dates-as-text", "Bedarf.xlsx", xlsx(("Bedarf", [GERMAN, *text_rows(good_rows)])),
                   read=read_from(2), sheet="Bedarf"),
        DemandFile("xlsx-aliases", "Bedarf.xlsx", xlsx(("Bedarf", [aliases, *good_rows])), read=read_from(2), sheet="Bedarf"),
        DemandFile("xlsx-decimals-as-text", "Bedarf.xlsx",
                   xlsx(("Bedarf", [GERMAN, ["LAPTOP-14", "", "", "40,00", d, "", ""], ["DOCK-USBC", "", "", "1.000,00", "", "", ""], ["WEBCAM-FHD", "", "", "1.000", "", "", ""]])),
                   read=[(2, "LAPTOP-14", 40), (3, "DOCK-USBC", 1000), (4, "WEBCAM-FHD", 1000)], sheet="Bedarf"),
        DemandFile("xlsx-lower-case-skus", "Bedarf.xlsx",
                   xlsx(("Bedarf", [GERMAN, ["laptop-14", "", "", 3, None, "", ""], ["Dock-UsbC", "", "", 4, None, "", ""]])),
                   read=[(2, "LAPTOP-14", 3), (3, "DOCK-USBC", 4)], sheet="Bedarf"),
        DemandFile("xlsx-bad-numbers-below-title-on-second-sheet", "Bedarf.xlsx",
                   xlsx(("Deckblatt", cover), ("Bedarf", [title, [], aliases, *bad_numbers])), sheet="Bedarf",
                   problems=[
                       Problem(5, "quantity", "Anzahl", "Blatt „Bedarf“, Zeile 5, Spalte „Anzahl“: '2,5' ist keine ganze Zahl"),
                       Problem(6, "quantity", "Anzahl", "Blatt „Bedarf“, Zeile 6, Spalte „Anzahl“: muss mindestens 1 sein"),
                       Problem(7, "quantity", "Anzahl", "Blatt „Bedarf“, Zeile 7, Spalte „Anzahl“: muss mindestens 1 sein"),
                   ]),
        DemandFile("xlsx-half-in-a-number-cell", "Bedarf.xlsx",
                   xlsx(("Bedarf", [GERMAN, ["LAPTOP-14", "", "", 2.5, None, "", ""]])), sheet="Bedarf",
                   problems=[Problem(2, "quantity", "Menge", "Blatt „Bedarf“, Zeile 2, Spalte „Menge“: '2.5' ist keine ganze Zahl")]),
        DemandFile("xlsx-unknown-sku-in-wrong-case", "Bedarf.xlsx",
                   xlsx(("Bedarf", [["Artikel-Nr.", "Menge"], ["laptop-14", 2], ["laptp-14", 3]])), sheet="Bedarf",
                   problems=[Problem(3, "sku", "Artikel-Nr.", "Blatt „Bedarf“, Zeile 3, Spalte „Artikel-Nr.“: Kein Katalogartikel hat die Artikelnummer 'laptp-14'; meinten Sie LAPTOP-14?")]),
        DemandFile("xlsx-date-in-the-past", "Bedarf.xlsx",
                   xlsx(("Bedarf", [GERMAN, ["LAPTOP-14", "", "", 1, dt.date(2020, 3, 31), "", ""]])), sheet="Bedarf",
                   problems=[Problem(2, "needed_by", "Benötigt bis", "Blatt „Bedarf“, Zeile 2, Spalte „Benötigt bis“: 31.03.2020 liegt in der Vergangenheit")]),
        DemandFile("xlsx-formula", "Bedarf.xlsx", xlsx(("Bedarf", [GERMAN, ["LAPTOP-14", "", "", "=20*2", None, "", ""]])),
                   refusal=("Blatt „Bedarf“: Zeile 2 enthält eine Formel", "sheet 'Bedarf': row 2 holds a formula")),
        DemandFile("xlsx-without-headings", "Liste.xlsx", xlsx(("Tabelle1", [title, ["Laptop", "40"], ["Docking", "25"]])),
                   refusal=("keine Zeile mit den Spaltenüberschriften der Vorlage", "no row with the template's headings")),
        DemandFile("xlsx-extra-column", "Bedarf.xlsx",
                   xlsx(("Bedarf", [title, [*GERMAN, "Bemerkung"], ["LAPTOP-14", "", "", 1, None, "", "", "eilig"]])),
                   refusal=("Unbekannte Spalte(n) 'Bemerkung' in der Überschriftenzeile (Zeile 2)", "unknown column(s) 'Bemerkung'")),
        DemandFile("xlsx-oversized", "Bedarf mit Archiv.xlsx", oversized_workbook(later), too_large=True),
        DemandFile("xls-renamed-to-xlsx", "Bedarf.xlsx", old_excel_workbook(),
                   refusal=("alten Format Excel 97-2003", "old Excel 97-2003 format")),
        DemandFile("xls", "Bedarf 2027.xls", old_excel_workbook(), refusal=("alten Format Excel 97-2003", "old Excel 97-2003 format")),
        DemandFile("xlsx-password-protected", "Bedarf (geschützt).xlsx", password_protected_workbook(later),
                   refusal=("Die Datei ist kennwortgeschützt", "the file is password-protected")),
        # -- CSV from Excel and LibreOffice
        DemandFile("csv-excel-cp1252-semicolon", "Bedarf.csv", csv_text([GERMAN, *text_rows(good_rows)]).encode("cp1252"),
                   read=read_from(2)),
        DemandFile("csv-utf8-bom", "Bedarf.csv", csv_text([GERMAN, *text_rows(good_rows)]).encode("utf-8-sig"), read=read_from(2)),
        DemandFile("csv-title-rows", "Bedarf.csv",
                   csv_text([[title[0], "", "", "", "", "", ""], ["", "", "", "", "", "", ""], GERMAN, *text_rows(good_rows)]).encode("cp1252"),
                   read=read_from(4)),
        DemandFile("csv-unicode-text", "Bedarf.txt", csv_text([GERMAN, *text_rows(good_rows)], "\t").encode("utf-16"),
                   read=read_from(2)),
        DemandFile("csv-utf16-without-bom", "Bedarf.txt",
                   csv_text([GERMAN, *text_rows(good_rows)], "\t").encode("utf-16-le"), read=read_from(2)),
        DemandFile("csv-english-comma", "demand.csv", csv_text([ENGLISH, *text_rows(good_rows)], ",").encode(), read=read_from(2)),
        DemandFile("csv-line-breaks-in-a-cell", "Bedarf.csv",
                   csv_text([GERMAN, ["LAPTOP-14", "", "", "2", "", "Schulen:\nGrundschule Nord\nGrundschule Süd", ""], ["DOCK-USBC", "", "", "zwei", "", "", ""]]).encode("utf-8-sig"),
                   problems=[Problem(3, "quantity", "Menge", "Zeile 3, Spalte „Menge“: 'zwei' ist keine ganze Zahl")]),
        DemandFile("csv-bad-numbers", "Bedarf.csv", csv_text([aliases, *bad_numbers]).encode("cp1252"),
                   problems=[
                       Problem(3, "quantity", "Anzahl", "Zeile 3, Spalte „Anzahl“: '2,5' ist keine ganze Zahl"),
                       Problem(4, "quantity", "Anzahl", "Zeile 4, Spalte „Anzahl“: muss mindestens 1 sein"),
                       Problem(5, "quantity", "Anzahl", "Zeile 5, Spalte „Anzahl“: muss mindestens 1 sein"),
                   ]),
        DemandFile("csv-bad-date-and-priority", "Bedarf.csv",
                   csv_text([GERMAN, ["LAPTOP-14", "", "", "1", "31.02.2030", "", "dringend"]]).encode("cp1252"),
                   problems=[
                       Problem(2, "needed_by", "Benötigt bis", "Zeile 2, Spalte „Benötigt bis“: '31.02.2030' ist kein Kalendertag"),
                       Problem(2, "priority", "Priorität", "Zeile 2, Spalte „Priorität“: 'dringend' ist keine Priorität; schreiben Sie hoch, normal oder niedrig"),
                   ]),
        DemandFile("csv-unknown-column", "Bedarf.csv", b"Artikel;Farbe\r\nx;rot\r\n",
                   refusal=("Unbekannte Spalte(n) 'Farbe'", "unknown column(s) 'Farbe'")),
        DemandFile("csv-empty", "Bedarf.csv", b"", refusal=("Die Datei ist leer", "the file is empty")),
        # -- ODS from LibreOffice Calc
        DemandFile("ods-with-title", "Bedarf.ods", ods(("Tabelle1", [title, [], GERMAN, *good_rows])),
                   read=read_from(4), sheet="Tabelle1"),
        DemandFile("ods-cover-sheet-bad-number", "Bedarf.ods",
                   ods(("Deckblatt", cover), ("Bedarf", [GERMAN, ["LAPTOP-14", "", "", 2.5, later, "", ""], ["DOCK-USBC", "", "", "40,00", None, "", ""]])),
                   sheet="Bedarf",
                   problems=[Problem(2, "quantity", "Menge", "Blatt „Bedarf“, Zeile 2, Spalte „Menge“: '2.5' ist keine ganze Zahl")]),
        DemandFile("ods-formula", "Bedarf.ods", ods(("Tabelle1", [GERMAN, ["LAPTOP-14", "", "", "=1+1", None, "", ""]])),
                   refusal=("Blatt „Tabelle1“: Zeile 2 enthält eine Formel", "sheet 'Tabelle1': row 2 holds a formula")),
        DemandFile("ods-named-xlsx", "Bedarf.xlsx", ods(("Tabelle1", [GERMAN, *good_rows])), read=read_from(2), sheet="Tabelle1"),
    ]  # fmt: skip
