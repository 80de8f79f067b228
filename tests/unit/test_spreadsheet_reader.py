"""Odd and hostile files: read whole or refused with a reason, never cut short, never a crash."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from civicpool_gateway import downloads, uploads
from openpyxl import Workbook, load_workbook

SHEET = "xl/worksheets/sheet1.xml"


def workbook(fill: Callable[[Any], object]) -> bytes:
    book = Workbook()
    fill(book.active)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, change(data) if info.filename == member else data)
    return out.getvalue()


BASE = workbook(lambda sheet: (sheet.append(["sku", "quantity"]), sheet.append(["A", 1])))


def test_blank_lines_do_not_count_and_nothing_after_them_is_lost() -> None:
    csv = "Artikelnummer;Menge\r\nA;1\r\n" + ";\r\n" * 12_000 + "B;2\r\n"
    rows = uploads.read_upload(csv.encode(), "b.csv").rows
    assert [(r.line, r.values["sku"]) for r in rows] == [(2, "A"), (12_003, "B")]
    far = workbook(
        lambda s: (s.append(["sku", "quantity"]), s.append(["A", 1]), s.cell(12_010, 1, "B"), s.cell(12_010, 2, 2))
    )
    assert [r.line for r in uploads.read_upload(far, "b.xlsx").rows] == [2, 12_010]


def test_a_stale_dimension_does_not_hide_rows() -> None:
    three = workbook(lambda s: [s.append(row) for row in (["sku", "quantity"], ["A", 1], ["B", 2], ["C", 3])])
    stale = rewritten(three, SHEET, lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:B2"', xml))
    assert [r.values["sku"] for r in uploads.read_upload(stale, "b.xlsx").rows] == ["A", "B", "C"]


def test_more_rows_than_allowed_are_refused_not_truncated() -> None:
    csv = "sku;quantity\r\n" + "A;1\r\n" * (uploads.MAX_DATA_ROWS + 1)
    with pytest.raises(uploads.UnreadableFile, match="more than 5,000 data rows"):
        uploads.read_upload(csv.encode(), "b.csv")


@pytest.mark.parametrize(
    "content",
    [
        rewritten(BASE, SHEET, lambda xml: xml[:-30]),
        rewritten(BASE, SHEET, lambda xml: xml.replace(b"<v>1</v>", b"<v>NaN-ish</v>")),
        rewritten(BASE, SHEET, lambda xml: xml.replace(b'r="A2"', b'r="ZZZZZ2"')),
        rewritten(BASE, "xl/workbook.xml", lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets></sheets>", xml)),
        BASE[:700],
    ],
    ids=["truncated-xml", "bad-number", "bad-reference", "no-sheets", "truncated-zip"],
)
def test_damaged_workbooks_are_refused_with_a_reason(content: bytes) -> None:
    with pytest.raises(uploads.UnreadableFile, match=r"XLSX|sheet"):
        uploads.read_upload(content, "b.xlsx")


def test_a_workbook_that_unpacks_to_far_more_than_it_weighs_is_refused() -> None:
    bomb = rewritten(BASE, SHEET, lambda xml: xml + b" " * (uploads.MAX_UNPACKED_BYTES + 1))
    assert len(bomb) < 200_000
    with pytest.raises(uploads.UnreadableFile, match="unpacks to more than"):
        uploads.read_upload(bomb, "b.xlsx")


def test_huge_cells_are_refused() -> None:
    long = workbook(lambda s: (s.append(["sku", "quantity", "justification"]), s.append(["A", 1, "x" * 2101])))
    with pytest.raises(uploads.UnreadableFile, match="row 2 has a cell longer than 2,100"):
        uploads.read_upload(long, "b.xlsx")


def test_exports_drop_control_characters_that_xlsx_cannot_hold() -> None:
    table = downloads.table([{"justification": "abc\u0007def", "n": -1}], ["justification", "n"])
    sheet = load_workbook(io.BytesIO(downloads.to_xlsx({"Positionen": table}, "de"))).worksheets[0]
    assert [cell.value for cell in sheet[2]] == ["abcdef", -1]


ENTITIES = b"""<?xml version="1.0"?>
<!DOCTYPE worksheet [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>"""


@pytest.mark.parametrize("member", [SHEET, "xl/sharedStrings.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"])
def test_a_workbook_part_with_a_doctype_is_refused_before_parsing(member: str) -> None:
    """Internal entities (and external ones) come in through a DOCTYPE: no part may declare one."""
    shared = workbook(lambda s: (s.append(["sku", "quantity"]), s.append(["A-" + "x" * 3, 1])))
    with zipfile.ZipFile(io.BytesIO(shared)) as archive:
        names = set(archive.namelist())
    target = member if member in names else SHEET

    def with_doctype(xml: bytes) -> bytes:
        return ENTITIES + re.sub(rb"^<\?xml[^>]*\?>", b"", xml.lstrip()).replace(b">A-xxx<", b">&b;<")

    hostile = rewritten(shared, target, with_doctype)
    with pytest.raises(uploads.UnreadableFile, match="declares a DOCTYPE"):
        uploads.read_upload(hostile, "bedarf.xlsx")


def test_a_utf16_part_with_a_doctype_is_refused_too() -> None:
    def utf16(xml: bytes) -> bytes:
        text = xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        return text.replace("<worksheet", '<!DOCTYPE worksheet [<!ENTITY a "A">]><worksheet', 1).encode("utf-16")

    with pytest.raises(uploads.UnreadableFile, match="declares a DOCTYPE"):
        uploads.read_upload(rewritten(BASE, SHEET, utf16), "bedarf.xlsx")


def test_rows_are_numbered_as_excel_shows_them_even_after_a_cell_with_line_breaks() -> None:
    """A justification over three lines is one row in Excel: the rows after it keep their numbers."""
    csv = 'Artikelnummer;Menge;Begründung\r\nA;1;"Zeile eins\r\nZeile zwei\r\nZeile drei"\r\nB;2;kurz\r\nC;x;kurz\r\n'
    rows = uploads.read_upload(csv.encode(), "b.csv").rows
    assert [(r.line, r.values["sku"]) for r in rows] == [(2, "A"), (3, "B"), (4, "C")]
