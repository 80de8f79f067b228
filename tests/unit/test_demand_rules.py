"""The demand rules and the spreadsheet reader, without I/O."""

from __future__ import annotations

import datetime as dt

import pytest
from civicpool_common.messages import Text
from civicpool_common.vocabulary import Priority
from civicpool_demand import rules
from civicpool_gateway import downloads, uploads


@pytest.mark.parametrize(
    ("text", "value"),
    [("40", 40), (" 1.000 ", 1000), ("12.345.678", 12_345_678), ("40.0", 40), ("7,0", 7), ("40,00", 40),
     ("1.000,00", 1000), ("1.00", 1), ("-5", -5), ("0", 0)],
)  # fmt: skip
def test_quantities_as_people_type_them(text: str, value: int) -> None:
    assert rules.parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "1,5", "1.5", "2,5", "-2,5", "zwölf", "1.00.0", "1e3", "--3"])
def test_what_is_not_a_whole_number(text: str) -> None:
    with pytest.raises(ValueError, match="whole number"):
        rules.parse_quantity(text)


@pytest.mark.parametrize("quantity", [0, -5])
def test_a_quantity_below_one_is_refused_as_less_than_one_not_as_no_whole_number(quantity: int) -> None:
    [violation] = rules.line_violations(quantity, None, None, dt.date(2027, 1, 1))
    assert violation.field == "quantity"
    assert isinstance(violation.description, Text)
    assert violation.description.render("de") == "muss mindestens 1 sein"
    assert violation.description.render("en") == "must be at least 1"


@pytest.mark.parametrize(
    ("text", "value"),
    [("31.03.2027", dt.date(2027, 3, 31)), ("1.4.2027", dt.date(2027, 4, 1)), ("2027-03-31", dt.date(2027, 3, 31)),
     ("", None)],
)  # fmt: skip
def test_dates_german_or_iso(text: str, value: dt.date | None) -> None:
    assert rules.parse_date(text) == value


@pytest.mark.parametrize("text", ["31.02.2027", "03/31/2027", "2027-3-1", "morgen", "31.03.27"])
def test_what_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError, match=r"date|calendar"):
        rules.parse_date(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("Hoch", Priority.HIGH), ("", Priority.NORMAL), ("niedrig", Priority.LOW), ("LOW", Priority.LOW)],
)
def test_priorities_in_german_and_english(text: str, value: Priority) -> None:
    assert rules.parse_priority(text) == value


def test_scope_by_item_or_cpv_prefix() -> None:
    assert rules.in_scope("i1", "30213100-6", [], [])
    assert rules.in_scope("i1", "30213100-6", [], ["302"])
    assert rules.in_scope("i1", "48515000-1", ["i1"], ["302"])
    assert not rules.in_scope("i2", "48515000-1", ["i1"], ["302"])
    assert [v.field for v in rules.scope_violations([], ["3", "30-2", "123456789"])] == [
        "scope_cpv_prefixes[0]", "scope_cpv_prefixes[1]", "scope_cpv_prefixes[2]"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "escaped"),
    [("=1+1", "'=1+1"), ("+49", "'+49"), ("-5", "'-5"), ("@A1", "'@A1"), ("\t=x", "'\t=x"), ("ok", "ok"), (-5, -5),
     (None, None)],
)  # fmt: skip
def test_formula_cells_are_escaped_and_numbers_are_not(value: object, escaped: object) -> None:
    assert downloads.escape_cell(value) == escaped


def test_headings_match_without_case_spaces_or_umlauts() -> None:
    rows = uploads.read_upload("BENÖTIGT_BIS;menge;artikel-nr.\r\n01.02.2027;3;X\r\n".encode(), "b.csv")
    assert rows.rows == [uploads.SheetRow(2, {"needed_by": "01.02.2027", "quantity": "3", "sku": "X"})]
    assert rows.headings == {"needed_by": "BENÖTIGT_BIS", "quantity": "menge", "sku": "artikel-nr."}


def test_values_in_columns_without_heading_are_refused() -> None:
    with pytest.raises(uploads.UnreadableFile, match="row 2 has values in columns without a heading"):
        uploads.read_upload(b"sku;quantity\r\nX;1;oops\r\n", "b.csv")
