"""The Leitweg-ID and its check digits (ISO 7064 MOD 97-10): the IDs of KoSIT's test suite are valid, every ID made
with its check digits parses back, and a changed character or check digit is caught."""

from __future__ import annotations

import pytest
from civicpool_common.leitweg import InvalidLeitwegId, check_digits, make, parse
from hypothesis import given
from hypothesis import strategies as st

COARSE = st.text(alphabet="0123456789", min_size=2, max_size=12)
FINE = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=30)


@pytest.mark.parametrize(
    "text",
    ["04011000-12345-03", "90000000-03083-72", "99000000-18188-18", "11002002-98765-14", "991-33333TEST-33",
     "991-33333test-33", "12-62"],
)  # fmt: skip
def test_the_test_suites_leitweg_ids_are_valid(text: str) -> None:
    assert str(parse(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("04011000-12345-04", "the check digits are 03, not 04"),
        ("04011000-12345", "expected"),  # no check digits
        ("1-2-03", "expected 2 to 12 digits"),
        ("04011000_12345_03", "expected"),
        ("0401100012345-1234567890123456789012345678901-03", "expected"),
        ("", "expected"),
    ],
)
def test_invalid_ids_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InvalidLeitwegId) as invalid:
        parse(text)
    assert reason in str(invalid.value)


@given(COARSE, FINE)
def test_every_id_made_with_its_check_digits_parses_back(coarse: str, fine: str) -> None:
    made = make(coarse, fine)
    assert parse(str(made)) == made and made.check == check_digits(coarse, fine)


@given(COARSE, FINE, st.data())
def test_a_changed_character_of_the_same_kind_is_caught(coarse: str, fine: str, data: st.DataObject) -> None:
    text = str(make(coarse, fine))
    position = data.draw(st.sampled_from([i for i, c in enumerate(text) if c != "-"]))
    alphabet = "0123456789" if text[position].isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    other = data.draw(st.sampled_from([c for c in alphabet if c != text[position]]))
    with pytest.raises(InvalidLeitwegId):
        parse(text[:position] + other + text[position + 1 :])
