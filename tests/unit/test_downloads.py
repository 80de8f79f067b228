"""Downloads in the reader's language: German files as a German Excel reads them, English ones machine-friendly;
cents become euros exactly, UTC becomes Berlin's clock, formulas never run."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from civicpool_gateway import downloads
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

WINTER = dt.datetime(2027, 1, 15, 13, 5, 9, tzinfo=dt.UTC)  # 14:05 in Berlin (CET)
SUMMER = dt.datetime(2027, 3, 31, 12, 5, tzinfo=dt.UTC)  # 14:05 in Berlin (CEST)
ROWS = [
    {"posted_at": WINTER, "kind": "call_off", "memo": '=HYPERLINK("x")', "amount_cents": 123456, "balance_cents": -5},
    {"posted_at": SUMMER, "kind": "new-kind", "memo": "Abruf 40 × Notebook", "amount_cents": 0, "balance_cents": 100},
    {"memo": "Endsaldo", "balance_cents": 123_456_789},
]
COLUMNS = ["posted_at", "kind", "memo", "amount_cents", "balance_cents"]
TABLE = downloads.table(ROWS, COLUMNS, {"kind": "posting"})


def _csv(language: str) -> list[list[str]]:
    data = downloads.to_csv(TABLE, language)
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == 4
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=downloads.CSV_SEPARATOR[language]))


def test_german_csv_has_german_headings_decimal_commas_berlin_times_and_labels() -> None:
    assert _csv("de") == [
        ["Gebucht am", "Art", "Vermerk", "Betrag (EUR)", "Saldo (EUR)"],
        ["15.01.2027 14:05", "Abruf", '\'=HYPERLINK("x")', "1234,56", "-0,05"],
        ["31.03.2027 14:05", "new-kind", "Abruf 40 × Notebook", "0,00", "1,00"],  # no label: the value
        ["", "", "Endsaldo", "", "1234567,89"],  # no grouping: Excel-DE reads 1234567,89 as a number
    ]


def test_english_csv_is_comma_separated_with_decimal_points_and_iso_times_with_their_offset() -> None:
    rows = _csv("en")
    assert rows[0] == ["posted_at (Europe/Berlin)", "kind", "memo", "amount (EUR)", "balance (EUR)"]
    assert rows[1] == ["2027-01-15T14:05:09+01:00", "call_off", '\'=HYPERLINK("x")', "1234.56", "-0.05"]
    assert rows[2][0] == "2027-03-31T14:05:00+02:00" and dt.datetime.fromisoformat(rows[2][0]) == SUMMER
    assert rows[3][4] == "1234567.89"


@pytest.mark.parametrize(("language", "amount", "time", "day"), [
    ("de", '#,##0.00 "€"', "DD.MM.YYYY HH:MM", "DD.MM.YYYY"),
    ("en", "#,##0.00", "YYYY-MM-DD HH:MM", "YYYY-MM-DD"),
])  # fmt: skip
def test_xlsx_has_numbers_and_date_cells_with_the_languages_formats(
    language: str, amount: str, time: str, day: str
) -> None:
    table = downloads.table([{**ROWS[0], "needed_by": dt.date(2027, 3, 31), "quantity": 40}],
                            [*COLUMNS, "needed_by", "quantity"], {"kind": "posting"})  # fmt: skip
    sheet = load_workbook(io.BytesIO(downloads.to_xlsx({"Kontoauszug": table}, language)))["Kontoauszug"]
    posted, kind, memo, euros, balance, needed_by, quantity = sheet[2]
    assert sheet["A1"].font.bold
    assert (euros.value, euros.number_format, balance.value) == (1234.56, amount, -0.05)
    assert posted.is_date and posted.value == dt.datetime(2027, 1, 15, 14, 5, 9) and posted.number_format == time
    assert needed_by.is_date and needed_by.value == dt.datetime(2027, 3, 31) and needed_by.number_format == day
    assert kind.value == ("Abruf" if language == "de" else "call_off")
    assert memo.value == '=HYPERLINK("x")' and memo.data_type == "s" and memo.quotePrefix  # shown, never run
    assert quantity.value == 40 and isinstance(quantity.value, int)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_euros_in_a_csv_are_the_cents_exactly(cents: int) -> None:
    german, english = downloads.euros_text(cents, "de"), downloads.euros_text(cents, "en")
    assert german == english.replace(".", ",")
    assert round(float(english) * 100) == cents and len(english.split(".")[1]) == 2


def test_headings_come_from_the_catalogue_and_the_per_city_quantities_name_their_city() -> None:
    assert downloads.heading("needed_by", "de") == "Benötigt bis"
    assert downloads.heading("qty_bruchsal", "de") == "Menge bruchsal"
    assert downloads.heading("qty_bruchsal", "en") == "qty_bruchsal"
    assert downloads.heading("no_such_column", "de") == "no_such_column"
