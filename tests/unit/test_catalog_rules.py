"""The catalog's domain rules: CPV check digits, AGS, VAT ids, items, cost keys."""

from __future__ import annotations

import pytest
from civicpool_catalog import rules

# Codes from the official CPV 2008 list (the published check-digit rule holds for them).
OFFICIAL_CPV = ["30213100-6", "30237240-3", "32342100-3", "30237000-9", "35125100-7", "48730000-4",
                "48515000-1", "48300000-1", "72000000-5", "03113100-7", "18453000-9", "71355200-3"]  # fmt: skip


@pytest.mark.parametrize("code", OFFICIAL_CPV)
def test_official_cpv_codes_are_valid(code: str) -> None:
    assert rules.cpv_violation(code) is None


@pytest.mark.parametrize("code", OFFICIAL_CPV)
def test_every_wrong_check_digit_is_refused_and_the_right_one_named(code: str) -> None:
    right = code[-1]
    for wrong in "0123456789".replace(right, ""):
        message = rules.cpv_violation(code[:-1] + wrong)
        assert message is not None
        assert f"{code[:8]}-{right} would be consistent" in str(message)


def test_every_single_digit_typo_in_the_code_is_caught() -> None:
    # The weights 3, 7 and 1 are coprime to 10, so any one changed digit changes the check digit.
    code = "30213100"
    for position in range(8):
        for digit in "0123456789".replace(code[position], ""):
            typo = code[:position] + digit + code[position + 1 :]
            assert rules.cpv_violation(f"{typo}-6") is not None, typo


def test_swapped_neighbour_digits_are_caught() -> None:
    assert rules.cpv_violation("32013100-6") is not None  # 30213100-6 with digits 2 and 3 swapped


@pytest.mark.parametrize("code", ["3021310-6", "30213100", "30213100-", "3021310a-6", " 30213100-6", "00000000-0"])
def test_malformed_cpv_codes_are_refused(code: str) -> None:
    assert rules.cpv_violation(code) is not None


@pytest.mark.parametrize("ags", ["08215009", "08211000", "08216007", "11000000", "01001000"])
def test_real_municipality_keys_are_valid(ags: str) -> None:
    assert rules.ags_violation(ags) is None


@pytest.mark.parametrize("ags", ["8215009", "082150090", "0821500X", "00215009", "17215009", ""])
def test_invalid_municipality_keys_are_refused(ags: str) -> None:
    assert rules.ags_violation(ags) is not None


@pytest.mark.parametrize("vat_id", ["DE136695976", "DE811907980", "DE814584193", "DE129273398"])
def test_german_vat_ids_with_correct_check_digit(vat_id: str) -> None:
    assert rules.vat_id_violation(vat_id, "DE") is None


def test_german_vat_id_with_wrong_check_digit_is_refused() -> None:
    assert "check digit" in str(rules.vat_id_violation("DE136695975", "DE"))


def test_vat_id_must_match_the_vendors_country() -> None:
    assert rules.vat_id_violation("FRXX123456789", "DE") is not None
    assert rules.vat_id_violation("EL123456789", "GR") is None


def test_eu_vendor_needs_a_vat_id_and_a_us_vendor_does_not() -> None:
    common = {"id": "acme", "name": "Acme", "contact_name": "", "contact_email": "", "contact_phone": ""}
    eu = rules.vendor_violations(vat_id=None, country="DE", **common)
    us = rules.vendor_violations(vat_id=None, country="US", **common)
    assert [v.field for v in eu] == ["vat_id"]
    assert us == []


def _item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "sku": "LAPTOP-14", "name": "Notebook", "description": "", "kind": "hardware", "cpv_code": "30213100-6",
        "unit": "Stück", "reference_price_cents": 89_900, "vat_rate_bps": 1900, "license_model": None,
        "license_term_months": None, "hosting_region": None,
    }  # fmt: skip
    item.update(changes)
    return item


def test_a_plain_hardware_item_is_valid() -> None:
    assert rules.item_violations(**_item()) == []  # type: ignore[arg-type]


def test_a_license_needs_model_term_and_hosting_region() -> None:
    fields = {v.field for v in rules.item_violations(**_item(kind="license"))}  # type: ignore[arg-type]
    assert fields == {"license_model", "license_term_months", "hosting_region"}


def test_only_licenses_have_a_license_model() -> None:
    violations = rules.item_violations(**_item(license_model="per_user", license_term_months=12))  # type: ignore[arg-type]
    assert {v.field for v in violations} == {"license_model", "license_term_months"}


def test_every_broken_item_field_is_reported_at_once() -> None:
    broken = _item(sku="", name=" ", cpv_code="1", unit="", reference_price_cents=-1, vat_rate_bps=10_001)
    fields = {v.field for v in rules.item_violations(**broken)}  # type: ignore[arg-type]
    assert fields == {"sku", "name", "cpv_code", "unit", "reference_price_cents", "vat_rate_bps"}


def _key(method: str, shares: dict[str, int]) -> list[str]:
    violations = rules.cost_key_violations(
        id="pilot", name="Pilot", description="", method=method, shares=shares,
        active_city_ids=["rastatt", "gaggenau", "buehl"],
    )  # fmt: skip
    return [f"{v.field}: {v.description}" for v in violations]


def test_fixed_shares_summing_to_exactly_100_percent_are_valid() -> None:
    assert _key("fixed", {"rastatt": 5000, "gaggenau": 3000, "buehl": 2000}) == []
    assert _key("fixed", {"rastatt": 3334, "gaggenau": 3333, "buehl": 3333}) == []


@pytest.mark.parametrize(
    ("shares", "percent"),
    [({"rastatt": 5000, "gaggenau": 4999}, "99.99"), ({"rastatt": 6000, "buehl": 5000}, "110.00")],
)
def test_fixed_shares_not_summing_to_100_percent_are_refused(shares: dict[str, int], percent: str) -> None:
    assert _key("fixed", shares) == [
        f"shares: the shares sum to {percent} %; they must sum to exactly 100.00 % (10000 basis points)"
    ]


def test_fixed_shares_must_name_active_cities() -> None:
    assert _key("fixed", {"rastatt": 5000, "atlantis": 5000}) == [
        "shares[1].city_id: 'atlantis' is not an active member city"
    ]


def test_computed_keys_take_no_shares() -> None:
    assert _key("equal", {}) == []
    assert _key("population", {"rastatt": 10_000})[0].startswith("shares: only fixed keys")
