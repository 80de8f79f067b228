"""Spreadsheets in and out through the gateway: the template, imports as German offices write them, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from civicpool_cli.main import app
from civicpool_cli.stack import Stack
from typer.testing import CliRunner

from tests.conftest import PROBLEM, XLSX, ApiFactory
from tests.integration.test_demand_api import add_line, demo_round, new_round
from tests.support.demand_files import DemandFile, demand_files

HEADSET_NAME = "Headset USB-C, beidseitig, mit Geräuschunterdrückung"
IN_A_MONTH = dt.date.today() + dt.timedelta(days=30)
GERMAN_DATE = f"{IN_A_MONTH:%d.%m.%Y}"


def upload(
    api: ApiFactory, round_id: str, name: str, content: bytes, mode: str = "add", user: str = "bruchsal.it"
) -> Any:
    return api(user).post(f"/rounds/{round_id}/imports", files={"file": (name, content)}, data={"mode": mode})


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def submitted(api: ApiFactory, round_id: str, user: str = "bruchsal.it") -> list[tuple[str, int]]:
    lines = api(user).get(f"/rounds/{round_id}/lines", params={"status": "submitted", "limit": 500}).json()["data"]
    return sorted((line["item_id"], line["quantity"]) for line in lines)


# -- the journey of the issue ------------------------------------------------------------------


def test_bruchsal_uploads_into_the_demo_round_and_ettlingen_exports_the_network_total(api: ApiFactory) -> None:
    template = api("bruchsal.it").get("/rounds/import-template", params={"format": "xlsx"})
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = workbook.worksheets[0]
    headings = [cell.value for cell in sheet[1]]
    assert headings[:4] == ["Artikelnummer", "CPV-Code", "Bezeichnung", "Menge"]
    assert workbook.sheetnames[1] == "Anleitung"
    guide = [[cell.value for cell in row] for row in workbook["Anleitung"].iter_rows()]
    assert guide[0] == ["Spalte", "Bedeutung"]
    assert guide[4] == ["Menge", "Eine ganze Zahl ab 1; 1.000 bedeutet tausend, 40,00 ist 40"]
    english = api("bruchsal.it").get("/rounds/import-template", params={"format": "xlsx", "language": "en"})
    english_guide = openpyxl.load_workbook(io.BytesIO(english.content))["Guide"]
    assert [c.value for c in english_guide[5]] == [
        "quantity",
        "A whole number from 1; 1.000 means one thousand, 40,00 is 40",
    ]
    sheet.delete_rows(2)  # the example row
    sheet.append(["LAPTOP-14", None, None, 38, IN_A_MONTH, "Ersatz in den Schulen", "hoch"])
    sheet.append([None, "32342100-3", HEADSET_NAME, 38.0, None, "Zu den Notebooks", None])
    filled = io.BytesIO()
    workbook.save(filled)

    round_ = demo_round(api)
    imported = upload(api, round_["id"], "Bedarf Bruchsal.xlsx", filled.getvalue())
    assert imported.status_code == 201, imported.text
    assert (imported.json()["created"], imported.json()["replayed"]) == (2, False)
    again = upload(api, round_["id"], "Bedarf Bruchsal (Kopie).xlsx", filled.getvalue())
    assert (again.status_code, again.json()["replayed"]) == (200, True)

    lead = api("ettlingen.lead")
    aggregate = lead.get(f"/rounds/{round_['id']}/aggregate").json()
    laptop = next(i for i in aggregate["items"] if i["sku"] == "LAPTOP-14")
    assert {"city_id": "bruchsal", "quantity": 38, "line_count": 1, "estimated_cents": 38 * 89_900} in laptop["cities"]

    export = lead.get(f"/rounds/{round_['id']}/aggregate", params={"format": "xlsx"})
    assert export.status_code == 200 and export.headers["content-type"] == XLSX
    assert "attachment" in export.headers["content-disposition"]
    exported = openpyxl.load_workbook(io.BytesIO(export.content))
    totals = list(exported["Summen"].values)
    header = list(totals[0])
    laptop_row = next(row for row in totals if row[0] == "LAPTOP-14")
    assert laptop_row[header.index("qty_bruchsal")] == 38
    assert laptop_row[header.index("total_quantity")] == laptop["total_quantity"]
    lines = list(exported["Positionen"].values)
    assert any(row[1] == "bruchsal" and row[2] == "HEADSET-USB" and row[4] == 38 for row in lines[1:])


# -- files as German offices write them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter", "heading_row"),
    [
        (
            "cp1252",
            ";",
            ["Artikelnummer", "CPV-Code", "Bezeichnung", "Menge", "Benötigt bis", "Begründung", "Priorität"],
        ),
        ("utf-8-sig", ",", ["sku", "cpv_code", "name", "quantity", "needed_by", "justification", "priority"]),
        ("utf-8", ";", ["SKU", "CPV", "Artikelbezeichnung", "Anzahl", "Benoetigt bis", "Begründung", "Prio"]),
    ],
)
def test_csv_in_the_usual_encodings_separators_and_headings(
    api: ApiFactory, encoding: str, delimiter: str, heading_row: list[str]
) -> None:
    round_ = new_round(api)
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([heading_row,
                      ["LAPTOP-14", "", "", "1.000", GERMAN_DATE, "Schulen: Ausstattung für Lehrkräfte", "niedrig"],
                      ["", "", "", "", "", "", ""],
                      ["", "32342100-3", HEADSET_NAME, "25", IN_A_MONTH.isoformat(), "Bürgerbüro", ""]])  # fmt: skip
    response = upload(api, round_["id"], "bedarf.csv", text.getvalue().encode(encoding))
    assert response.status_code == 201, response.text
    lines = api("bruchsal.it").get(f"/rounds/{round_['id']}/lines").json()["data"]
    assert sorted((x["quantity"], x["priority"], x["needed_by"]) for x in lines) == [
        (25, "normal", IN_A_MONTH.isoformat()),
        (1000, "low", IN_A_MONTH.isoformat()),
    ]
    assert any(x["justification"] == "Bürgerbüro" for x in lines)


def test_replace_makes_the_citys_lines_equal_to_the_file(api: ApiFactory) -> None:
    round_ = new_round(api)
    add_line(api, round_["id"], "bruchsal.it", "WEBCAM-FHD", 3)
    add_line(api, round_["id"], "buehl.it", "WEBCAM-FHD", 4)
    content = b"sku;quantity\r\nLAPTOP-14;5\r\nDOCK-USBC;5\r\n"
    first = upload(api, round_["id"], "b.csv", content, mode="replace").json()
    assert (first["created"], first["withdrawn"], first["unchanged"]) == (2, 1, 0)
    second = upload(api, round_["id"], "b.csv", content, mode="replace").json()
    assert (second["created"], second["withdrawn"], second["unchanged"]) == (0, 0, 2)
    assert [q for _, q in submitted(api, round_["id"])] == [5, 5]
    assert [q for _, q in submitted(api, round_["id"], "buehl.it")] == [4]  # another city's demand is untouched


# -- bad rows and bad files change nothing -----------------------------------------------------


def test_a_file_with_bad_rows_is_rejected_whole_with_line_numbers(api: ApiFactory) -> None:
    round_ = new_round(api, scope_cpv_prefixes=["302"])
    add_line(api, round_["id"], "bruchsal.it", "LAPTOP-14", 2)
    before = submitted(api, round_["id"])
    content = (
        "Artikelnummer;Menge;Benötigt bis;Priorität\r\n"
        "LAPTOP-14;10;;\r\n"  # good, but must not be imported either
        "LAPTOP-14;zehn;;\r\n"
        "NICHT-DA;1;;\r\n"
        "VC-EU-CLOUD;1;;\r\n"  # outside the round's scope
        "LAPTOP-14;1;32.13.2027;\r\n"
        "LAPTOP-14;-4;;dringend\r\n"
    ).encode()
    rejected = upload(api, round_["id"], "b.csv", content, mode="replace")
    assert rejected.status_code == 422 and rejected.headers["content-type"] == PROBLEM
    body = rejected.json()
    assert body["type"] == "/problems/import-rejected" and "nothing was imported" in body["detail"]
    assert {(e["line"], e["field"]) for e in body["errors"]} == {
        (3, "quantity"), (4, "sku"), (5, "sku"), (6, "needed_by"), (7, "quantity"), (7, "priority")
    }  # fmt: skip
    assert submitted(api, round_["id"]) == before


def test_a_german_clerk_reads_the_refusal_in_german_and_a_script_in_english(api: ApiFactory) -> None:
    round_ = new_round(api)
    content = "Artikelnummer;Menge;Benötigt bis;Priorität\r\nLAPTOP-14;zehn;;\r\nLAPTOP-14;2;01.01.2001;\r\n".encode()
    clerk = api("bruchsal.it")
    german = clerk.post(f"/rounds/{round_['id']}/imports", files={"file": ("b.csv", content)},
                        headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"})  # fmt: skip
    english = clerk.post(f"/rounds/{round_['id']}/imports", files={"file": ("b.csv", content)})
    assert german.status_code == english.status_code == 422
    assert german.json()["type"] == english.json()["type"] == "/problems/import-rejected"
    assert german.headers["content-language"] == "de"
    assert german.json()["title"] == "Der Import wurde abgelehnt; es wurde nichts übernommen"
    assert german.json()["detail"] == "Die Datei hat 2 Fehler in 2 Zeile(n); es wurde nichts importiert"
    assert [(e["line"], e["field"], e["column"], e["message"]) for e in german.json()["errors"]] == [
        (2, "quantity", "Menge", "Zeile 2, Spalte „Menge“: 'zehn' ist keine ganze Zahl"),
        (3, "needed_by", "Benötigt bis", "Zeile 3, Spalte „Benötigt bis“: 01.01.2001 liegt in der Vergangenheit"),
    ]  # the row as Excel numbers it, the column by the file's heading, the day as a German reads it
    assert english.json()["detail"] == "the file has 2 problem(s) in 2 row(s); nothing was imported"
    assert [e["message"] for e in english.json()["errors"]] == [
        "row 2, column 'Menge': 'zehn' is not a whole number",
        "row 3, column 'Benötigt bis': 2001-01-01 lies in the past",
    ]


GERMAN_CITY_FILES = {f.case: f for f in demand_files(dt.date.today())}
THROUGH_THE_STACK = [
    "xlsx-bad-numbers-below-title-on-second-sheet", "csv-bad-numbers", "xlsx-unknown-sku-in-wrong-case",
    "ods-cover-sheet-bad-number", "xlsx-password-protected", "xls-renamed-to-xlsx", "xlsx-oversized",
    "xlsx-cover-sheet-and-title", "csv-unicode-text", "ods-with-title", "xlsx-lower-case-skus",
]  # fmt: skip


@pytest.mark.parametrize("case", THROUGH_THE_STACK)
def test_files_as_german_cities_make_them_are_imported_or_refused_in_german(api: ApiFactory, case: str) -> None:
    """Bruchsal's IT uploads as the portal does (German): rows as Excel numbers them, the file's headings,
    the sheet; a file that cannot be read is told why in German; nothing changes unless all rows are good."""
    demand_file: DemandFile = GERMAN_CITY_FILES[case]
    round_ = new_round(api)
    add_line(api, round_["id"], "bruchsal.it", "WEBCAM-FHD", 7)
    response = api("bruchsal.it").post(
        f"/rounds/{round_['id']}/imports",
        files={"file": (demand_file.file_name, demand_file.content)},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    body = response.json()
    if demand_file.accepted:
        assert response.status_code == 201, response.text
        items = api("bruchsal.it").get("/items", params={"limit": 500}).json()["data"]
        ids = {item["sku"]: item["id"] for item in items} | {item["name"]: item["id"] for item in items}
        expected = [(ids[key], quantity) for _, key, quantity in demand_file.read]
        assert submitted(api, round_["id"]) == sorted([(ids["WEBCAM-FHD"], 7), *expected])
        return
    assert response.headers["content-type"] == PROBLEM and response.headers["content-language"] == "de"
    if demand_file.too_large:
        assert response.status_code == 413
        assert "größer als 2 MB" in body["detail"] and "eingebettete Bilder" in body["detail"]
    elif demand_file.refusal is not None:
        assert (response.status_code, body["type"]) == (422, "/problems/unreadable-file")
        assert demand_file.refusal[0] in body["detail"]
    else:
        assert (response.status_code, body["type"]) == (422, "/problems/import-rejected")
        assert body["detail"].startswith("Die Datei hat")
        assert [(e["line"], e["field"], e["column"], e["message"]) for e in body["errors"]] == [
            (p.row, p.field, p.heading, p.german) for p in demand_file.problems
        ]
        assert all(e.get("sheet") == demand_file.sheet for e in body["errors"])
    assert [q for _, q in submitted(api, round_["id"])] == [7]  # nothing changed


def _broken_zip() -> bytes:
    return xlsx([["sku", "quantity"], ["LAPTOP-14", 1]])[:700]


def _formula_xlsx() -> bytes:
    return xlsx([["sku", "quantity"], ["LAPTOP-14", "=2*20"]])


def _not_a_zip_but_named_xlsx() -> bytes:
    return b"sku;quantity\nLAPTOP-14;1\n" + bytes(range(1, 9))


def _zip_without_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "status", "problem", "words"),
    [
        ("b.xlsx", _broken_zip(), 422, "unreadable-file", "XLSX"),
        ("b.xlsx", _zip_without_a_workbook(), 422, "unreadable-file", "XLSX"),
        ("b.xlsx", _formula_xlsx(), 422, "unreadable-file", "formula"),
        ("b.csv", b"sku;quantity\r\nLAPTOP-14;=1+1\r\n", 422, "unreadable-file", "formula"),
        ("b.csv", "sku;quantity\r\nLAPTOP-14;1\r\nDOCK\x81;1\r\n".encode("latin-1"), 422, "unreadable-file",
         "encoding"),
        ("b.csv", b"\x00\x01binary", 422, "unreadable-file", "not a text"),
        ("b.xls", b"\xd0\xcf\x11\xe0old excel", 422, "unreadable-file", ".xlsx"),
        ("b.csv", b"", 422, "unreadable-file", "empty"),
        ("b.csv", b"Artikel;Farbe\r\nx;rot\r\n", 422, "unreadable-file", "unknown column"),
        ("b.csv", b"sku;quantity\r\n", 422, "import-rejected", "no data rows"),
        ("b.csv", b"sku;quantity\r\n" + b"LAPTOP-14;1\r\n" * 5001, 422, "unreadable-file", "5,000"),
        ("b.csv", b"sku;quantity\r\n" + b"x" * (2 * 1024 * 1024), 413, "payload-too-large", "2 MB"),
        ("b.txt", _not_a_zip_but_named_xlsx(), 422, "unreadable-file", "not a text"),
    ],
)  # fmt: skip
def test_wrong_or_corrupt_files_get_a_clear_error_and_change_nothing(
    api: ApiFactory, name: str, content: bytes, status: int, problem: str, words: str
) -> None:
    round_ = new_round(api)
    add_line(api, round_["id"], "bruchsal.it", "LAPTOP-14", 2)
    response = upload(api, round_["id"], name, content, mode="replace")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == f"/problems/{problem}"
    assert words in response.json()["detail"]
    assert [q for _, q in submitted(api, round_["id"])] == [2]


def test_only_city_it_imports_and_only_into_an_open_round(api: ApiFactory) -> None:
    round_ = new_round(api, open_it=False)
    content = b"sku;quantity\r\nLAPTOP-14;1\r\n"
    assert upload(api, round_["id"], "b.csv", content, user="ettlingen.lead").status_code == 403
    assert upload(api, round_["id"], "b.csv", content).status_code == 404  # a draft is not visible to city IT
    api("ettlingen.lead").post(f"/rounds/{round_['id']}/open")
    api("ettlingen.lead").post(f"/rounds/{round_['id']}/close")
    closed = upload(api, round_["id"], "b.csv", content)
    assert closed.status_code == 409 and "the round is closed" in closed.json()["detail"]


# -- exports ------------------------------------------------------------------------------------


def test_exports_escape_cells_a_spreadsheet_would_run_as_formulas(api: ApiFactory) -> None:
    round_ = new_round(api)
    dangerous = ['=HYPERLINK("http://evil.example","klick")', "+49 721 0", "-5 Geräte", "@SUM(A1)", "harmlos"]
    for text in dangerous:
        add_line(api, round_["id"], "bruchsal.it", "LAPTOP-14", 1, justification=text)
    lead = api("ettlingen.lead")
    as_csv = lead.get(f"/rounds/{round_['id']}/lines", params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=","))  # English: ","
    assert sorted(r["justification"] for r in rows) == sorted(["'" + t if t[0] in "=+-@" else t for t in dangerous])
    as_xlsx = lead.get(f"/rounds/{round_['id']}/lines", params={"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    cells = [row[header.index("justification")] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    # In XLSX the text is shown as the city wrote it: no visible apostrophe, the quote-prefix style instead.
    assert sorted(str(cell.value) for cell in cells) == sorted(dangerous)
    assert {str(cell.value): cell.quotePrefix for cell in cells} == {t: t[0] in "=+-@" for t in dangerous}
    aggregate_csv = lead.get(f"/rounds/{round_['id']}/aggregate", params={"format": "csv"})
    table = list(csv.reader(io.StringIO(aggregate_csv.content.decode("utf-8-sig")), delimiter=","))
    assert table[0][:2] == ["sku", "name"] and table[1][0] == "LAPTOP-14" and table[0][-1] == "qty_bruchsal"


def test_the_csv_template_is_what_the_import_reads(api: ApiFactory) -> None:
    template = api("bruchsal.it").get("/rounds/import-template", params={"format": "csv", "language": "en"})
    assert template.headers["content-disposition"].endswith('civicpool-demand-template.csv"')
    round_ = new_round(api)
    imported = upload(api, round_["id"], "template.csv", template.content)
    assert imported.status_code == 201, imported.text
    assert imported.json()["created"] == 1


# -- the command line ---------------------------------------------------------------------------


def test_the_cli_imports_with_the_same_checks(api: ApiFactory, stack: Stack, tmp_path: Path) -> None:
    round_ = new_round(api)
    urls = ["--gateway-url", stack.gateway_url, "--keycloak-url", stack.keycloak.url]
    good, bad = tmp_path / "bedarf.csv", tmp_path / "falsch.csv"
    good.write_bytes("Artikelnummer;Menge\r\nLAPTOP-14;12\r\n".encode("cp1252"))
    bad.write_bytes(b"Artikelnummer;Menge\r\nLAPTOP-14;zw\xf6lf\r\n")
    runner = CliRunner()
    result = runner.invoke(app, ["import", round_["id"], str(good), "--as", "bruchsal.it", *urls])
    assert result.exit_code == 0, result.output
    assert "imported 1 row(s): 1 line(s) added" in result.output
    result = runner.invoke(app, ["import", round_["id"], str(bad), "--as", "bruchsal.it", "--mode", "replace", *urls])
    assert result.exit_code == 1
    assert "line 2, quantity" in result.output
    assert [q for _, q in submitted(api, round_["id"])] == [12]
