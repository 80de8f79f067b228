"""civicpool's own XRechnung (libs/einvoice writing.py): whatever lines it is given, the official rules accept what it
writes, and what it writes reads back as it was meant (totals recomputed to the cent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from civicpool_einvoice.amounts import vat_cents
from civicpool_einvoice.extraction import extract
from civicpool_einvoice.validation import Validator
from civicpool_einvoice.writing import Draft, Line, Party, ubl_invoice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SELLER = Party("Rheintal IT-Systemhaus GmbH", "Rheinstraße 1", "Karlsruhe", "76131", "rechnung@rheintal.example",
               vat_id="DE812345673", contact_name="Vertrieb", phone="+49 721 1234-0")  # fmt: skip
BUYER = Party("Stadt Bruchsal", "Kaiserstraße 66", "Bruchsal", "76646", "rechnung@bruchsal.example")
names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40).filter(
    lambda name: name.strip() == name and name.strip()
)
lines = st.lists(
    st.builds(Line, item_id=st.sampled_from(["LAPTOP-14", "VPN-SEAT", "DOCK-USBC"]), name=names,
              quantity=st.integers(1, 1_000), unit_price_cents=st.integers(1, 10_000_000),
              vat_rate_bps=st.sampled_from([0, 700, 1900])),
    min_size=1, max_size=5,
)  # fmt: skip


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def _draft(invoice_lines: list[Line]) -> Draft:
    return Draft(
        number="R-2026-0001", issue_date=dt.date(2026, 12, 5), buyer_reference="08215009-RECHNUNG-64", seller=SELLER,
        buyer=BUYER, lines=invoice_lines, iban="DE75512108001245126199", payment_terms="Zahlbar in 30 Tagen",
        due_date=dt.date(2027, 1, 4), contract_reference="ETT-2026-003", order_reference="BRU-2026-012",
        exemption_reason="Nicht steuerbar (§ 2b UStG)",
    )  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines)
def test_what_civicpool_writes_the_official_rules_accept_and_it_reads_back(
    validator: Validator, invoice_lines: list[Line]
) -> None:
    written = ubl_invoice(_draft(invoice_lines))
    report = validator.validate(written)
    assert report.accepted, [(f.rule_id, f.text) for f in report.findings if f.severity in ("fatal", "error")]
    read = extract(written)
    net = sum(line.net_cents for line in invoice_lines)
    rates = {line.vat_rate_bps for line in invoice_lines}
    tax = sum(vat_cents(sum(x.net_cents for x in invoice_lines if x.vat_rate_bps == r), r) for r in rates)
    assert (read.tax_exclusive, read.tax_total, read.tax_inclusive) == (
        Decimal(net) / 100, Decimal(tax) / 100, Decimal(net + tax) / 100)  # fmt: skip
    folded = [(x.item_id, " ".join(x.name.split()), Decimal(x.quantity)) for x in invoice_lines]  # read: spaces fold
    assert [(x.seller_item_id, x.name, x.quantity) for x in read.lines] == folded
    assert (read.buyer_reference, read.contract_reference, read.order_reference) == (
        "08215009-RECHNUNG-64", "ETT-2026-003", "BRU-2026-012")  # fmt: skip


def test_a_line_at_0_percent_needs_its_exemptions_reason() -> None:
    draft = _draft([Line("X", "Umlage", 1, 100, 0)])
    with pytest.raises(ValueError, match="BT-120"):
        ubl_invoice(Draft(**{**draft.__dict__, "exemption_reason": ""}))


def test_a_charge_outside_the_scope_of_vat_is_accepted_from_a_seller_with_a_tax_number(validator: Validator) -> None:
    """A city charging another for a shared cost before § 2b UStG applies: category O, no rate on the lines, no VAT
    id, the city's tax number (BT-32) and its identifier (BT-29)."""
    seller = Party("Stadt Ettlingen", "Marktplatz 2", "Ettlingen", "76275", "rechnung@ettlingen.example",
                   contact_name="Kämmerei", phone="+49 7243 101-0", identifier="08215017-RECHNUNG-23",
                   tax_number="31049/12345")  # fmt: skip
    charge = Line("UMLAGE", "Umlage Lizenzserver 2026", 1, 123_456, 0)
    draft = Draft(**{**_draft([charge]).__dict__, "seller": seller, "outside_scope": True,
                     "exemption_reason": "Nicht steuerbar (§ 2 Abs. 3 UStG a. F., § 27 Abs. 22a UStG)"})  # fmt: skip
    written = ubl_invoice(draft)
    report = validator.validate(written)
    assert report.accepted, [(f.rule_id, f.text) for f in report.findings if f.severity in ("fatal", "error")]
    read = extract(written)
    assert (read.lines[0].vat_category, read.lines[0].vat_rate, read.tax_total) == ("O", None, Decimal("0.00"))
    with pytest.raises(ValueError, match="BR-O-02"):
        ubl_invoice(Draft(**{**draft.__dict__, "seller": SELLER}))  # a VAT id has no place outside the scope
