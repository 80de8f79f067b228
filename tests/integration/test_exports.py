"""Files finance and the leads open in Excel: whole numbers as whole numbers, euros as euros, and totals that
add up.

Every download of the OpenAPI document (each GET with `format=csv|xlsx`) is fetched in both formats and both
languages by the people who use it; no count in any of them is written with decimals that Excel would read as
text, and every amount (a column "... (EUR)") is euros with two decimals (CSV) or a number (XLSX).
The aggregate workbook's lines add up to its totals, withdrawn lines left out.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Any

import openpyxl
import pytest

from tests.conftest import ApiFactory
from tests.support.openapi import committed_openapi

SPEC = committed_openapi()
API = "/api/v1"
DECIMAL_WHOLE_NUMBER = re.compile(r"^-?\d+[.,]0+$")  # "1000.0": text to a German Excel, and a false precision
EURO_AMOUNT = {"de": re.compile(r"^-?\d+,\d\d$"), "en": re.compile(r"^-?\d+\.\d\d$")}
SEPARATOR = {"de": ";", "en": ","}
QUERIES = {"/reports/statement": {"city": "rastatt"}}  # whose statement (a lead reads any city's)


def _downloads() -> list[str]:
    return sorted(
        path.removeprefix(API)
        for path, methods in SPEC["paths"].items()
        if "get" in methods and any(p["name"] == "format" for p in methods["get"].get("parameters", []))
    )


@pytest.fixture(scope="module")
def paths(api: ApiFactory) -> dict[str, str]:
    """Each download's path with real ids: the demo's open round (with a withdrawn line in it)."""
    lead = api("ettlingen.lead")
    round_ = next(r for r in lead.get("/rounds", params={"status": "open"}).json()["data"]
                  if r["owner_city_id"] == "ettlingen")  # fmt: skip
    rastatt = api("rastatt.it")
    line = rastatt.get(f"/rounds/{round_['id']}/lines").json()["data"][0]
    withdrawn = rastatt.post(f"/rounds/{round_['id']}/lines/{line['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    again = rastatt.post(
        f"/rounds/{round_['id']}/lines", json={"item_id": line["item_id"], "quantity": line["quantity"]}
    )
    assert again.status_code == 201, again.text
    return {path: path.replace("{id}", round_["id"]) for path in _downloads()}


def _sheets(content: bytes, file_format: str, language: str) -> list[list[list[Any]]]:
    """Each sheet's rows, its heading row first."""
    if file_format == "csv":
        return [list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=SEPARATOR[language]))]
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("path", _downloads())
def test_every_export_writes_whole_numbers_as_whole_numbers_and_amounts_in_euros(
    api: ApiFactory, paths: dict[str, str], path: str, file_format: str, language: str
) -> None:
    read_by = []
    for user in ("ettlingen.lead", "rastatt.finance", "bruchsal.it"):
        params = {"format": file_format, "language": language, **QUERIES.get(path, {})}
        answer = api(user).get(paths[path], params=params)
        if answer.status_code in (403, 404):
            continue  # not this user's file (the isolation matrix proves these refusals)
        assert answer.status_code == 200, answer.text
        read_by.append(user)
        for heading, *rows in _sheets(answer.content, file_format, language):
            assert not any("_cents" in str(name) for name in heading), heading
            amounts = {i for i, name in enumerate(heading) if str(name).endswith("(EUR)")}
            for row in rows:
                counts = [cell for i, cell in enumerate(row) if i not in amounts]
                floats = [cell for cell in counts if isinstance(cell, float)]
                texts = [cell for cell in counts if isinstance(cell, str) and DECIMAL_WHOLE_NUMBER.match(cell)]
                assert floats == [] and texts == [], (user, path, row)
                euros = [row[i] for i in amounts if row[i] not in (None, "")]
                if file_format == "csv":
                    assert all(EURO_AMOUNT[language].match(cell) for cell in euros), (user, path, row)
                else:
                    assert all(isinstance(cell, int | float) for cell in euros), (user, path, row)
    assert "ettlingen.lead" in read_by or "rastatt.finance" in read_by


def test_the_exports_are_the_documents_downloads() -> None:
    assert {"/rounds/{id}/aggregate", "/rounds/{id}/lines", "/reports/statement", "/reports/utilisation",
            "/reports/budget", "/reports/renewals"} <= set(_downloads())  # fmt: skip


def test_the_aggregate_workbooks_lines_add_up_to_its_totals(api: ApiFactory, paths: dict[str, str]) -> None:
    answer = api("ettlingen.lead").get(paths["/rounds/{id}/aggregate"], params={"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    totals, lines = book["Summen"], book["Positionen"]
    head = [c.value for c in totals[1]]
    by_sku = {row[head.index("sku")]: row for row in totals.iter_rows(min_row=2, values_only=True)}
    line_head = [c.value for c in lines[1]]
    rows = list(lines.iter_rows(min_row=2, values_only=True))
    assert {row[line_head.index("status")] for row in rows} == {"submitted"}
    summed: Counter[tuple[str, str]] = Counter()
    for row in rows:
        summed[row[line_head.index("sku")], row[line_head.index("city_id")]] += row[line_head.index("quantity")]
    for sku, total in by_sku.items():
        assert sum(q for (s, _), q in summed.items() if s == sku) == total[head.index("total_quantity")]
        for city_column in (name for name in head if name.startswith("qty_")):
            assert summed[sku, city_column.removeprefix("qty_")] == total[head.index(city_column)]
