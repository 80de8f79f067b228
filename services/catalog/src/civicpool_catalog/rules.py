"""The catalog's rules, as pure functions over plain values (no database, no gRPC)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum

from civicpool_common import leitweg
from civicpool_common.errors import FieldViolation
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.vocabulary import ID_PATTERN, CostKeyMethod, HostingRegion, ItemKind, LicenseModel
from stdnum import iban

__all__ = ["CostKeyMethod", "HostingRegion", "ItemKind", "LicenseModel"]


FULL_SHARE_BPS = 10_000  # 100.00 % in basis points
MAX_PRICE_CENTS = 10**12  # ten billion euros: anything above is a typo
MAX_LICENSE_TERM_MONTHS = 120

SLUG_RE = re.compile(ID_PATTERN)
_NOT_AN_ID = N_("{value} is not a valid id: 2 to 40 lower-case letters, digits and hyphens, first a letter ('buehl')")
_SHARES_SUM = N_("the shares sum to {percent} %; they must sum to exactly 100.00 % (10000 basis points)")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CPV_RE = re.compile(r"^(\d{8})-(\d)$")
AGS_RE = re.compile(r"^\d{8}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
VAT_ID_RE = re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,12}$")

# EU member states, by the country code their VAT ids start with (Greece: EL).
EU_VAT_PREFIXES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}  # fmt: skip
CPV_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)


def cpv_check_digit(digits: str) -> int:
    """The check digit of an 8-digit CPV code by the published rule.

    Weights 3-7-1 repeated over the eight digits, sum modulo 10. This is the
    rule of the CPV documentation and holds for the codes in use here; the EU
    has acknowledged that a number of codes of the 2008 revision deviate from
    it (see docs/cpv.md), so an official exception would be refused.
    """
    return sum(int(d) * w for d, w in zip(digits, CPV_WEIGHTS, strict=True)) % 10


def cpv_violation(code: str) -> Text | None:
    """Why `code` is not a valid CPV code, or None."""
    match = CPV_RE.fullmatch(code)
    if match is None:
        return Text(
            "{code} is not a CPV code: expected 8 digits, a hyphen and a check digit, e.g. 30213100-6", code=repr(code)
        )
    digits, check = match.groups()
    if digits[:2] == "00":
        return Text("{code} is not a CPV code: no CPV division starts with 00", code=repr(code))
    expected = cpv_check_digit(digits)
    if int(check) != expected:
        return Text(
            "the check digit of CPV code {code} is wrong: {digits}-{expected} would be consistent",
            code=code,
            digits=digits,
            expected=expected,
        )
    return None


def ags_violation(ags: str) -> Text | None:
    """Why `ags` is not an official municipality key (Amtlicher Gemeindeschlüssel), or None."""
    if AGS_RE.fullmatch(ags) is None:
        return Text("{ags} is not an AGS: expected exactly 8 digits, e.g. 08215009", ags=repr(ags))
    if not 1 <= int(ags[:2]) <= 16:
        return Text("{ags} is not an AGS: the first two digits name a federal state, 01 to 16", ags=repr(ags))
    return None


def german_vat_check_digit(first_eight: str) -> int:
    """ISO 7064 MOD 11,10 check digit of a German USt-IdNr (DE + 9 digits)."""
    product = 10
    for digit in first_eight:
        total = (int(digit) + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10


def vat_id_violation(vat_id: str, country: str) -> Text | None:
    if VAT_ID_RE.fullmatch(vat_id) is None:
        return Text(
            "{vat_id} is not a VAT id: expected a two-letter country prefix and 2 to 12 characters", vat_id=repr(vat_id)
        )
    prefix = vat_id[:2]
    if prefix not in EU_VAT_PREFIXES:
        return Text("{vat_id} does not start with the prefix of an EU member state", vat_id=repr(vat_id))
    expected_prefix = "EL" if country == "GR" else country
    if prefix != expected_prefix:
        return Text(
            "the VAT id {vat_id} does not belong to the vendor's country {country}", vat_id=vat_id, country=country
        )
    if prefix == "DE":
        digits = vat_id[2:]
        if not (digits.isdigit() and len(digits) == 9):
            return Text("a German VAT id is DE followed by 9 digits, not {vat_id}", vat_id=repr(vat_id))
        if int(digits[8]) != german_vat_check_digit(digits[:8]):
            return Text("the check digit of the German VAT id {vat_id} is wrong", vat_id=vat_id)
    return None


def _one_of(values: type[StrEnum]) -> Text:
    return Text("must be one of {values}", values=", ".join(values))


def is_eu_country(country: str) -> bool:
    return ("EL" if country == "GR" else country) in EU_VAT_PREFIXES


def slug_violation(value: str) -> Text | None:
    if SLUG_RE.fullmatch(value) is None:
        return Text(_NOT_AN_ID, value=repr(value))
    return None


def text_violation(value: str, *, max_length: int, required: bool = True) -> Text | None:
    if required and not value.strip():
        return Text("must not be empty")
    if len(value) > max_length:
        return Text("must be at most {max_length} characters, not {length}", max_length=max_length, length=len(value))
    return None


def item_violations(
    *,
    sku: str,
    name: str,
    description: str,
    kind: str,
    cpv_code: str,
    unit: str,
    reference_price_cents: int,
    vat_rate_bps: int,
    license_model: str | None,
    license_term_months: int | None,
    hosting_region: str | None,
) -> list[FieldViolation]:
    """Every rule an item breaks, by field."""
    problems: list[tuple[str, Text | None]] = [
        (
            "sku",
            None
            if SKU_RE.fullmatch(sku)
            else Text("{sku} is not a valid SKU: 1 to 64 letters, digits, '.', '_' or '-'", sku=repr(sku)),
        ),
        ("name", text_violation(name, max_length=200)),
        ("description", text_violation(description, max_length=4000, required=False)),
        ("kind", None if kind in ItemKind.__members__.values() else _one_of(ItemKind)),
        ("cpv_code", cpv_violation(cpv_code)),
        ("unit", text_violation(unit, max_length=32)),
        (
            "reference_price_cents",
            None
            if 0 <= reference_price_cents <= MAX_PRICE_CENTS
            else Text("the reference price must be between 0 and {max} cents", max=MAX_PRICE_CENTS),
        ),
        (
            "vat_rate_bps",
            None
            if 0 <= vat_rate_bps <= FULL_SHARE_BPS
            else Text("the VAT rate is given in basis points (1900 = 19 %) and must be between 0 and 10000"),
        ),
    ]
    if kind == ItemKind.LICENSE:
        problems += [
            (
                "license_model",
                None
                if license_model in LicenseModel.__members__.values()
                else Text("a license needs a license model: one of {values}", values=", ".join(LicenseModel)),
            ),
            (
                "license_term_months",
                None
                if license_term_months is not None and 1 <= license_term_months <= MAX_LICENSE_TERM_MONTHS
                else Text("a license needs a term of 1 to {max} months", max=MAX_LICENSE_TERM_MONTHS),
            ),
        ]
    else:
        problems += [
            ("license_model", None if license_model is None else Text("only licenses have a license model")),
            ("license_term_months", None if license_term_months is None else Text("only licenses have a term")),
        ]
    if kind in (ItemKind.LICENSE, ItemKind.SERVICE) and hosting_region is None:
        problems.append(
            (
                "hosting_region",
                Text(
                    "a {kind} must state where its data is hosted: one of {values}",
                    kind=Labels("kind", kind),
                    values=", ".join(HostingRegion),
                ),
            )
        )
    elif hosting_region is not None and hosting_region not in HostingRegion.__members__.values():
        problems.append(("hosting_region", _one_of(HostingRegion)))
    return [FieldViolation(field, message) for field, message in problems if message]


def city_violations(
    *, id: str, name: str, ags: str, population: int, billing_units: Sequence[Mapping[str, str]] = (),
    invoicing: Mapping[str, str] | None = None,
) -> list[FieldViolation]:  # fmt: skip
    problems = [
        ("id", slug_violation(id)),
        ("name", text_violation(name, max_length=120)),
        ("ags", ags_violation(ags)),
        ("population", None if 0 <= population <= 100_000_000 else Text("must be between 0 and 100000000")),
    ]
    violations = [FieldViolation(field, message) for field, message in problems if message]
    return violations + billing_unit_violations(billing_units) + invoicing_violations(invoicing or {})


INVOICING_FIELDS = ("street", "postcode", "town", "email", "phone", "iban", "tax_number", "contact_name")
INVOICING_REQUIRED = ("street", "postcode", "town", "email", "iban", "tax_number")
TAX_NUMBER = re.compile(r"\d{2,5}/\d{3,5}(/\d{4,5})?|\d{10,13}")  # as tax offices write it (31049/12345), or 13 digits


def invoicing_violations(invoicing: Mapping[str, str]) -> list[FieldViolation]:
    """How a city invoices others: all of it or nothing (an XRechnung needs each part), each in its form."""
    if not invoicing:
        return []
    problems: list[tuple[str, Text | None]] = [
        (name, Text("must not be empty: an XRechnung the city issues needs it"))
        for name in INVOICING_REQUIRED if not invoicing.get(name, "").strip()
    ]  # fmt: skip
    problems += [(name, Text("must have at most {limit} characters", limit=120))
                 for name in INVOICING_FIELDS if len(invoicing.get(name, "")) > 120]  # fmt: skip
    postcode, email, iban_text = invoicing.get("postcode", ""), invoicing.get("email", ""), invoicing.get("iban", "")
    if postcode and not re.fullmatch(r"\d{5}", postcode):
        problems.append(("postcode", Text("a German postcode has 5 digits, not {value}", value=repr(postcode))))
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.append(("email", Text("{value} is not an e-mail address", value=repr(email))))
    if iban_text and not iban.is_valid(iban_text):
        problems.append(
            ("iban", Text("{value} is not a valid IBAN (its check digits or its length)", value=repr(iban_text)))
        )
    tax_number = invoicing.get("tax_number", "")
    if tax_number and not TAX_NUMBER.fullmatch(tax_number):
        problems.append(("tax_number", Text("{value} is not a tax number (e.g. 31049/12345)", value=repr(tax_number))))
    return [FieldViolation(f"invoicing.{name}", message) for name, message in problems if message]


MAX_BILLING_UNITS = 20


def leitweg_ids_taken(
    units: Sequence[Mapping[str, str]], others: Mapping[str, Sequence[Mapping[str, str]]]
) -> list[FieldViolation]:
    """A Leitweg-ID routes invoices to one buyer: none of `units` may be another city's (`others`: by city)."""
    owners = {leitweg_key(unit["leitweg_id"]): city for city, their in others.items() for unit in their}
    return [
        FieldViolation(f"billing_units[{index}].leitweg_id", Text("is the Leitweg-ID of {city} already", city=owner))
        for index, unit in enumerate(units)
        if (key := leitweg_key(unit["leitweg_id"])) and (owner := owners.get(key)) is not None
    ]


def leitweg_key(leitweg_id: str) -> str:
    """What two spellings of one Leitweg-ID share (civicpool_common.leitweg), "" for an invalid one."""
    try:
        return leitweg.parse(leitweg_id).key
    except leitweg.InvalidLeitwegId:
        return ""  # reported by billing_unit_violations; matches nothing


def billing_unit_violations(units: Sequence[Mapping[str, str]]) -> list[FieldViolation]:
    """Each billing unit a valid Leitweg-ID (check digits) and a name; no Leitweg-ID twice (in either case)."""
    if len(units) > MAX_BILLING_UNITS:
        return [FieldViolation("billing_units", Text("at most {limit} billing units", limit=MAX_BILLING_UNITS))]
    violations, seen = [], set()
    for index, unit in enumerate(units):
        try:
            key = leitweg.parse(unit["leitweg_id"]).key
        except leitweg.InvalidLeitwegId as invalid:
            violations.append(FieldViolation(f"billing_units[{index}].leitweg_id", invalid.reason))
            continue
        if key in seen:
            violations.append(FieldViolation(f"billing_units[{index}].leitweg_id", Text("appears twice")))
        seen.add(key)
        if message := text_violation(unit["name"], max_length=120):
            violations.append(FieldViolation(f"billing_units[{index}].name", message))
    return violations


def vendor_violations(
    *, id: str, name: str, vat_id: str | None, country: str, contact_name: str, contact_email: str, contact_phone: str
) -> list[FieldViolation]:
    problems: list[tuple[str, Text | None]] = [
        ("id", slug_violation(id)),
        ("name", text_violation(name, max_length=200)),
        (
            "country",
            None
            if COUNTRY_RE.fullmatch(country)
            else Text(
                "{country} is not an ISO 3166 country code: two upper-case letters, e.g. DE", country=repr(country)
            ),
        ),
        ("contact_name", text_violation(contact_name, max_length=120, required=False)),
        (
            "contact_email",
            text_violation(contact_email, max_length=254, required=False)
            or (None if not contact_email or EMAIL_RE.fullmatch(contact_email) else Text("not an e-mail address")),
        ),
        ("contact_phone", text_violation(contact_phone, max_length=40, required=False)),
    ]
    if vat_id:
        problems.append(("vat_id", vat_id_violation(vat_id, country)))
    elif COUNTRY_RE.fullmatch(country) and is_eu_country(country):
        problems.append(("vat_id", Text("a vendor from an EU member state needs its VAT id")))
    return [FieldViolation(field, message) for field, message in problems if message]


def cost_key_violations(
    *, id: str, name: str, description: str, method: str, shares: Mapping[str, int], active_city_ids: Sequence[str]
) -> list[FieldViolation]:
    problems: list[tuple[str, Text | None]] = [
        ("id", slug_violation(id)),
        ("name", text_violation(name, max_length=120)),
        ("description", text_violation(description, max_length=2000, required=False)),
        (
            "method",
            None if method in CostKeyMethod.__members__.values() else _one_of(CostKeyMethod),
        ),
    ]
    if method == CostKeyMethod.FIXED:
        total = sum(shares.values())
        if not shares:
            problems.append(("shares", Text("a fixed key needs a share for at least one city")))
        elif total != FULL_SHARE_BPS:
            problems.append(
                (
                    "shares",
                    Text(_SHARES_SUM, percent=f"{total / 100:.2f}"),
                )
            )
        for index, (city_id, bps) in enumerate(shares.items()):
            if not 1 <= bps <= FULL_SHARE_BPS:
                problems.append(
                    (f"shares[{index}].basis_points", Text("each share must be between 1 and 10000 basis points"))
                )
            if city_id not in active_city_ids:
                problems.append(
                    (f"shares[{index}].city_id", Text("{city} is not an active member city", city=repr(city_id)))
                )
    elif shares:
        problems.append(("shares", Text("only fixed keys have shares; a {method} key computes them", method=method)))
    return [FieldViolation(field, message) for field, message in problems if message]
