"""Bruchsal's finance downloads its statement as a German office books it (issue 18, "files finance can open
and book"): German headings, euros (XLSX: numbers with a euro format; CSV: a decimal comma), Berlin's clock
(XLSX: real date-time cells), the postings' kinds as their German labels and readable booking texts ("Abruf
2 × Notebook 14 Zoll, Vertrag ETT-2026-001"); `;`-separated UTF-8 with BOM. English on request stays
machine-friendly; JSON keeps cents and UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import httpx
import openpyxl
import pytest
from civicpool_common import messages
from civicpool_common.vocabulary import NETWORK_TIME_ZONE

from tests.conftest import ApiFactory

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}  # what the portal and a German browser send
GERMAN_HEADINGS = ["Gebucht am", "Buchungstext", "Nummer", "Vertragsnummer", "Betrag (EUR)", "Saldo (EUR)", "Art",
                   "Artikelnummer", "Vermerk", "Buchungs-ID", "Vertrags-ID"]  # fmt: skip
ENGLISH_HEADINGS = ["posted_at (Europe/Berlin)", "text", "reference", "contract_reference", "amount (EUR)",
                    "balance (EUR)", "kind", "sku", "memo", "transaction_id", "contract_id"]  # fmt: skip
REFERENCE = r"[A-Z]{3}-\d{4}-\d{3,}"
GERMAN_CALL_OFF = re.compile(
    rf"^Abruf \d+ × .+, Vertrag {REFERENCE}$"
)  # "Abruf 40 × Notebook 14 Zoll, Vertrag ETT-2026-003"
ENGLISH_CALL_OFF = re.compile(rf"^Call-off \d+ × .+, contract {REFERENCE}$")
GERMAN_AMOUNT = re.compile(r"^-?\d+,\d\d$")  # 1234,56: a number to Excel in a German locale
ENGLISH_AMOUNT = re.compile(r"^-?\d+\.\d\d$")


def _euros(cents: int) -> float:
    return cents / 100


def _berlin(posted_at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(posted_at).astimezone(NETWORK_TIME_ZONE)


@pytest.fixture(scope="module")
def finance(api: ApiFactory) -> httpx.Client:
    client = api("bruchsal.finance")
    client.headers.update(GERMAN)
    return client


@pytest.fixture(scope="module")
def statement(finance: httpx.Client) -> dict[str, Any]:
    """The JSON statement (this year so far): the demo's call-offs and the move out of Bruchsal are in it."""
    answer = finance.get("/reports/statement")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["city_id"] == "bruchsal" and len(body["lines"]) >= 2
    assert {"call_off"} <= {line["kind"] for line in body["lines"]}
    return body


def test_json_keeps_cents_and_utc(statement: dict[str, Any]) -> None:
    for line in statement["lines"]:
        assert isinstance(line["amount_cents"], int) and isinstance(line["balance_cents"], int)
        assert dt.datetime.fromisoformat(line["posted_at"]).utcoffset() == dt.timedelta(0)


def test_the_statement_as_xlsx_has_german_headings_euro_numbers_and_berlin_date_cells(
    finance: httpx.Client, statement: dict[str, Any]
) -> None:
    answer = finance.get("/reports/statement", params={"format": "xlsx"})
    assert answer.status_code == 200, answer.text
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content))["Kontoauszug"]
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == GERMAN_HEADINGS
    column = {name: index for index, name in enumerate(GERMAN_HEADINGS)}
    opening, *lines, closing = rows[1:]
    assert opening[column["Buchungstext"]].value == messages.text("de", "Opening balance") == "Anfangssaldo"
    assert closing[column["Buchungstext"]].value == "Endsaldo"
    assert closing[column["Saldo (EUR)"]].value == pytest.approx(_euros(statement["closing_cents"]))
    assert len(lines) == len(statement["lines"])
    for row, line in zip(lines, statement["lines"], strict=True):
        amount, balance, posted = (row[column[c]] for c in ("Betrag (EUR)", "Saldo (EUR)", "Gebucht am"))
        assert amount.data_type == "n" and amount.value == pytest.approx(_euros(line["amount_cents"]))
        assert amount.number_format == balance.number_format == '#,##0.00 "€"'  # German Excel: 1.234,56 €
        assert balance.value == pytest.approx(_euros(line["balance_cents"]))
        assert posted.is_date and posted.number_format == "DD.MM.YYYY HH:MM"
        berlin = _berlin(line["posted_at"]).replace(tzinfo=None)
        assert abs(posted.value - berlin) < dt.timedelta(seconds=1)  # Berlin's wall clock, not UTC
        assert row[column["Art"]].value == messages.label("de", "posting", line["kind"])
        assert row[column["Buchungstext"]].value == line["text"]  # the booking text, in the file's language
        assert row[column["Vertragsnummer"]].value == line["contract_reference"]
        assert row[column["Vertrags-ID"]].value == line["contract_id"]
        if line["kind"] == "call_off":
            assert GERMAN_CALL_OFF.match(line["text"]), line["text"]
            assert re.fullmatch(REFERENCE, row[column["Nummer"]].value)
            assert line["text"].endswith(f"Vertrag {line['contract_reference']}")
    kinds = {row[column["Art"]].value for row in lines}
    assert "Abruf" in kinds and "call_off" not in kinds


def test_the_statement_as_csv_is_what_a_german_excel_reads(finance: httpx.Client, statement: dict[str, Any]) -> None:
    answer = finance.get("/reports/statement", params={"format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"\xef\xbb\xbf") and b"\r\n" in answer.content
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == GERMAN_HEADINGS
    column = {name: index for index, name in enumerate(GERMAN_HEADINGS)}
    opening, *lines, closing = rows[1:]
    assert opening[column["Buchungstext"]] == "Anfangssaldo"
    assert GERMAN_AMOUNT.match(closing[column["Saldo (EUR)"]])
    for row, line in zip(lines, statement["lines"], strict=True):
        amount = row[column["Betrag (EUR)"]]
        assert GERMAN_AMOUNT.match(amount), amount
        assert round(float(amount.replace(",", ".")) * 100) == line["amount_cents"]
        assert row[column["Gebucht am"]] == _berlin(line["posted_at"]).strftime("%d.%m.%Y %H:%M")
        assert row[column["Art"]] == messages.label("de", "posting", line["kind"])
        assert row[column["Buchungstext"]] == line["text"]


def test_english_on_request_is_machine_friendly(finance: httpx.Client, statement: dict[str, Any]) -> None:
    """language=en wins over a German Accept-Language: ids with their unit, `,`, a decimal point, ISO times with
    their offset that read back as the very instants of the JSON."""
    answer = finance.get("/reports/statement", params={"format": "csv", "language": "en"})
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=","))
    assert rows[0] == ENGLISH_HEADINGS
    for row, line in zip(rows[2:-1], statement["lines"], strict=True):
        assert ENGLISH_AMOUNT.match(row[4]) and round(float(row[4]) * 100) == line["amount_cents"]
        posted = dt.datetime.fromisoformat(row[0])
        assert posted.utcoffset() == _berlin(line["posted_at"]).utcoffset()
        assert abs(posted - dt.datetime.fromisoformat(line["posted_at"])) < dt.timedelta(seconds=1)
        assert row[6] == line["kind"]
        if line["kind"] == "call_off":  # the booking text in the file's language, not the request's German
            assert ENGLISH_CALL_OFF.match(row[1]), row[1]
    workbook = finance.get("/reports/statement", params={"format": "xlsx", "language": "en"})
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    head = [cell.value for cell in next(book.active.iter_rows())]  # type: ignore[union-attr]
    assert head == ENGLISH_HEADINGS


def test_the_language_follows_accept_language_and_a_bad_one_is_refused(api: ApiFactory) -> None:
    plain = api("bruchsal.finance")  # no Accept-Language: an API client, English
    english = plain.get("/reports/statement", params={"format": "csv"})
    assert english.content.decode("utf-8-sig").splitlines()[0] == ",".join(ENGLISH_HEADINGS)
    german = plain.get("/reports/statement", params={"format": "csv", "language": "de"})
    assert german.content.decode("utf-8-sig").splitlines()[0] == ";".join(GERMAN_HEADINGS)
    refused = plain.get("/reports/statement", params={"format": "csv", "language": "fr"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "language"
